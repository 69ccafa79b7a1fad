-- Analytics events: the state of every conversation, message, commit and
-- search, projected from Postgres (the system of record) by River jobs and
-- by `ctxintel warehouse rebuild` (package analytics).
--
-- Each table holds one row per entity once merged: ReplacingMergeTree
-- keyed by org, then a time that never changes for the entity, then the
-- entity's id. A projection can be written any number of times (a retried
-- job, a conversation re-projected after every captured turn, a rebuild);
-- all its rows share the sorting key and collapse into the one with the
-- highest version. Because the partition and sorting keys hold only
-- immutable columns, every row of an entity lands in the same partition
-- and the same key, so collapsing always finds them.
--
-- Reading an entity's current state means reading with FINAL (or
-- argMax(..., version) grouped by the entity id): until a background merge
-- has run, older versions are still stored. Every query is bounded by org
-- and a time range.

-- One row per conversation: its header and totals as Postgres holds them.
-- started_at is when it happened (the session's start, or when it was
-- captured for formats that record no time) and can still move earlier
-- when a later capture holds earlier messages, so the key uses created_at,
-- when Postgres first stored the conversation, which never changes.
-- ended_at is the session's end, or started_at when none is recorded.
-- version is the Postgres time at which the state was read: later reads
-- see later states, so the newest read wins even when two captures of one
-- session commit out of order.
CREATE TABLE IF NOT EXISTS conversation_events (
    org_id             UUID,
    conversation_id    UUID,
    user_id            UUID,
    tool               LowCardinality(String),
    models             Array(LowCardinality(String)),
    repo               String,
    created_at         DateTime64(3, 'UTC'),
    started_at         DateTime64(3, 'UTC'),
    ended_at           DateTime64(3, 'UTC'),
    messages           UInt32,
    user_messages      UInt32,
    tool_calls         UInt32,
    input_tokens       UInt64,
    output_tokens      UInt64,
    cache_read_tokens  UInt64,
    cache_write_tokens UInt64,
    reasoning_tokens   UInt64,
    version            DateTime64(3, 'UTC'),
    INDEX started_at_idx started_at TYPE minmax GRANULARITY 4
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY (org_id, created_at, conversation_id);

-- One row per message. A message captured mid-turn is rewritten by a
-- later capture (streamed text that grew, its model or token counts
-- arriving), so its text size, model and tokens can change; version works
-- as for conversations. Its role, time, conversation, user and tool never
-- change. sent_at is the message's time, or when it was stored for formats
-- without times.
CREATE TABLE IF NOT EXISTS message_events (
    org_id          UUID,
    conversation_id UUID,
    message_id      Int64,
    user_id         UUID,
    tool            LowCardinality(String),
    role            LowCardinality(String),
    model           LowCardinality(String),
    sent_at         DateTime64(3, 'UTC'),
    chars           UInt32,
    input_tokens    UInt64,
    output_tokens   UInt64,
    version         DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(sent_at)
ORDER BY (org_id, sent_at, message_id);

-- One row per commit. A commit is completed after it is first stored (a
-- push payload lists files; the diff arrives later), so additions,
-- deletions and files can grow; version works as for conversations.
CREATE TABLE IF NOT EXISTS commit_events (
    org_id       UUID,
    commit_id    UUID,
    repo         String,
    sha          String,
    author_email String,
    committed_at DateTime64(3, 'UTC'),
    additions    UInt32,
    deletions    UInt32,
    files        UInt32,
    version      DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(committed_at)
ORDER BY (org_id, committed_at, commit_id);

-- One row per search (knowledge gaps: searches that found nothing). The
-- query is stored as recorded, secrets already redacted.
CREATE TABLE IF NOT EXISTS search_events (
    org_id      UUID,
    event_id    UUID,
    user_id     UUID,
    occurred_at DateTime64(3, 'UTC'),
    mode        LowCardinality(String),
    results     UInt32,
    latency_ms  Float32,
    no_result   UInt8,
    query       String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (org_id, occurred_at, event_id);

-- Daily rollups.
--
-- A materialized view sees every inserted row, not the merged state, so a
-- view summing the event tables would count an entity once per write: a
-- conversation re-projected after each of its 50 turns would count 50
-- times, and a retried job's rows twice; and a sum cannot be corrected
-- afterwards, as it does not remember what each entity added. The
-- rollups therefore hold sets, not sums: their aggregate states are the
-- sets of entity ids (uniqExact; groupBitmap for the integer message ids),
-- and adding an id that is already there changes nothing. Writing the same
-- entity again, in any order and any number of times, leaves them exact.
-- That holds only while a row's grouping columns never change for its
-- entity (an id cannot be taken back out of a group it no longer belongs
-- to), so each rollup groups by columns that are immutable for it: a
-- message's day, user, tool and role (not its model, which a later capture
-- can fill in), a search's columns, and the commit columns that identify a
-- commit.
--
-- Sums whose inputs change (tokens and totals of conversations and
-- messages, lines of commits) and breakdowns by mutable columns (model) are
-- not rolled up: metrics read them from the event tables with FINAL within
-- the requested time range, where conversation_events is already one row
-- per conversation.
--
-- Rows removed from an event table (a rebuild's wipe) must be removed from
-- the rollups as well: views only react to inserts.

-- Activity per day (of the message's time), user, tool and role: the
-- conversations with a message that day and the messages themselves.
-- Merge with uniqExactMerge / groupBitmapMerge; merging across groups
-- unions the sets, so a conversation active under two roles counts once.
CREATE TABLE IF NOT EXISTS conversations_daily (
    org_id        UUID,
    day           Date,
    user_id       UUID,
    tool          LowCardinality(String),
    role          LowCardinality(String),
    conversations AggregateFunction(uniqExact, UUID),
    messages      AggregateFunction(groupBitmap, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (org_id, day, user_id, tool, role);

CREATE MATERIALIZED VIEW IF NOT EXISTS conversations_daily_mv TO conversations_daily AS
SELECT
    org_id,
    toDate(sent_at) AS day,
    user_id,
    tool,
    role,
    uniqExactState(conversation_id) AS conversations,
    groupBitmapState(toUInt64(message_id)) AS messages
FROM message_events
GROUP BY org_id, day, user_id, tool, role;

-- Commits per day (of committed_at), repository and author.
CREATE TABLE IF NOT EXISTS commits_daily (
    org_id       UUID,
    day          Date,
    repo         String,
    author_email String,
    commits      AggregateFunction(uniqExact, UUID)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (org_id, day, repo, author_email);

CREATE MATERIALIZED VIEW IF NOT EXISTS commits_daily_mv TO commits_daily AS
SELECT
    org_id,
    toDate(committed_at) AS day,
    repo,
    author_email,
    uniqExactState(commit_id) AS commits
FROM commit_events
GROUP BY org_id, day, repo, author_email;

-- Searches per day, user, mode and whether they found nothing.
CREATE TABLE IF NOT EXISTS searches_daily (
    org_id    UUID,
    day       Date,
    user_id   UUID,
    mode      LowCardinality(String),
    no_result UInt8,
    searches  AggregateFunction(uniqExact, UUID)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (org_id, day, user_id, mode, no_result);

CREATE MATERIALIZED VIEW IF NOT EXISTS searches_daily_mv TO searches_daily AS
SELECT
    org_id,
    toDate(occurred_at) AS day,
    user_id,
    mode,
    no_result,
    uniqExactState(event_id) AS searches
FROM search_events
GROUP BY org_id, day, user_id, mode, no_result;
