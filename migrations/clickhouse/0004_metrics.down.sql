DROP TABLE IF EXISTS topic_questions;
DROP TABLE IF EXISTS topics;
DROP TABLE IF EXISTS topic_runs;
DROP VIEW IF EXISTS adopters_mv;
DROP TABLE IF EXISTS adopters;
ALTER TABLE link_events DROP COLUMN IF EXISTS user_id, DROP COLUMN IF EXISTS conversation_started_at;
ALTER TABLE conversation_events
    DROP COLUMN IF EXISTS usage_models, DROP COLUMN IF EXISTS usage_input_tokens, DROP COLUMN IF EXISTS usage_output_tokens,
    DROP COLUMN IF EXISTS usage_cache_read_tokens, DROP COLUMN IF EXISTS usage_cache_write_tokens,
    DROP COLUMN IF EXISTS usage_reasoning_tokens;
