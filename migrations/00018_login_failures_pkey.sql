-- +goose NO TRANSACTION
-- +goose Up
-- login_failures.id (added in 00009) had no index, so the throttle's
-- "take this attempt back" (DELETE ... WHERE id = ANY(...)) scanned the
-- whole table on every sign-in. It becomes the primary key.
--
-- The index is built CONCURRENTLY, outside a transaction, so instances
-- still running keep counting sign-in failures while it builds (a plain
-- ADD PRIMARY KEY would lock the table for the whole build); attaching it
-- as the primary key then takes the table's lock only for a moment. A
-- build interrupted earlier leaves an invalid index behind: drop it first.
DROP INDEX CONCURRENTLY IF EXISTS login_failures_id_idx;
CREATE UNIQUE INDEX CONCURRENTLY login_failures_id_idx ON login_failures (id);
ALTER TABLE login_failures ADD CONSTRAINT login_failures_pkey PRIMARY KEY USING INDEX login_failures_id_idx;

-- +goose Down
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey;
