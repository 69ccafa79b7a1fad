drop table if exists webhook_deliveries, commit_links, commits, repositories;
alter table conversations drop column if exists written_lines, drop column if exists shown_lines,
	drop column if exists mentioned_hashes, drop column if exists commit_hashes;
