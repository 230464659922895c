-- +goose Up
-- The counselor's private note for a session: plain text for its author
-- alone (never a client, never an admin), saved like drafts are, with a
-- version so a stale save is refused with the current text. One note per
-- session and author: a counselor who takes a couple over starts their own.
CREATE TABLE appointment_notes (
    appointment_id bigint  NOT NULL REFERENCES appointments(id),
    author_id      bigint  NOT NULL REFERENCES users(id),
    clinic_id      bigint  NOT NULL REFERENCES clinics(id),
    body           text    NOT NULL DEFAULT '' CHECK (length(body) <= 40000),
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (appointment_id, author_id)
);

-- A counselor's private calendar feed (iCalendar) per clinic: the secret in
-- its URL is stored as a keyed hash, like invitation links, so a leaked
-- table yields no usable URL. Regenerating replaces the row: the old URL
-- stops at once.
CREATE TABLE calendar_feeds (
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    clinic_id  bigint NOT NULL REFERENCES clinics(id),
    token_hash bytea  NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz,
    PRIMARY KEY (user_id, clinic_id)
);

-- +goose Down
DROP TABLE calendar_feeds;
DROP TABLE appointment_notes;
