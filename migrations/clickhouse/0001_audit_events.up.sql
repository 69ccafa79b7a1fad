-- Audit events, append-only. One row per event; a replayed write of the
-- same event (a retried job) collapses into one row on merge, because
-- event_id is part of the sorting key. Queries are scoped by org_id and a
-- time range, which the key and the monthly partitions serve.
CREATE TABLE IF NOT EXISTS audit_events (
    org_id      UUID,
    event_id    UUID,
    occurred_at DateTime64(3, 'UTC'),
    actor_id    String,
    action      LowCardinality(String),
    target      String,
    details     String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (org_id, occurred_at, event_id);
