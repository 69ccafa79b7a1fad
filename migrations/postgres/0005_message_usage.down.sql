alter table messages drop column if exists cache_read_tokens, drop column if exists cache_write_tokens,
	drop column if exists reasoning_tokens;
