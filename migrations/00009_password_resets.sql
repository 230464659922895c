-- +goose Up
-- One-time password-reset links an admin issues for a member of the clinic
-- (counselor or client). The token is stored as a keyed hash, like
-- invitations; issuing a new link revokes the user's pending ones.
CREATE TABLE password_resets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id   bigint NOT NULL REFERENCES clinics(id),
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  bytea  NOT NULL UNIQUE,
    created_by  bigint REFERENCES users(id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX password_resets_pending_idx ON password_resets (user_id) WHERE used_at IS NULL AND revoked_at IS NULL;

-- Each counted attempt gets an id, so an attempt that turns out right can
-- take back exactly the row it reserved (the throttle counts an attempt
-- before checking it, so parallel attempts cannot exceed the limit).
ALTER TABLE login_failures ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;

-- +goose Down
ALTER TABLE login_failures DROP COLUMN id;
DROP TABLE password_resets;
