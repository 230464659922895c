-- +goose NO TRANSACTION
-- +goose Up
-- The couple timeline (assignment.CoupleTimeline): a couple's events in
-- seq order without stepping over its reads, which outnumber them. Partial
-- on the timeline's actions, which its query names literally so the
-- planner can use it. Built CONCURRENTLY so running instances keep
-- appending; an interrupted build leaves an invalid index: drop it first.
DROP INDEX CONCURRENTLY IF EXISTS audit_log_couple_timeline_idx;
CREATE INDEX CONCURRENTLY audit_log_couple_timeline_idx ON audit_log (clinic_id, couple_id, seq DESC)
    WHERE action IN ('assignment.create', 'assignment.cancel', 'response.submit', 'response.review',
        'response.share', 'response.unshare', 'appointment.create', 'appointment.move', 'appointment.cancel');

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS audit_log_couple_timeline_idx;
