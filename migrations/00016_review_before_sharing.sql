-- +goose Up
-- "Review before sharing": the counselor may mark an assignment so that its
-- authors can share a submission with the other partner only once the
-- counselor has accepted it (an apology letter is best read together in
-- session first).
ALTER TABLE assignments ADD COLUMN review_before_sharing boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE assignments DROP COLUMN review_before_sharing;
