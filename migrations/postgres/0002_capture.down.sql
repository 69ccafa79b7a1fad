drop table if exists tool_calls, messages, conversations, raw_captures;
