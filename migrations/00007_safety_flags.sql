-- +goose Up
-- A safety check whose answers are concerning is flagged for the counselor
-- at submission: the keys of the concerning fields (never their content).
ALTER TABLE responses ADD COLUMN concern_fields text[] NOT NULL DEFAULT '{}';
CREATE INDEX responses_concern_idx ON responses (couple_id) WHERE cardinality(concern_fields) > 0;

-- +goose Down
DROP INDEX responses_concern_idx;
ALTER TABLE responses DROP COLUMN concern_fields;
