-- +goose Up
-- Outcome measures (internal/measure): validated instruments stored as
-- built-in templates of their own kind, scored at submission.

-- A new category for them (the check only widens: every row the previous
-- release writes still satisfies it).
ALTER TABLE exercise_templates DROP CONSTRAINT exercise_templates_category_check;
ALTER TABLE exercise_templates ADD CONSTRAINT exercise_templates_category_check CHECK (category IN ('acknowledge', 'apologize',
    'transparency', 'boundaries', 'daily_practice', 'emotions_triggers', 'forgiveness', 'reconnect', 'safety', 'measures'));

-- The instrument a built-in measure is ("csi-4"), on the template and on
-- each immutable version (the version an assignment pins is what is scored).
-- Only built-ins carry one: a counselor's copy is an ordinary exercise.
ALTER TABLE exercise_templates ADD COLUMN measure text
    CHECK (measure ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND (visibility = 'builtin' OR measure IS NULL));
ALTER TABLE template_versions ADD COLUMN measure text;

-- Recurring every four weeks (the measures' typical schedule).
ALTER TABLE assignments DROP CONSTRAINT assignments_recur_every_check;
ALTER TABLE assignments ADD CONSTRAINT assignments_recur_every_check CHECK (recur_every IN ('day', 'week', 'four_weeks'));

-- The score of each submission of a measure, kept with it: a revision's
-- new submission gets its own row; a response's latest one is its score.
-- scored_on is the clinic's local day of the submission.
CREATE TABLE measure_scores (
    submission_id bigint PRIMARY KEY REFERENCES submissions(id),
    response_id   bigint NOT NULL REFERENCES responses(id),
    clinic_id     bigint NOT NULL REFERENCES clinics(id),
    couple_id     bigint NOT NULL REFERENCES couples(id),
    partner_id    bigint NOT NULL REFERENCES partners(id),
    assignment_id bigint NOT NULL REFERENCES assignments(id),
    occurs_on     date,
    measure       text NOT NULL,
    score         integer NOT NULL,
    band          text NOT NULL,
    distress      boolean NOT NULL,
    scored_on     date NOT NULL,
    submitted_at  timestamptz NOT NULL
);
CREATE INDEX measure_scores_couple_idx ON measure_scores (couple_id, measure, partner_id, submitted_at);
CREATE INDEX measure_scores_response_idx ON measure_scores (response_id, submission_id DESC);

-- Whether the couple sees their shared progress chart (both lines of the
-- couple measures). Off unless the counselor turns it on.
CREATE TABLE measure_sharing (
    couple_id  bigint PRIMARY KEY REFERENCES couples(id),
    clinic_id  bigint NOT NULL REFERENCES clinics(id),
    shared     boolean NOT NULL DEFAULT false,
    changed_by bigint NOT NULL REFERENCES users(id),
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- Alerts for the counselor: a score crossing the cut-off into distress, a
-- drop by the reliable-change figure or more, the partners moving apart.
-- The digest counts them (measure.AlertCounts); the app lists them.
CREATE TABLE measure_alerts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id     bigint NOT NULL REFERENCES clinics(id),
    couple_id     bigint NOT NULL REFERENCES couples(id),
    partner_id    bigint NOT NULL REFERENCES partners(id),
    submission_id bigint NOT NULL REFERENCES measure_scores(submission_id),
    measure       text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('distress', 'drop', 'apart')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX measure_alerts_couple_idx ON measure_alerts (couple_id, created_at DESC);
CREATE INDEX measure_alerts_clinic_idx ON measure_alerts (clinic_id, created_at);

-- +goose Down
DROP TABLE measure_alerts;
DROP TABLE measure_sharing;
DROP TABLE measure_scores;
ALTER TABLE assignments DROP CONSTRAINT assignments_recur_every_check;
ALTER TABLE assignments ADD CONSTRAINT assignments_recur_every_check CHECK (recur_every IN ('day', 'week'));
ALTER TABLE template_versions DROP COLUMN measure;
ALTER TABLE exercise_templates DROP COLUMN measure;
ALTER TABLE exercise_templates DROP CONSTRAINT exercise_templates_category_check;
ALTER TABLE exercise_templates ADD CONSTRAINT exercise_templates_category_check CHECK (category IN ('acknowledge', 'apologize',
    'transparency', 'boundaries', 'daily_practice', 'emotions_triggers', 'forgiveness', 'reconnect', 'safety'));
