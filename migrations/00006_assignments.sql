-- +goose Up
-- Assignments pin the template version they were made from; responses exist
-- from the moment of assignment (one per partner, or one joint, per occurrence).
CREATE TABLE assignments (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id        bigint NOT NULL REFERENCES clinics(id),
    couple_id        bigint NOT NULL REFERENCES couples(id),
    template_id      bigint NOT NULL,
    template_version integer NOT NULL,
    mode             text NOT NULL CHECK (mode IN ('individual', 'each', 'joint')),
    partner_id       bigint REFERENCES partners(id),
    reveal           text NOT NULL DEFAULT 'private' CHECK (reveal IN ('private', 'together')),
    reply_to         bigint, -- a response id (FK added below)
    due_at           timestamptz,
    instructions     text NOT NULL DEFAULT '' CHECK (length(instructions) <= 4000),
    recur_every      text CHECK (recur_every IN ('day', 'week')),
    recur_until      date,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
    created_by       bigint NOT NULL REFERENCES users(id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (template_id, template_version) REFERENCES template_versions (template_id, version),
    CHECK ((mode = 'individual') = (partner_id IS NOT NULL)),
    CHECK ((recur_every IS NULL) = (recur_until IS NULL))
);
CREATE INDEX assignments_couple_idx ON assignments (couple_id, created_at DESC, id DESC);
CREATE INDEX assignments_clinic_idx ON assignments (clinic_id, id);

CREATE TABLE responses (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id     bigint NOT NULL REFERENCES clinics(id),
    couple_id     bigint NOT NULL REFERENCES couples(id),
    assignment_id bigint NOT NULL REFERENCES assignments(id),
    partner_id    bigint REFERENCES partners(id), -- NULL: the joint response
    occurs_on     date,                           -- recurring occurrences
    due_at        timestamptz,
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'revision_requested', 'accepted')),
    answers       jsonb NOT NULL DEFAULT '{}',
    version       integer NOT NULL DEFAULT 1,
    shared        boolean NOT NULL DEFAULT false,
    started_at    timestamptz,
    submitted_at  timestamptz,
    reviewed_at   timestamptz,
    feedback_unread boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX responses_assignment_idx ON responses (assignment_id, occurs_on, partner_id);
-- The review queue: submitted, not yet reviewed, oldest first, per couple.
CREATE INDEX responses_review_idx ON responses (couple_id, submitted_at, id) WHERE status = 'submitted';
-- A couple's work (a partner's home, the check-in chart, counts) by due date.
CREATE INDEX responses_couple_idx ON responses (couple_id, due_at, id);
ALTER TABLE assignments ADD FOREIGN KEY (reply_to) REFERENCES responses(id);

-- Every submission is kept as a snapshot, so the counselor sees what changed.
CREATE TABLE submissions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    response_id  bigint NOT NULL REFERENCES responses(id),
    version      integer NOT NULL,
    answers      jsonb NOT NULL,
    submitted_by bigint NOT NULL REFERENCES users(id),
    submitted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX submissions_response_idx ON submissions (response_id, id DESC);

CREATE TABLE reviews (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    response_id   bigint NOT NULL REFERENCES responses(id),
    submission_id bigint NOT NULL REFERENCES submissions(id),
    counselor_id  bigint NOT NULL REFERENCES users(id),
    decision      text NOT NULL CHECK (decision IN ('accept', 'revise')),
    comment       text NOT NULL DEFAULT '' CHECK (length(comment) <= 8000),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reviews_response_idx ON reviews (response_id, id DESC);

-- Joint agreements: each partner signs the version they read.
CREATE TABLE signatures (
    response_id bigint NOT NULL REFERENCES responses(id),
    partner_id  bigint NOT NULL REFERENCES partners(id),
    version     integer NOT NULL,
    signed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (response_id, partner_id)
);

-- +goose Down
DROP TABLE signatures;
DROP TABLE reviews;
DROP TABLE submissions;
ALTER TABLE assignments DROP CONSTRAINT IF EXISTS assignments_reply_to_fkey;
DROP TABLE responses;
DROP TABLE assignments;
