-- +goose NO TRANSACTION
-- +goose Up
-- Moving a session finds the work due before it. Built CONCURRENTLY, outside
-- a transaction, so instances still running keep assigning while it builds;
-- a build interrupted earlier leaves an invalid index behind: drop it first.
DROP INDEX CONCURRENTLY IF EXISTS assignments_appointment_idx;
CREATE INDEX CONCURRENTLY assignments_appointment_idx ON assignments (appointment_id) WHERE appointment_id IS NOT NULL;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS assignments_appointment_idx;
