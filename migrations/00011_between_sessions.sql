-- +goose Up
-- Between sessions: time zones, notification settings, in-app notifications,
-- undeliverable mail, reminder bookkeeping, recurring work made day by day,
-- and pauses that stop the clock. Version 10 (River's job-queue schema) is
-- the Go migration in river.go.

-- IANA zone names (validated by Mend). A clinic without one runs on UTC and
-- its admins are told so; a user without one follows the clinic.
ALTER TABLE clinics ADD COLUMN time_zone text CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 64);
ALTER TABLE users ADD COLUMN time_zone text CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 64);

-- What each person wants to receive. No row: the defaults. Hours are local
-- and outside the quiet hours (21:00–8:00).
CREATE TABLE notification_settings (
    user_id       bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    reminders     boolean  NOT NULL DEFAULT true,
    reminder_hour smallint NOT NULL DEFAULT 9 CHECK (reminder_hour BETWEEN 8 AND 20),
    checkin_hour  smallint NOT NULL DEFAULT 19 CHECK (checkin_hour BETWEEN 8 AND 20),
    updates       boolean  NOT NULL DEFAULT true,
    digest        boolean  NOT NULL DEFAULT true,
    digest_hour   smallint NOT NULL DEFAULT 8 CHECK (digest_hour BETWEEN 8 AND 20),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- "What's new": one row per person told, written in the transaction of the
-- change that caused it. Rows name objects by id; the page words them.
CREATE TABLE notifications (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id     bigint NOT NULL REFERENCES clinics(id),
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind          text   NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    actor_id      bigint REFERENCES users(id),
    couple_id     bigint REFERENCES couples(id),
    assignment_id bigint REFERENCES assignments(id),
    response_id   bigint REFERENCES responses(id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    read_at       timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, clinic_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, clinic_id) WHERE read_at IS NULL;

-- Mail that could not be delivered (a permanent SMTP refusal, or retries
-- exhausted), shown to the clinic's admins.
CREATE TABLE mail_failures (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id    bigint REFERENCES clinics(id),
    job_id       bigint NOT NULL UNIQUE,
    kind         text   NOT NULL,
    recipient    text   NOT NULL,
    user_id      bigint REFERENCES users(id) ON DELETE SET NULL,
    reason       text   NOT NULL,
    attempts     integer NOT NULL,
    failed_at    timestamptz NOT NULL DEFAULT now(),
    dismissed_at timestamptz
);
CREATE INDEX mail_failures_clinic_idx ON mail_failures (clinic_id, id DESC);

-- At most one reminder mail and one digest per person per local day.
CREATE TABLE reminder_sends (
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind    text   NOT NULL CHECK (kind IN ('reminder', 'digest')),
    day     date   NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind, day)
);

-- Recurring work is made one occurrence at a time, on its local day, by a
-- job: next_occurs_on is the next day to make (NULL once past the end).
ALTER TABLE assignments ADD COLUMN next_occurs_on date;
CREATE INDEX assignments_next_occurrence_idx ON assignments (next_occurs_on)
    WHERE next_occurs_on IS NOT NULL AND status = 'active';

-- A pause stops the clock: while paused nothing is made, reminded or
-- overdue; resuming moves open due dates on by the length of the pause.
ALTER TABLE couples ADD COLUMN paused_at timestamptz;
UPDATE couples SET paused_at = updated_at WHERE status = 'paused';

-- Reminders and the digest look up open work by due time.
CREATE INDEX responses_open_due_idx ON responses (due_at) WHERE status IN ('draft', 'revision_requested');

-- +goose Down
DROP INDEX responses_open_due_idx;
ALTER TABLE couples DROP COLUMN paused_at;
DROP INDEX assignments_next_occurrence_idx;
ALTER TABLE assignments DROP COLUMN next_occurs_on;
DROP TABLE reminder_sends;
DROP TABLE mail_failures;
DROP TABLE notifications;
DROP TABLE notification_settings;
ALTER TABLE users DROP COLUMN time_zone;
ALTER TABLE clinics DROP COLUMN time_zone;
