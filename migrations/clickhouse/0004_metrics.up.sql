-- What the metric queries (package analytics, metrics*.go) need beyond
-- 0003: tokens per model, links that know their conversation's owner, the
-- day each person first used each tool, and knowledge-gap topics.

-- Each conversation's tokens split by model (warehouse.ModelUsage), as
-- parallel arrays ordered by model: cost is priced per model at query time
-- (the price table is configuration, not data), and a conversation row is
-- one row per conversation, far fewer than its messages.
ALTER TABLE conversation_events
    ADD COLUMN IF NOT EXISTS usage_models            Array(LowCardinality(String)),
    ADD COLUMN IF NOT EXISTS usage_input_tokens       Array(UInt64),
    ADD COLUMN IF NOT EXISTS usage_output_tokens      Array(UInt64),
    ADD COLUMN IF NOT EXISTS usage_cache_read_tokens  Array(UInt64),
    ADD COLUMN IF NOT EXISTS usage_cache_write_tokens Array(UInt64),
    ADD COLUMN IF NOT EXISTS usage_reasoning_tokens   Array(UInt64);

-- The conversation's owner and start, so that linked commits count for the
-- person whose conversation led to them, and the time from conversation to
-- commit needs no join. Both are read when the link is projected.
ALTER TABLE link_events
    ADD COLUMN IF NOT EXISTS user_id                 UUID,
    ADD COLUMN IF NOT EXISTS conversation_started_at DateTime64(3, 'UTC');

-- The first day each person sent a message with each tool: new adopters
-- are the people whose first day falls in the window. min() only moves
-- earlier, so re-projected messages leave it exact (see 0003 on sets).
CREATE TABLE IF NOT EXISTS adopters (
    org_id    UUID,
    user_id   UUID,
    tool      LowCardinality(String),
    first_day SimpleAggregateFunction(min, Date)
) ENGINE = AggregatingMergeTree
ORDER BY (org_id, user_id, tool);

CREATE MATERIALIZED VIEW IF NOT EXISTS adopters_mv TO adopters AS
SELECT org_id, user_id, tool, min(toDate(sent_at)) AS first_day
FROM message_events
WHERE role = 'user'
GROUP BY org_id, user_id, tool;

-- Knowledge-gap topics: what the periodic clustering job found (package
-- analytics/topics). Each run of an org writes all its topics and the
-- topic of every question it clustered under a new run_id; metrics read
-- the org's latest run. Derived data: a rebuild re-runs the job rather
-- than copying anything from Postgres.
CREATE TABLE IF NOT EXISTS topic_runs (
    org_id      UUID,
    run_id      UUID,
    computed_at DateTime64(3, 'UTC'),
    -- The questions' window, [window_from, window_to).
    window_from DateTime64(3, 'UTC'),
    window_to   DateTime64(3, 'UTC'),
    questions   UInt32,
    topics      UInt32,
    model       LowCardinality(String)
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(computed_at)
ORDER BY (org_id, computed_at, run_id);

CREATE TABLE IF NOT EXISTS topics (
    org_id      UUID,
    run_id      UUID,
    topic       UInt32,
    computed_at DateTime64(3, 'UTC'),
    label       String,
    terms       Array(String)
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(computed_at)
ORDER BY (org_id, computed_at, run_id, topic);

CREATE TABLE IF NOT EXISTS topic_questions (
    org_id          UUID,
    run_id          UUID,
    topic           UInt32,
    message_id      Int64,
    conversation_id UUID,
    user_id         UUID,
    asked_at        DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(asked_at)
ORDER BY (org_id, run_id, topic, asked_at, message_id);
