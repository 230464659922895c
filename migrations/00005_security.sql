-- +goose Up
-- Login throttling, shared by every server instance. Keys are
-- "email:<sha-256 of the normalized email>" or "ip:<address>".
CREATE TABLE login_failures (
    key text        NOT NULL,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_at_idx ON login_failures (key, at);

-- Account lockouts: how many in a row (the next one lasts twice as long).
CREATE TABLE login_lockouts (
    key          text PRIMARY KEY,
    lockouts     integer     NOT NULL DEFAULT 0,
    locked_until timestamptz NOT NULL
);

-- TOTP second factor. The secret is encrypted (AES-GCM, key derived from
-- MEND_SECRET_KEY); last_step refuses reuse of a code's time step.
CREATE TABLE user_totp (
    user_id      bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_enc   bytea  NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    last_step    bigint NOT NULL DEFAULT 0
);

-- One-time recovery codes, stored as keyed hashes.
CREATE TABLE recovery_codes (
    user_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash bytea  NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- +goose Down
DROP TABLE recovery_codes;
DROP TABLE user_totp;
DROP TABLE login_lockouts;
DROP TABLE login_failures;
