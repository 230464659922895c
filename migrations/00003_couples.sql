-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE couples (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id     bigint NOT NULL REFERENCES clinics(id),
    label         text   NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    counselor_id  bigint NOT NULL REFERENCES users(id),
    status        text   NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'closed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (clinic_id, id)
);
-- Keyset pages by label within a clinic, optionally per counselor and status.
CREATE INDEX couples_clinic_label_idx ON couples (clinic_id, lower(label), id);
CREATE INDEX couples_clinic_counselor_idx ON couples (clinic_id, counselor_id, lower(label), id);
CREATE INDEX couples_clinic_status_idx ON couples (clinic_id, status, lower(label), id);
CREATE INDEX couples_label_trgm_idx ON couples USING gin (lower(label) gin_trgm_ops);

-- The two partners of a couple (slot A and B). user_id is set when the
-- partner accepts the invitation.
CREATE TABLE partners (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id  bigint NOT NULL REFERENCES couples(id),
    clinic_id  bigint NOT NULL REFERENCES clinics(id),
    slot       text   NOT NULL CHECK (slot IN ('A', 'B')),
    name       text   NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email      text   NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    user_id    bigint REFERENCES users(id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (couple_id, slot)
);
CREATE INDEX partners_user_idx ON partners (user_id, clinic_id);

-- One-time invitation links: the token is stored as a keyed hash.
CREATE TABLE invitations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id   bigint NOT NULL REFERENCES clinics(id),
    token_hash  bytea  NOT NULL UNIQUE,
    email       text   NOT NULL,
    name        text   NOT NULL,
    role        text   NOT NULL CHECK (role IN ('clinic_admin', 'counselor', 'client')),
    partner_id  bigint REFERENCES partners(id),
    user_id     bigint REFERENCES users(id), -- for re-issued invitations to an existing member
    created_by  bigint REFERENCES users(id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX invitations_clinic_idx ON invitations (clinic_id, role, created_at DESC);
CREATE INDEX invitations_partner_idx ON invitations (partner_id) WHERE partner_id IS NOT NULL;

-- +goose Down
DROP TABLE invitations;
DROP TABLE partners;
DROP TABLE couples;
