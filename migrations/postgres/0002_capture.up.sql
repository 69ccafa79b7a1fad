-- Capture: raw payloads as received (redacted, compressed), and the
-- canonical conversations, messages and tool calls parsed from them.

-- Every uploaded file or API payload, stored before anything is parsed so
-- that nothing is lost when parsing fails; re-processed after a fix.
create table raw_captures (
	org_id        uuid not null references organizations (id) on delete cascade,
	id            uuid not null default gen_random_uuid(),
	user_id       uuid not null,
	-- The file's name or path as the client gave it (for messages and to
	-- recognise a grown file from the same source).
	source_name   text not null default '' check (length(source_name) <= 4096),
	-- The remote of the transcript's working directory as the capturing
	-- client found it (most formats record a cwd but no remote).
	git_remote    text not null default '',
	format        text not null,
	-- SHA-256 of the redacted bytes: a member's identical uploads are
	-- stored once.
	sha256        bytea not null check (length(sha256) = 32),
	size_bytes    bigint not null check (size_bytes >= 0),
	-- zstd of the redacted bytes; NULL once a later capture of the same
	-- source that contains these bytes has been processed (superseded).
	payload       bytea,
	redactions    jsonb not null default '{}',
	status        text not null default 'pending' check (status in ('pending', 'processed', 'failed', 'superseded')),
	error         text not null default '',
	-- The processing report: per conversation outcome, problems with lines.
	report        jsonb not null default '{}',
	attempts      integer not null default 0,
	created_at    timestamptz not null default now(),
	processed_at  timestamptz,
	primary key (org_id, id),
	unique (org_id, user_id, sha256),
	foreign key (org_id, user_id) references memberships (org_id, user_id) on delete cascade
);
create index raw_captures_status_idx on raw_captures (org_id, status, created_at);
create index raw_captures_source_idx on raw_captures (org_id, user_id, source_name, created_at);

create table conversations (
	org_id              uuid not null references organizations (id) on delete cascade,
	id                  uuid not null default gen_random_uuid(),
	user_id             uuid not null,
	tool                text not null,
	tool_version        text not null default '',
	format              text not null,
	-- The tool's session id: (org, tool, external_id) is the identity, so
	-- the same session captured twice or from two machines is stored once.
	external_id         text not null,
	parent_external_id  text not null default '',
	title               text not null default '',
	cwd                 text not null default '',
	git_remote          text not null default '',
	-- Normalised remote (host/owner/repo, lower case) for matching repos
	-- across ssh/https forms.
	repo                text not null default '',
	git_branches        text[] not null default '{}',
	git_commit          text not null default '',
	models              text[] not null default '{}',
	started_at          timestamptz,
	ended_at            timestamptz,
	message_count       integer not null default 0,
	tool_call_count     integer not null default 0,
	files_touched       text[] not null default '{}',
	input_tokens        bigint not null default 0,
	output_tokens       bigint not null default 0,
	cache_read_tokens   bigint not null default 0,
	cache_write_tokens  bigint not null default 0,
	reasoning_tokens    bigint not null default 0,
	-- Who besides the owner may see it: private, team or org. NULL follows
	-- the organization's setting.
	visibility          text check (visibility in ('private', 'team', 'org')),
	redactions          jsonb not null default '{}',
	-- Commits the transcript itself names (Aider's "> Commit <hash>").
	commit_refs         jsonb not null default '[]',
	last_capture_id     uuid,
	created_at          timestamptz not null default now(),
	updated_at          timestamptz not null default now(),
	-- When it happened, for ordering and date filters: the session's start,
	-- or when it was captured for formats that record no time (Cursor).
	occurred_at         timestamptz not null generated always as (coalesce(started_at, created_at)) stored,
	primary key (org_id, id),
	unique (org_id, tool, external_id),
	foreign key (org_id, user_id) references memberships (org_id, user_id) on delete cascade
);
-- Listing: newest first per org, with the common filters.
create index conversations_occurred_idx on conversations (org_id, occurred_at desc, id desc);
create index conversations_user_idx on conversations (org_id, user_id, occurred_at desc);
create index conversations_repo_idx on conversations (org_id, repo, occurred_at desc);
create index conversations_branches_idx on conversations using gin (git_branches);

create table messages (
	org_id              uuid not null,
	id                  bigint generated always as identity,
	conversation_id     uuid not null,
	-- Order within the conversation.
	seq                 integer not null,
	external_id         text not null,
	parent_external_id  text not null default '',
	role                text not null check (role in ('user', 'assistant', 'system', 'tool')),
	text                text not null default '',
	thinking            text not null default '',
	model               text not null default '',
	sent_at             timestamptz,
	sidechain           boolean not null default false,
	agent_id            text not null default '',
	git_branch          text not null default '',
	input_tokens        bigint not null default 0,
	output_tokens       bigint not null default 0,
	source_line         integer not null default 0,
	-- SHA-256 of everything parsed for the message (text, thinking, tool
	-- calls and their results): a re-capture rewrites it only when it changed.
	content_hash        bytea,
	created_at          timestamptz not null default now(),
	primary key (org_id, id),
	-- Re-importing a grown session appends only what is new.
	unique (org_id, conversation_id, external_id),
	foreign key (org_id, conversation_id) references conversations (org_id, id) on delete cascade
);
create index messages_conversation_idx on messages (org_id, conversation_id, seq);

create table tool_calls (
	org_id          uuid not null,
	id              bigint generated always as identity,
	message_id      bigint not null,
	conversation_id uuid not null,
	seq             integer not null,
	external_id     text not null default '',
	name            text not null,
	input           text not null default '',
	output          text not null default '',
	is_error        boolean not null default false,
	files_read      text[] not null default '{}',
	files_written   text[] not null default '{}',
	commands        text[] not null default '{}',
	primary key (org_id, id),
	foreign key (org_id, message_id) references messages (org_id, id) on delete cascade
);
create index tool_calls_message_idx on tool_calls (org_id, message_id, seq);
create index tool_calls_conversation_idx on tool_calls (org_id, conversation_id);

do $$
declare t text;
begin
	foreach t in array array['raw_captures', 'conversations', 'messages', 'tool_calls'] loop
		execute format('alter table %I enable row level security', t);
		execute format('alter table %I force row level security', t);
		execute format('create policy tenant on %I using (org_id = ci_current_org() or ci_system()) '
			'with check (org_id = ci_current_org() or ci_system())', t);
	end loop;
end $$;
