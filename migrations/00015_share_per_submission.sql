-- +goose Up
-- A share covers the text that was shared: shared_submission_id is the
-- submission the other partner may read (NULL: none), set when the author
-- shares, at or after a submission. A resubmission is not shared until the
-- author says so again; responses.shared stays the author's last choice,
-- which pre-sets that question.
ALTER TABLE responses ADD COLUMN shared_submission_id bigint REFERENCES submissions(id);
-- Until now a share (and a reveal together) reached the latest submission.
UPDATE responses r SET shared_submission_id = (SELECT max(s.id) FROM submissions s WHERE s.response_id = r.id)
WHERE r.submitted_at IS NOT NULL AND r.partner_id IS NOT NULL
  AND (r.shared OR EXISTS (SELECT 1 FROM assignments a WHERE a.id = r.assignment_id AND a.reveal = 'together'));

-- +goose Down
ALTER TABLE responses DROP COLUMN shared_submission_id;
