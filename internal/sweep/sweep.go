// Package sweep keeps the tables that only grow bounded: one periodic
// jobs.Sweep (on the leader, every ten minutes) deletes what no longer serves anyone —
// expired sessions and tokens, old sign-in failures and lockouts, links
// that can no longer be used, old notifications and bookkeeping. The audit
// trail is never swept: it is append-only by design.
package sweep

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/security"
)

// How long each kind of row is kept once it stops serving anyone.
const (
	LinkRetention         = 30 * 24 * time.Hour  // invitations and reset links after they expire, are used or revoked
	ReadNoticeRetention   = 90 * 24 * time.Hour  // notifications read this long ago
	UnreadNoticeRetention = 365 * 24 * time.Hour // notifications never read
	FailureRetention      = 90 * 24 * time.Hour  // undeliverable mail after an admin dismissed it
	BookkeepingRetention  = 14 * 24 * time.Hour  // reminder and digest bookkeeping
	batch                 = 5000                 // rows per statement, so no sweep holds locks for long
)

// rule is one table's sweep: a WHERE over its rows with $1 = now.
type rule struct {
	table, key, where string
}

var rules = []rule{
	{"sessions", "token", `expiry < $1::timestamptz`},
	{"api_tokens", "id", fmt.Sprintf(`expires_at < $1 OR last_used_at < $1::timestamptz - interval '%d seconds'`, int(auth.IdleTimeout.Seconds()))},
	{"login_failures", "id", fmt.Sprintf(`at < $1::timestamptz - interval '%d seconds'`, int(security.Window.Seconds()))},
	{"login_lockouts", "key", fmt.Sprintf(`locked_until < $1::timestamptz - interval '%d seconds'`, int(security.LockoutMemory.Seconds()))},
	// A link is of no use after it expires at the latest (used or revoked
	// ones sooner); it is kept a while so admins still see "expired".
	{"invitations", "id", fmt.Sprintf(`expires_at < $1::timestamptz - interval '%d seconds'`, secs(LinkRetention))},
	{"password_resets", "id", fmt.Sprintf(`expires_at < $1::timestamptz - interval '%d seconds'`, secs(LinkRetention))},
	{"notifications", "id", fmt.Sprintf(`read_at < $1::timestamptz - interval '%d seconds' OR created_at < $1::timestamptz - interval '%d seconds'`,
		secs(ReadNoticeRetention), secs(UnreadNoticeRetention))},
	{"mail_failures", "id", fmt.Sprintf(`dismissed_at < $1::timestamptz - interval '%d seconds'`, secs(FailureRetention))},
	{"reminder_sends", "ctid", fmt.Sprintf(`sent_at < $1::timestamptz - interval '%d seconds'`, secs(BookkeepingRetention))},
}

func secs(d time.Duration) int { return int(d.Seconds()) }

// Run sweeps every table once and returns how many rows each lost.
func Run(ctx context.Context, d *sqlx.DB, now time.Time) (map[string]int64, error) {
	out := map[string]int64{}
	for _, r := range rules {
		for {
			res, err := d.ExecContext(ctx, `DELETE FROM `+r.table+` WHERE `+r.key+` IN (SELECT `+r.key+` FROM `+r.table+
				` WHERE `+r.where+` LIMIT `+fmt.Sprint(batch)+`)`, now)
			if err != nil {
				return out, fmt.Errorf("sweep %s: %w", r.table, err)
			}
			n, _ := res.RowsAffected()
			out[r.table] += n
			if n < batch {
				break
			}
		}
	}
	return out, nil
}

// Tables is the sweep as a jobs.Sweep run (every ten minutes): how many
// rows went, in all.
func Tables(d *sqlx.DB) func(ctx context.Context, now time.Time) (int, error) {
	return func(ctx context.Context, now time.Time) (int, error) {
		n, err := Run(ctx, d, now)
		total := 0
		for _, v := range n {
			total += int(v)
		}
		return total, err
	}
}
