package audit

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/paging"
)

// Filter narrows an audit listing. Zero values do not filter.
type Filter struct {
	ActorID  int64
	CoupleID int64
	Action   string
	// Person and Couple match by name: a part of the actor's name or of
	// the couple's label, case-insensitive (LIKE's wildcards are literal).
	Person, Couple string
	From, To       time.Time // From inclusive, To exclusive
	Limit          int       // default paging.Default, at most paging.Max
	After          int64     // keyset position: rows with seq < After
}

// Item is one audit row as shown to an admin: ids and actions, no content.
type Item struct {
	Seq        int64     `db:"seq" json:"seq"`
	At         time.Time `db:"at" json:"at"`
	ActorID    *int64    `db:"actor_id" json:"actor_id"`
	ActorName  *string   `db:"actor_name" json:"actor_name"`
	Action     string    `db:"action" json:"action"`
	ObjectType string    `db:"object_type" json:"object_type"`
	ObjectID   *int64    `db:"object_id" json:"object_id"`
	CoupleID   *int64    `db:"couple_id" json:"couple_id"`
	// CoupleLabel is the couple's label (the clinic's own couples only).
	CoupleLabel *string `db:"couple_label" json:"couple_label"`
	RequestID   string  `db:"request_id" json:"request_id"`
	IP          string  `db:"ip" json:"ip"`
}

// List returns one clinic's audit rows, newest first, keyset-paginated on
// seq (the (clinic_id, seq), (clinic_id, actor_id, seq) and
// (clinic_id, couple_id, seq) indexes serve it).
// The page's Next is the one opaque cursor (paging.EncodeID of the last
// seq shown); paging.DecodeID gives the After of the next call.
func List(ctx context.Context, q sqlx.QueryerContext, clinicID int64, f Filter) (paging.Page[Item], error) {
	if f.Limit <= 0 {
		f.Limit = paging.Default
	}
	f.Limit = min(f.Limit, paging.Max)
	args := []any{clinicID}
	where := "a.clinic_id = $1"
	add := func(cond string, v any) {
		args = append(args, v)
		where += " AND " + cond + "$" + strconv.Itoa(len(args))
	}
	if f.ActorID != 0 {
		add("a.actor_id = ", f.ActorID)
	}
	if f.CoupleID != 0 {
		add("a.couple_id = ", f.CoupleID)
	}
	if f.Action != "" {
		add("a.action = ", f.Action)
	}
	if f.Person != "" {
		add("u.name ILIKE ", "%"+likeEscape(f.Person)+"%")
	}
	if f.Couple != "" {
		args = append(args, "%"+likeEscape(f.Couple)+"%")
		where += " AND EXISTS (SELECT 1 FROM couples c WHERE c.id = a.couple_id AND c.clinic_id = a.clinic_id AND c.label ILIKE $" + strconv.Itoa(len(args)) + ")"
	}
	if !f.From.IsZero() {
		add("a.at >= ", f.From)
	}
	if !f.To.IsZero() {
		add("a.at < ", f.To)
	}
	if f.After > 0 {
		add("a.seq < ", f.After)
	}
	args = append(args, f.Limit+1)
	items := []Item{}
	err := sqlx.SelectContext(ctx, q, &items, `SELECT a.seq, a.at, a.actor_id, u.name AS actor_name, a.action,
		a.object_type, a.object_id, a.couple_id, c.label AS couple_label, a.request_id, a.ip
		FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
		LEFT JOIN couples c ON c.id = a.couple_id AND c.clinic_id = a.clinic_id
		WHERE `+where+` ORDER BY a.seq DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return paging.Page[Item]{}, err
	}
	p := paging.Page[Item]{Items: items}
	if len(items) > f.Limit {
		p.Items = items[:f.Limit]
		p.Next = paging.EncodeID(p.Items[f.Limit-1].Seq)
	}
	return p, nil
}

// likeEscape makes s match itself in a LIKE pattern (default escape \).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// Actions lists the actions that occur in a clinic's trail, for the
// filter's list (a loose index scan on (clinic_id, action): one probe per
// distinct action, whatever the size of the trail).
func Actions(ctx context.Context, q sqlx.QueryerContext, clinicID int64) ([]string, error) {
	out := []string{}
	err := sqlx.SelectContext(ctx, q, &out, `WITH RECURSIVE acts(action) AS (
			(SELECT action FROM audit_log WHERE clinic_id = $1 ORDER BY action LIMIT 1)
			UNION ALL
			SELECT (SELECT a.action FROM audit_log a WHERE a.clinic_id = $1 AND a.action > acts.action ORDER BY a.action LIMIT 1)
			FROM acts WHERE acts.action IS NOT NULL)
		SELECT action FROM acts WHERE action IS NOT NULL`, clinicID)
	return out, err
}
