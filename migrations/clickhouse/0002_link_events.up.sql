-- Conversation→commit link changes, for analytics (AI-assisted commits,
-- conversations→commits ratios). One row per change of a link; the newest
-- version of each (org, conversation, commit) wins on merge, and linked = 0
-- records a link that no longer holds.
CREATE TABLE IF NOT EXISTS link_events (
    org_id          UUID,
    conversation_id UUID,
    commit_id       UUID,
    commit_sha      String,
    repo            String,
    committed_at    DateTime64(3, 'UTC'),
    confidence      Float32,
    signals         Array(LowCardinality(String)),
    linked          UInt8,
    version         DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(committed_at)
ORDER BY (org_id, committed_at, conversation_id, commit_id);
