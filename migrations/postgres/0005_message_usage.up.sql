-- Per-message cache and reasoning tokens, so that analytics can price each
-- model's usage (cache reads cost a tenth of fresh input, cache writes more
-- than it). Formats that record tokens only per session (Codex) leave these
-- at zero; the session totals on conversations still hold them.
alter table messages
	add column cache_read_tokens bigint not null default 0,
	add column cache_write_tokens bigint not null default 0,
	add column reasoning_tokens bigint not null default 0;
