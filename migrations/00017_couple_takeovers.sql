-- +goose Up
-- An admin who is also a counselor may take a couple over (reassign it to
-- themself), which opens its clinical content to them: a deliberate,
-- visible act. Each takeover is kept with its reason, shown on every
-- admin's home and on the previous counselor's, and audited
-- (couple.takeover).
CREATE TABLE couple_takeovers (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id             bigint NOT NULL REFERENCES clinics(id),
    couple_id             bigint NOT NULL REFERENCES couples(id),
    admin_id              bigint NOT NULL REFERENCES users(id), -- who took it over (its new counselor)
    previous_counselor_id bigint NOT NULL REFERENCES users(id),
    reason                text   NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX couple_takeovers_clinic_idx ON couple_takeovers (clinic_id, created_at DESC, id DESC);
CREATE INDEX couple_takeovers_previous_idx ON couple_takeovers (previous_counselor_id, clinic_id, created_at DESC, id DESC);

-- +goose Down
DROP TABLE couple_takeovers;
