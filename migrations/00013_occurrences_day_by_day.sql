-- +goose Up
-- Recurring work is made one occurrence at a time, on its local day (see
-- internal/assignment/occurrences.go). An occurrence exists at most once per
-- partner (or once for the joint response): the job that makes them may run
-- on several instances, or twice after a restart, and inserts with
-- ON CONFLICT DO NOTHING against this index. NULLS NOT DISTINCT makes the
-- joint response (partner_id NULL) unique too (PostgreSQL 15).
CREATE UNIQUE INDEX responses_occurrence_uniq ON responses (assignment_id, occurs_on, partner_id) NULLS NOT DISTINCT
    WHERE occurs_on IS NOT NULL;

-- Occurrences made up front by earlier releases for days still to come
-- (due at the end of a UTC day) are removed while nobody has touched them,
-- and the job makes them again on their local day with a local due time.
-- Touched ones (saved, signed, submitted, reviewed, answered, told about)
-- stay.
CREATE TEMPORARY TABLE unmade ON COMMIT DROP AS
    SELECT r.id, r.assignment_id, r.occurs_on
    FROM responses r JOIN assignments a ON a.id = r.assignment_id
    WHERE a.recur_every IS NOT NULL AND r.occurs_on > current_date
      AND r.status = 'draft' AND r.version = 1 AND r.started_at IS NULL AND r.submitted_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.response_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM signatures g WHERE g.response_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.response_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.response_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.reply_to = r.id);
DELETE FROM responses WHERE id IN (SELECT id FROM unmade);

-- The next day to make: the first removed one, or else the step after the
-- last one kept (NULL once past the last day).
UPDATE assignments a SET next_occurs_on = n.day
FROM (SELECT a.id,
        coalesce((SELECT min(u.occurs_on) FROM unmade u WHERE u.assignment_id = a.id),
                 (SELECT max(r.occurs_on) FROM responses r WHERE r.assignment_id = a.id)
                     + CASE a.recur_every WHEN 'week' THEN 7 ELSE 1 END) AS day
      FROM assignments a WHERE a.recur_every IS NOT NULL) n
WHERE a.id = n.id AND n.day <= a.recur_until;

-- +goose Down
-- Occurrences removed above are not made again up front: the job of this
-- release makes them; an older release would not.
UPDATE assignments SET next_occurs_on = NULL;
DROP INDEX responses_occurrence_uniq;
