-- +goose Up
-- The reminder sweep reads, every minute, the open responses due in the
-- next two days (internal/remind). Covering those columns lets it read the
-- index alone, not tens of thousands of scattered heap pages: the same key
-- and condition as responses_open_due_idx (00011), which it replaces.
CREATE INDEX responses_open_due_cover_idx ON responses (due_at)
    INCLUDE (clinic_id, couple_id, partner_id, assignment_id, occurs_on)
    WHERE status IN ('draft', 'revision_requested');
DROP INDEX responses_open_due_idx;

-- The people who chose a zone of their own, and which: the sweep lists
-- the zones in use and finds each person's from this small index instead
-- of reading every user.
CREATE INDEX users_own_zone_idx ON users (id) INCLUDE (time_zone) WHERE time_zone IS NOT NULL;

-- +goose Down
DROP INDEX users_own_zone_idx;
CREATE INDEX responses_open_due_idx ON responses (due_at) WHERE status IN ('draft', 'revision_requested');
DROP INDEX responses_open_due_cover_idx;
