-- +goose Up
-- Sessions: a couple's appointments with their counselor. The table is
-- called appointments because "sessions" is the browser session store's.
-- One row per occurrence: a repeated series shares series_id (the id of its
-- first occurrence), and each occurrence can be moved or cancelled alone.
-- starts_at is an instant; its local date and time are the clinic's (a
-- weekly 17:00 stays 17:00 across a daylight-saving change). Cancelled
-- sessions stay, like past ones: the history of the work.
CREATE TABLE appointments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id    bigint NOT NULL REFERENCES clinics(id),
    couple_id    bigint NOT NULL,
    series_id    bigint REFERENCES appointments(id),
    starts_at    timestamptz NOT NULL,
    minutes      integer NOT NULL CHECK (minutes BETWEEN 10 AND 480),
    -- A short place or format note ("Room 2", "video"): the counselor's.
    place        text NOT NULL DEFAULT '' CHECK (length(place) <= 200),
    status       text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    -- iCalendar's SEQUENCE: one more on every move or cancellation, so a
    -- subscribed calendar takes the newer event.
    sequence     integer NOT NULL DEFAULT 0,
    created_by   bigint NOT NULL REFERENCES users(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    cancelled_at timestamptz,
    FOREIGN KEY (clinic_id, couple_id) REFERENCES couples (clinic_id, id)
);
-- A couple's sessions in time (next, previous, the couple page).
CREATE INDEX appointments_couple_idx ON appointments (couple_id, starts_at);
-- A clinic's sessions in time (a counselor's day and week, the calendar
-- feed, the admin's counts).
CREATE INDEX appointments_clinic_idx ON appointments (clinic_id, starts_at);

-- Work due "before the next session" names that session, and its due time
-- follows the session when it moves (the index is 00027's).
ALTER TABLE assignments ADD COLUMN appointment_id bigint REFERENCES appointments(id);

-- +goose Down
ALTER TABLE assignments DROP COLUMN appointment_id;
DROP TABLE appointments;
