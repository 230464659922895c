-- +goose Up
-- The audit trail: append-only and HMAC-chained (the key lives outside the
-- database). Rows carry ids and actions, never clinical content.
CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint,
    clinic_id   bigint,
    action      text NOT NULL,
    object_type text NOT NULL DEFAULT '',
    object_id   bigint,
    couple_id   bigint,
    request_id  text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '{}', -- exact JSON that was hashed
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);
CREATE INDEX audit_log_clinic_seq_idx ON audit_log (clinic_id, seq DESC);
CREATE INDEX audit_log_clinic_actor_idx ON audit_log (clinic_id, actor_id, seq DESC);
CREATE INDEX audit_log_clinic_couple_idx ON audit_log (clinic_id, couple_id, seq DESC) WHERE couple_id IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
