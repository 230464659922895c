-- +goose NO TRANSACTION
-- +goose Up
-- The audit trail's list of actions (one probe per distinct action of a
-- clinic) and its filter by action. Built CONCURRENTLY so running instances
-- keep appending; an interrupted build leaves an invalid index: drop it first.
DROP INDEX CONCURRENTLY IF EXISTS audit_log_clinic_action_idx;
CREATE INDEX CONCURRENTLY audit_log_clinic_action_idx ON audit_log (clinic_id, action, seq DESC);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS audit_log_clinic_action_idx;
