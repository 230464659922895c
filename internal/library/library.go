// Package library stores the exercise library: the built-in templates (the
// same in every clinic) and counselors' own templates, private or shared with
// their clinic, each as a list of immutable versions.
package library

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/paging"
)

// Visibility of a template.
const (
	Builtin = "builtin" // shipped with Mend, same in every clinic
	Private = "private" // its owner only
	Clinic  = "clinic"  // every counselor of the owner's clinic
)

// Page sizes for List.
const (
	DefaultLimit = paging.Default
	MaxLimit     = paging.Max
)

// Service holds the library rules.
type Service struct {
	db    *sqlx.DB
	audit *audit.Logger
}

// NewService returns the library service.
func NewService(d *sqlx.DB, a *audit.Logger) *Service { return &Service{db: d, audit: a} }

// Draft is a new template or a new version of one, as a counselor writes it.
type Draft struct {
	Title         string             `json:"title"`
	Category      exercise.Category  `json:"category"`
	Description   string             `json:"description"`
	Instructions  string             `json:"instructions"`
	SuggestedMode exercise.Mode      `json:"suggested_mode"`
	Audience      exercise.Audience  `json:"audience,omitempty"`
	Visibility    string             `json:"visibility"`
	Sections      []exercise.Section `json:"sections"`
	// NeedsReview: submitted work of this exercise waits in the review
	// queue. Nil keeps the template's setting (a new one: true, unless it
	// recurs daily). A setting of the template, not of a version: changing
	// it adds no version, and assignments made before keep what they had.
	NeedsReview *bool `json:"needs_review,omitempty"`
}

// Summary is one entry of the library list.
type Summary struct {
	ID            int64             `db:"id" json:"id"`
	Slug          string            `db:"slug" json:"slug,omitempty"`
	Title         string            `db:"title" json:"title"`
	Category      exercise.Category `db:"category" json:"category"`
	SuggestedMode exercise.Mode     `db:"suggested_mode" json:"suggested_mode"`
	Audience      exercise.Audience `db:"audience" json:"audience,omitempty"`
	Description   string            `db:"description" json:"description"`
	Visibility    string            `db:"visibility" json:"visibility"`
	Mine          bool              `db:"mine" json:"mine"`
	Private       bool              `db:"private_to_counselor" json:"private"`
	Recurring     bool              `db:"recurring" json:"recurring"`
	NeedsReview   bool              `db:"needs_review" json:"needs_review"`
	Measure       string            `db:"measure" json:"measure,omitempty"` // a built-in measure's instrument ("csi-4"), scored by Mend
	ArchivedAt    *time.Time        `db:"archived_at" json:"archived_at,omitempty"`
	Version       int               `db:"current_version" json:"version"`
	UpdatedAt     time.Time         `db:"updated_at" json:"updated_at"`
}

// Purpose is the first line or sentence of the description, for cards.
func (s Summary) Purpose() string { return firstSentence(s.Description) }

// VersionInfo is one line of a template's version history.
type VersionInfo struct {
	Version    int       `db:"version" json:"version"`
	Title      string    `db:"title" json:"title"`
	ChangeNote string    `db:"change_note" json:"change_note"`
	CreatedBy  string    `db:"created_by" json:"created_by,omitempty"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// Detail is one version of a template (the current one unless asked),
// with the template's state and its version history.
type Detail struct {
	ID             int64              `json:"id"`
	Slug           string             `json:"slug,omitempty"`
	Visibility     string             `json:"visibility"`
	Mine           bool               `json:"mine"`
	ArchivedAt     *time.Time         `json:"archived_at,omitempty"`
	CurrentVersion int                `json:"current_version"`
	Version        int                `json:"version"`
	Title          string             `json:"title"`
	Category       exercise.Category  `json:"category"`
	Description    string             `json:"description"`
	Instructions   string             `json:"instructions"`
	SuggestedMode  exercise.Mode      `json:"suggested_mode"`
	Audience       exercise.Audience  `json:"audience,omitempty"`
	Private        bool               `json:"private"`
	Recurring      bool               `json:"recurring"`
	NeedsReview    bool               `json:"needs_review"`
	Measure        string             `json:"measure,omitempty"`
	Sections       []exercise.Section `json:"sections"`
	ChangeNote     string             `json:"change_note"`
	CreatedAt      time.Time          `json:"created_at"`
	Versions       []VersionInfo      `json:"versions"`
}

// Exercise returns the version as an exercise template (for rendering and
// answer validation).
func (d Detail) Exercise() exercise.Template {
	return exercise.Template{Slug: d.Slug, Title: d.Title, Category: d.Category, Description: d.Description,
		Instructions: d.Instructions, SuggestedMode: d.SuggestedMode, Audience: d.Audience, Private: d.Private,
		Recurring: d.Recurring, Measure: d.Measure, Schema: exercise.Schema{Sections: d.Sections}}
}

// Archived reports whether the template is archived.
func (d Detail) Archived() bool { return d.ArchivedAt != nil }

// Editable reports whether the caller may edit or archive the template.
func (d Detail) Editable() bool { return d.Mine && d.Visibility != Builtin && d.Measure == "" }

// Draft returns the version as a draft (to edit it).
func (d Detail) Draft() Draft {
	s := exercise.Schema{Sections: d.Sections}.Clone()
	return Draft{Title: d.Title, Category: d.Category, Description: d.Description, Instructions: d.Instructions,
		SuggestedMode: d.SuggestedMode, Audience: d.Audience, Visibility: d.Visibility, Sections: s.Sections, NeedsReview: &d.NeedsReview}
}

// Filter narrows List.
type Filter struct {
	Category string
	Mode     string
	Q        string
	Limit    int
	After    string // opaque cursor from a previous page's Next
	Archived bool   // list archived templates instead of live ones
}

// Page is one page of the list.
type Page struct {
	Items []Summary `json:"items"`
	Next  string    `json:"next,omitempty"`
}

type cursor struct {
	T  string `json:"t"`
	ID int64  `json:"i"`
}

func encodeCursor(s Summary) string {
	return paging.EncodeCursor(cursor{strings.ToLower(s.Title), s.ID})
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	if err := paging.DecodeCursor(s, &c); err != nil {
		return c, err
	}
	if c.ID <= 0 {
		return c, paging.ErrBadCursor
	}
	return c, nil
}

// visibleTo is the visibility rule: built-ins, the clinic's shared
// templates and the caller's own. $1 is the clinic, $2 the user.
const visibleTo = `(t.visibility = 'builtin' OR (t.clinic_id = $1 AND (t.visibility = 'clinic' OR t.owner_id = $2)))`

const summaryCols = `t.id, coalesce(t.slug, '') AS slug, t.title, t.category, t.suggested_mode, t.audience, t.description,
	t.visibility, coalesce(t.owner_id = $2, false) AS mine, t.private_to_counselor, t.recurring, t.needs_review,
	coalesce(t.measure, '') AS measure, t.archived_at, t.current_version, t.updated_at`

// List returns a page of the templates the caller can see, by title.
func (s *Service) List(ctx context.Context, a actor.Actor, f Filter) (Page, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultLimit
	}
	if f.Limit > MaxLimit {
		f.Limit = MaxLimit
	}
	args := []any{a.ClinicID, a.UserID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT ` + summaryCols + ` FROM exercise_templates t WHERE ` + visibleTo
	if f.Archived {
		q += ` AND t.archived_at IS NOT NULL`
	} else {
		q += ` AND t.archived_at IS NULL`
	}
	if f.Category != "" {
		if !exercise.Category(f.Category).Valid() {
			return Page{}, apperr.Fields("Unknown category.", map[string]string{"category": fmt.Sprintf("Unknown category %q.", f.Category)})
		}
		q += ` AND t.category = ` + arg(f.Category)
	}
	if f.Mode != "" {
		if !exercise.Mode(f.Mode).Valid() {
			return Page{}, apperr.Fields("Unknown mode.", map[string]string{"mode": "Use individual, each or joint."})
		}
		q += ` AND t.suggested_mode = ` + arg(f.Mode)
	}
	if qs := strings.TrimSpace(f.Q); qs != "" {
		if utf8.RuneCountInString(qs) > 100 || !utf8.ValidString(qs) {
			return Page{}, apperr.Fields("The search is too long.", map[string]string{"q": "Search with at most 100 characters."})
		}
		q += ` AND lower(t.title || ' ' || t.description) LIKE ` + arg("%"+escapeLike(strings.ToLower(qs))+"%")
	}
	if f.After != "" {
		c, err := decodeCursor(f.After)
		if err != nil {
			return Page{}, err
		}
		q += fmt.Sprintf(` AND (lower(t.title), t.id) > (%s, %s)`, arg(c.T), arg(c.ID))
	}
	q += ` ORDER BY lower(t.title), t.id LIMIT ` + arg(f.Limit+1)
	items := []Summary{}
	if err := s.db.SelectContext(ctx, &items, q, args...); err != nil {
		return Page{}, err
	}
	p := Page{Items: items}
	if len(items) > f.Limit {
		p.Items = items[:f.Limit]
		p.Next = encodeCursor(p.Items[f.Limit-1])
	}
	return p, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

type versionRow struct {
	ID             int64             `db:"id"`
	Slug           string            `db:"slug"`
	Visibility     string            `db:"visibility"`
	OwnerID        sql.NullInt64     `db:"owner_id"`
	ArchivedAt     *time.Time        `db:"archived_at"`
	CurrentVersion int               `db:"current_version"`
	Version        int               `db:"version"`
	Title          string            `db:"title"`
	Category       exercise.Category `db:"category"`
	Description    string            `db:"description"`
	Instructions   string            `db:"instructions"`
	SuggestedMode  exercise.Mode     `db:"suggested_mode"`
	Audience       exercise.Audience `db:"audience"`
	Private        bool              `db:"private_to_counselor"`
	Recurring      bool              `db:"recurring"`
	NeedsReview    bool              `db:"needs_review"`
	Measure        string            `db:"measure"`
	Schema         []byte            `db:"schema"`
	ChangeNote     string            `db:"change_note"`
	CreatedAt      time.Time         `db:"created_at"`
}

// load reads version n (0: current) of a template visible to a.
func (s *Service) load(ctx context.Context, q sqlx.QueryerContext, a actor.Actor, id int64, n int, lock bool) (Detail, error) {
	query := `SELECT t.id, coalesce(t.slug, '') AS slug, t.visibility, t.owner_id, t.archived_at, t.current_version, t.needs_review,
		v.version, v.title, v.category, v.description, v.instructions, v.suggested_mode, v.audience,
		v.private_to_counselor, v.recurring, coalesce(v.measure, '') AS measure, v.schema, v.change_note, v.created_at
		FROM exercise_templates t JOIN template_versions v ON v.template_id = t.id
		WHERE ` + visibleTo + ` AND t.id = $3 AND v.version = CASE WHEN $4 = 0 THEN t.current_version ELSE $4 END`
	if lock {
		query += ` FOR UPDATE OF t`
	}
	var r versionRow
	err := sqlx.GetContext(ctx, q, &r, query, a.ClinicID, a.UserID, id, n)
	if errors.Is(err, sql.ErrNoRows) {
		if n != 0 {
			return Detail{}, apperr.New(apperr.NotFound, "That version of the exercise does not exist.")
		}
		return Detail{}, apperr.New(apperr.NotFound, "We could not find that exercise.")
	}
	if err != nil {
		return Detail{}, err
	}
	var sch exercise.Schema
	if err := json.Unmarshal(r.Schema, &sch); err != nil {
		return Detail{}, fmt.Errorf("template %d v%d: schema: %w", id, r.Version, err)
	}
	d := Detail{ID: r.ID, Slug: r.Slug, Visibility: r.Visibility, Mine: r.OwnerID.Valid && r.OwnerID.Int64 == a.UserID,
		ArchivedAt: r.ArchivedAt, CurrentVersion: r.CurrentVersion, Version: r.Version, Title: r.Title,
		Category: r.Category, Description: r.Description, Instructions: r.Instructions, SuggestedMode: r.SuggestedMode,
		Audience: r.Audience, Private: r.Private, Recurring: r.Recurring, NeedsReview: r.NeedsReview, Measure: r.Measure, Sections: sch.Sections,
		ChangeNote: r.ChangeNote, CreatedAt: r.CreatedAt}
	if d.Sections == nil {
		d.Sections = []exercise.Section{}
	}
	d.Versions = []VersionInfo{}
	err = sqlx.SelectContext(ctx, q, &d.Versions, `SELECT v.version, v.title, v.change_note, coalesce(u.name, '') AS created_by, v.created_at
		FROM template_versions v LEFT JOIN users u ON u.id = v.created_by
		WHERE v.template_id = $1 ORDER BY v.version DESC`, id)
	return d, err
}

// Get returns the current version of a template the caller can see.
func (s *Service) Get(ctx context.Context, a actor.Actor, id int64) (Detail, error) {
	return s.load(ctx, s.db, a, id, 0, false)
}

// Version returns version n of a template the caller can see. Archived
// templates and old versions stay readable: assignments pin them.
func (s *Service) Version(ctx context.Context, a actor.Actor, id int64, n int) (Detail, error) {
	if n <= 0 {
		return Detail{}, apperr.New(apperr.NotFound, "That version of the exercise does not exist.")
	}
	return s.load(ctx, s.db, a, id, n, false)
}

func (d Draft) template(private, recurring bool) exercise.Template {
	return exercise.Template{Title: strings.TrimSpace(d.Title), Category: d.Category, Description: strings.TrimSpace(d.Description),
		Instructions: strings.TrimSpace(d.Instructions), SuggestedMode: d.SuggestedMode, Audience: d.Audience,
		Private: private, Recurring: recurring, Schema: exercise.Schema{Sections: d.Sections}}
}

// fillKeys gives the draft's fields without a key one from their label
// (exercise.Schema.FillKeys): the builder asks for none, and API clients
// may leave it out. prev is the version being replaced.
func (d *Draft) fillKeys(prev exercise.Schema) {
	sch := exercise.Schema{Sections: d.Sections}
	sch.FillKeys(prev)
	d.Sections = sch.Sections
}

// validate checks a draft: the exercise rules plus visibility.
func validate(d Draft, t exercise.Template) error {
	errs := map[string]string{}
	for k, v := range t.Validate() {
		errs[k] = v
	}
	if d.Visibility != Private && d.Visibility != Clinic {
		errs["visibility"] = "Choose private (only you) or clinic (every counselor of your clinic)."
	}
	if len(errs) > 0 {
		msg := "The exercise has a problem: see the marked field."
		if len(errs) > 1 {
			msg = fmt.Sprintf("The exercise has %d problems: see the marked fields.", len(errs))
		}
		return apperr.Fields(msg, errs)
	}
	return nil
}

func insertVersion(ctx context.Context, tx sqlx.ExtContext, id int64, n int, t exercise.Template, note string, by sql.NullInt64) error {
	sch, err := json.Marshal(t.Schema)
	if err != nil {
		return err
	}
	measure := sql.NullString{String: t.Measure, Valid: t.Measure != ""}
	if _, err := tx.ExecContext(ctx, `INSERT INTO template_versions (template_id, version, title, category, description,
		instructions, suggested_mode, audience, private_to_counselor, recurring, schema, change_note, created_by, measure)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		id, n, t.Title, t.Category, t.Description, t.Instructions, t.SuggestedMode, t.Audience, t.Private, t.Recurring,
		sch, note, by, measure); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE exercise_templates SET title = $2, category = $3, suggested_mode = $4, audience = $5,
		description = $6, private_to_counselor = $7, recurring = $8, current_version = $9, measure = $10, updated_at = now() WHERE id = $1`,
		id, t.Title, t.Category, t.SuggestedMode, t.Audience, t.Description, t.Private, t.Recurring, n, measure)
	return err
}

// DefaultNeedsReview is whether a new template's submitted work waits in
// the review queue: yes, except daily check-ins (recurring exercises),
// which feed the chart, the couple page and the digest instead.
func DefaultNeedsReview(recurring bool) bool { return !recurring }

func insertTemplate(ctx context.Context, tx *db.Tx, a actor.Actor, visibility string, t exercise.Template, note string, needsReview bool) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `INSERT INTO exercise_templates (clinic_id, owner_id, title, category, suggested_mode,
		audience, description, private_to_counselor, recurring, visibility, needs_review)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		a.ClinicID, a.UserID, t.Title, t.Category, t.SuggestedMode, t.Audience, t.Description, t.Private, t.Recurring, visibility, needsReview)
	if err != nil {
		return 0, err
	}
	return id, insertVersion(ctx, tx, id, 1, t, note, sql.NullInt64{Int64: a.UserID, Valid: true})
}

// MeasureLocked is why a measure cannot be edited, in the builder or the API.
const MeasureLocked = "This is a validated measure: its items and answers are the published wording, and Mend scores it, so they can't be edited. Clone it to make an ordinary exercise of your own (Mend does not score a copy)."

func (s *Service) requireCounselor(a actor.Actor) error {
	if a.ClinicID == 0 || a.UserID == 0 {
		return apperr.New(apperr.Forbidden, "Choose a clinic first.")
	}
	return nil
}

// Create saves a new template owned by the caller (version 1).
func (s *Service) Create(ctx context.Context, a actor.Actor, d Draft) (Detail, error) {
	if err := s.requireCounselor(a); err != nil {
		return Detail{}, err
	}
	d.fillKeys(exercise.Schema{})
	t := d.template(false, false)
	if err := validate(d, t); err != nil {
		return Detail{}, err
	}
	var id int64
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var err error
		needsReview := DefaultNeedsReview(t.Recurring)
		if d.NeedsReview != nil {
			needsReview = *d.NeedsReview
		}
		if id, err = insertTemplate(ctx, tx, a, d.Visibility, t, "Created.", needsReview); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "template.create", ObjectType: "exercise_template", ObjectID: id})
	})
	if err != nil {
		return Detail{}, err
	}
	return s.Get(ctx, a, id)
}

// editable loads the current version for a change by its owner.
func (s *Service) editable(ctx context.Context, tx *db.Tx, a actor.Actor, id int64) (Detail, error) {
	cur, err := s.load(ctx, tx, a, id, 0, true)
	if err != nil {
		return cur, err
	}
	if cur.Measure != "" {
		return cur, apperr.New(apperr.Conflict, MeasureLocked)
	}
	if cur.Visibility == Builtin {
		return cur, apperr.New(apperr.Conflict, "Built-in exercises can't be changed. Clone it to make your own version.")
	}
	if !cur.Mine {
		return cur, apperr.New(apperr.Forbidden, "Only the counselor who made this exercise can change it. Clone it to make your own version.")
	}
	return cur, nil
}

// Update saves a new version of the caller's own template. An unchanged
// draft adds no version; a visibility or needs-review change alone adds
// none either.
func (s *Service) Update(ctx context.Context, a actor.Actor, id int64, d Draft) (Detail, error) {
	return s.update(ctx, a, id, func(Detail) Draft { return d })
}

// Settings are the members of a template that change without a new
// version (PATCH); nil leaves one as it is.
type Settings struct {
	NeedsReview *bool
	Visibility  *string
}

// Patch changes the settings of the caller's own template, on its current
// version (read under the template's lock, so a concurrent new version is
// never undone).
func (s *Service) Patch(ctx context.Context, a actor.Actor, id int64, st Settings) (Detail, error) {
	return s.update(ctx, a, id, func(cur Detail) Draft {
		d := cur.Draft()
		if st.NeedsReview != nil {
			d.NeedsReview = st.NeedsReview
		}
		if st.Visibility != nil {
			d.Visibility = *st.Visibility
		}
		return d
	})
}

func (s *Service) update(ctx context.Context, a actor.Actor, id int64, draft func(cur Detail) Draft) (Detail, error) {
	if err := s.requireCounselor(a); err != nil {
		return Detail{}, err
	}
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		cur, err := s.editable(ctx, tx, a, id)
		if err != nil {
			return err
		}
		d := draft(cur)
		old := cur.Exercise()
		d.fillKeys(old.Schema)
		t := d.template(old.Private, old.Recurring)
		if err := validate(d, t); err != nil {
			return err
		}
		detail := map[string]any{}
		if d.Visibility != cur.Visibility {
			if _, err := tx.ExecContext(ctx, `UPDATE exercise_templates SET visibility = $2, updated_at = now() WHERE id = $1`, id, d.Visibility); err != nil {
				return err
			}
			detail["visibility"] = d.Visibility
		}
		if d.NeedsReview != nil && *d.NeedsReview != cur.NeedsReview {
			if _, err := tx.ExecContext(ctx, `UPDATE exercise_templates SET needs_review = $2, updated_at = now() WHERE id = $1`, id, *d.NeedsReview); err != nil {
				return err
			}
			detail["needs_review"] = *d.NeedsReview
		}
		if note := ChangeNote(old, t); note != "" {
			if err := insertVersion(ctx, tx, id, cur.CurrentVersion+1, t, note, sql.NullInt64{Int64: a.UserID, Valid: true}); err != nil {
				return err
			}
			detail["version"] = cur.CurrentVersion + 1
		}
		if len(detail) == 0 {
			return nil
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "template.update", ObjectType: "exercise_template", ObjectID: id, Detail: detail})
	})
	if err != nil {
		return Detail{}, err
	}
	return s.Get(ctx, a, id)
}

// Clone copies the current version of a visible template into a new
// private template owned by the caller.
func (s *Service) Clone(ctx context.Context, a actor.Actor, id int64) (Detail, error) {
	if err := s.requireCounselor(a); err != nil {
		return Detail{}, err
	}
	var newID int64
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		src, err := s.load(ctx, tx, a, id, 0, false)
		if err != nil {
			return err
		}
		t := src.Exercise().Clone()
		t.Slug = ""
		t.Title = copyTitle(t.Title)
		note := fmt.Sprintf("Copied from “%s” (version %d).", src.Title, src.Version)
		if t.Measure != "" {
			// A copy of a validated measure is an ordinary exercise: its
			// owner may change the items, so Mend no longer scores it.
			t.Measure = ""
			note += " An ordinary exercise: Mend does not score it."
			d := "A copy of " + src.Title + ": an ordinary exercise. Mend does not score it, chart it or alert on it (only the built-in measure is scored).\n\n" + t.Description
			if utf8.RuneCountInString(d) <= exercise.MaxDescriptionLen {
				t.Description = d
			}
		}
		if newID, err = insertTemplate(ctx, tx, a, Private, t, note, src.NeedsReview); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "template.clone", ObjectType: "exercise_template", ObjectID: newID,
			Detail: map[string]any{"from": id, "from_version": src.Version}})
	})
	if err != nil {
		return Detail{}, err
	}
	return s.Get(ctx, a, newID)
}

func copyTitle(t string) string {
	const suffix = " (copy)"
	r := []rune(t)
	if max := exercise.MaxTitleLen - utf8.RuneCountInString(suffix); len(r) > max {
		r = r[:max]
	}
	return strings.TrimSpace(string(r)) + suffix
}

// Archive hides the caller's own template from the list. It stays readable,
// and assignments made from it keep working.
func (s *Service) Archive(ctx context.Context, a actor.Actor, id int64) (Detail, error) {
	if err := s.requireCounselor(a); err != nil {
		return Detail{}, err
	}
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		cur, err := s.editable(ctx, tx, a, id)
		if err != nil || cur.Archived() {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE exercise_templates SET archived_at = now(), updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "template.archive", ObjectType: "exercise_template", ObjectID: id})
	})
	if err != nil {
		return Detail{}, err
	}
	return s.Get(ctx, a, id)
}

// Restore brings an archived template of the caller's back into the list.
func (s *Service) Restore(ctx context.Context, a actor.Actor, id int64) (Detail, error) {
	if err := s.requireCounselor(a); err != nil {
		return Detail{}, err
	}
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		cur, err := s.editable(ctx, tx, a, id)
		if err != nil || !cur.Archived() {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE exercise_templates SET archived_at = NULL, updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "template.restore", ObjectType: "exercise_template", ObjectID: id})
	})
	if err != nil {
		return Detail{}, err
	}
	return s.Get(ctx, a, id)
}

func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	if r := []rune(s); len(r) > 180 {
		s = strings.TrimSpace(string(r[:180])) + "…"
	}
	return s
}
