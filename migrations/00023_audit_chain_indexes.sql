-- +goose NO TRANSACTION
-- +goose Up
-- The head of each chain (the last position of a clinic's chain) and the
-- last legacy row, for appends. Built CONCURRENTLY, outside a transaction,
-- so instances still running keep appending while they build; a build
-- interrupted earlier leaves an invalid index behind: drop it first.
DROP INDEX CONCURRENTLY IF EXISTS audit_log_chain_idx;
CREATE UNIQUE INDEX CONCURRENTLY audit_log_chain_idx ON audit_log (chain, chain_seq) WHERE chain IS NOT NULL;
DROP INDEX CONCURRENTLY IF EXISTS audit_log_legacy_idx;
CREATE INDEX CONCURRENTLY audit_log_legacy_idx ON audit_log (seq) WHERE chain IS NULL;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS audit_log_legacy_idx;
DROP INDEX CONCURRENTLY IF EXISTS audit_log_chain_idx;
