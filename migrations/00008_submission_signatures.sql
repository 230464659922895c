-- +goose Up
-- A joint response's signatures are cleared by any later edit (you sign what
-- you read), so each submission keeps the signatures it was submitted with:
-- who signed which version, and when, stays visible once submitted.
ALTER TABLE submissions ADD COLUMN signatures jsonb NOT NULL DEFAULT '[]';
UPDATE submissions s SET signatures = g.list
FROM (SELECT s2.id, jsonb_agg(jsonb_build_object('partner_id', g.partner_id, 'version', g.version, 'signed_at', g.signed_at)
        ORDER BY g.signed_at) AS list
      FROM submissions s2 JOIN signatures g ON g.response_id = s2.response_id AND g.version = s2.version
      GROUP BY s2.id) g
WHERE g.id = s.id;

-- The replies that answer a response, listed on its page.
CREATE INDEX assignments_reply_to_idx ON assignments (reply_to) WHERE reply_to IS NOT NULL;

-- +goose Down
DROP INDEX assignments_reply_to_idx;
ALTER TABLE submissions DROP COLUMN signatures;
