package appointment

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
)

// Note is the counselor's private note for a session: plain text for its
// author alone. Version 0 means no note has been saved yet.
type Note struct {
	Text      string     `json:"text"`
	Version   int        `json:"version"`
	UpdatedAt *time.Time `json:"updated_at"`
}

type noteRow struct {
	Body      string    `db:"body"`
	Version   int       `db:"version"`
	UpdatedAt time.Time `db:"updated_at"`
}

func (r noteRow) note() Note {
	at := r.UpdatedAt
	return Note{Text: r.Body, Version: r.Version, UpdatedAt: &at}
}

// noteFor checks that the caller is the counselor of the session's couple
// (anyone else: not found, so a note's existence is never told) and loads
// their note, if any.
func (s *Service) noteFor(ctx context.Context, q sqlx.QueryerContext, a actor.Actor, id int64, lock bool) (Appointment, Note, error) {
	ap, rel, err := s.get(ctx, q, a, id, false)
	if err != nil {
		return ap, Note{}, err
	}
	if !rel.Counselor {
		return ap, Note{}, errNotFound
	}
	var r noteRow
	query := `SELECT body, version, updated_at FROM appointment_notes WHERE appointment_id = $1 AND author_id = $2 AND clinic_id = $3`
	if lock {
		query += ` FOR UPDATE`
	}
	err = sqlx.GetContext(ctx, q, &r, query, id, a.UserID, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return ap, Note{}, nil
	}
	if err != nil {
		return ap, Note{}, err
	}
	return ap, r.note(), nil
}

// ReadNote returns the caller's private note for a session. Reading it is
// audited (the session and the version, never the text).
func (s *Service) ReadNote(ctx context.Context, a actor.Actor, id int64) (Note, error) {
	ap, n, err := s.noteFor(ctx, s.db, a, id, false)
	if err != nil || n.Version == 0 {
		return n, err
	}
	return n, s.audit.LogNow(ctx, s.db, a, audit.Event{Action: "appointment_note.read", ObjectType: "appointment", ObjectID: id,
		CoupleID: ap.CoupleID, Detail: map[string]any{"version": n.Version}})
}

// SaveNote saves the caller's private note, based on the version they read
// (0 for a first note). A stale save is refused (409) with the current text
// and version, so nothing typed is lost; an unchanged text saves nothing.
// The save is audited with the version, never the text.
func (s *Service) SaveNote(ctx context.Context, a actor.Actor, id int64, text string, version int) (Note, error) {
	var out Note
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		ap, cur, err := s.noteFor(ctx, tx, a, id, true)
		if err != nil {
			return err
		}
		text, msg := cleanText(text, MaxNote)
		if msg != "" {
			return apperr.Fields(msg, map[string]string{"text": msg})
		}
		if version != cur.Version {
			return staleNote(cur)
		}
		if cur.Text == text {
			// Nothing changed (or an empty first note): nothing to save.
			out = cur
			return nil
		}
		var r noteRow
		if cur.Version == 0 {
			// A first note: two first saves at once must not both win.
			err = tx.GetContext(ctx, &r, `INSERT INTO appointment_notes (appointment_id, author_id, clinic_id, body)
				VALUES ($1, $2, $3, $4) ON CONFLICT (appointment_id, author_id) DO NOTHING
				RETURNING body, version, updated_at`, id, a.UserID, a.ClinicID, text)
		} else {
			err = tx.GetContext(ctx, &r, `UPDATE appointment_notes SET body = $4, version = version + 1, updated_at = now()
				WHERE appointment_id = $1 AND author_id = $2 AND clinic_id = $3 RETURNING body, version, updated_at`,
				id, a.UserID, a.ClinicID, text)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return s.reloadStale(ctx, tx, a, id)
		}
		if err != nil {
			return err
		}
		out = r.note()
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "appointment_note.save", ObjectType: "appointment", ObjectID: id,
			CoupleID: ap.CoupleID, Detail: map[string]any{"version": out.Version}})
	})
	return out, err
}

// staleNote refuses a save based on an old version, with the current text.
func staleNote(cur Note) error {
	return &apperr.Error{Code: apperr.Conflict,
		Message: "This note was saved elsewhere (in another tab or window) while you were writing. Both texts are shown so nothing is lost.",
		Data:    map[string]any{"text": cur.Text, "version": cur.Version}}
}

// reloadStale re-reads a note that another save wrote first.
func (s *Service) reloadStale(ctx context.Context, tx *db.Tx, a actor.Actor, id int64) error {
	var r noteRow
	if err := tx.GetContext(ctx, &r, `SELECT body, version, updated_at FROM appointment_notes WHERE appointment_id = $1 AND author_id = $2`,
		id, a.UserID); err != nil {
		return err
	}
	return staleNote(r.note())
}

// CanWriteNote reports (as an error) whether the caller may write a note
// for the session: its couple's counselor (anyone else: not found). It lets
// a handler answer "who" before "what" without reading anything.
func (s *Service) CanWriteNote(ctx context.Context, a actor.Actor, id int64) error {
	_, rel, err := s.get(ctx, s.db, a, id, false)
	if err == nil && !rel.Counselor {
		err = errNotFound
	}
	return err
}
