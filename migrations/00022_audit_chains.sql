-- +goose Up
-- The audit trail becomes one HMAC chain per clinic, and one for the
-- installation's own events (chain 0), instead of one chain for the whole
-- installation: appends of different clinics no longer wait on one lock.
-- Each new row names its chain and its position in it (chain, chain_seq);
-- its seq comes from audit_log_seq, in the order rows were appended, with
-- gaps where a transaction rolled back. The rows written before this
-- migration (chain NULL) stay the legacy chain, verified as before; the
-- first row of every new chain links to the legacy chain's last row, so
-- that history cannot be cut without breaking every chain. See
-- internal/audit and docs/architecture.md.
--
-- While instances of the previous release still run (a rolling deploy),
-- they append legacy rows: under the installation-wide advisory lock
-- (which new appends take in shared mode, so they wait only on such an
-- append, never on each other), at max(seq) + 1, linked to the row before
-- it. The trigger moves audit_log_seq past such a row so no new row takes
-- its number; it runs as the migration's owner, since the application's
-- role may only use the sequence (docs/security.md).
ALTER TABLE audit_log ADD COLUMN chain bigint, ADD COLUMN chain_seq bigint;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_chain_check
    CHECK ((chain IS NULL AND chain_seq IS NULL) OR (chain = coalesce(clinic_id, 0) AND chain_seq > 0)) NOT VALID;

CREATE SEQUENCE audit_log_seq AS bigint;
-- Numbered from the last row, with no legacy append in between.
SELECT pg_advisory_xact_lock(1835101796);
SELECT setval('audit_log_seq', max(seq)) FROM audit_log HAVING max(seq) IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION audit_log_legacy_seq() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$
BEGIN
    PERFORM setval('public.audit_log_seq', greatest(NEW.seq, (SELECT last_value FROM public.audit_log_seq)));
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_legacy_seq BEFORE INSERT ON audit_log
    FOR EACH ROW WHEN (NEW.chain IS NULL) EXECUTE FUNCTION audit_log_legacy_seq();

-- +goose Down
DROP TRIGGER audit_log_legacy_seq ON audit_log;
DROP FUNCTION audit_log_legacy_seq();
DROP SEQUENCE audit_log_seq;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_chain_check;
ALTER TABLE audit_log DROP COLUMN chain, DROP COLUMN chain_seq;
