-- +goose Up
-- Whether submitted work of an exercise waits in the counselor's review
-- queue. Letters, plans and worksheets do (the default, so the previous
-- release's INSERTs, which do not name the column, keep today's
-- behaviour); daily check-ins (the recurring exercises) do not: they feed
-- the chart, the couple page and the digest, and stay open to a review
-- from the couple page. An assignment carries what its template said when
-- it was assigned, so changing the template later moves no one's queue.
ALTER TABLE exercise_templates ADD COLUMN needs_review boolean NOT NULL DEFAULT true;
ALTER TABLE assignments ADD COLUMN needs_review boolean NOT NULL DEFAULT true;
UPDATE exercise_templates SET needs_review = false WHERE recurring;
UPDATE assignments a SET needs_review = false
    FROM template_versions v
    WHERE v.template_id = a.template_id AND v.version = a.template_version AND v.recurring;

-- +goose Down
ALTER TABLE assignments DROP COLUMN needs_review;
ALTER TABLE exercise_templates DROP COLUMN needs_review;
