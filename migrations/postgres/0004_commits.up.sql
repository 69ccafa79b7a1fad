-- Commits and their links to conversations.

-- What correlation needs from a conversation, computed when it is stored
-- (correlate.SessionFromConversation): hashes of code lines the assistant
-- wrote and of code it only showed, commit hashes named in the text, and
-- hashes of commits the transcript records as made (Aider's "> Commit",
-- git's "[branch abc1234]" output of the assistant's own commits).
alter table conversations
	add column written_lines bigint[] not null default '{}',
	add column shown_lines bigint[] not null default '{}',
	add column mentioned_hashes text[] not null default '{}',
	add column commit_hashes text[] not null default '{}';

create table repositories (
	org_id         uuid not null references organizations (id) on delete cascade,
	id             uuid not null default gen_random_uuid(),
	-- Normalised remote: host/owner/repo in lower case (ingest.NormalizeRemote).
	key            text not null,
	provider       text not null default 'git' check (provider in ('github', 'gitlab', 'git')),
	remote_url     text not null default '',
	default_branch text not null default '',
	external_id    bigint,
	-- The GitHub App installation that may read this repository for this
	-- org. Forge API calls are made only for registered repositories, with
	-- this installation: never with whatever a webhook payload names.
	installation_id bigint not null default 0,
	created_at     timestamptz not null default now(),
	primary key (org_id, id),
	unique (org_id, key)
);

create table commits (
	org_id          uuid not null references organizations (id) on delete cascade,
	id              uuid not null default gen_random_uuid(),
	-- The repository's normalised key; a commit of a repository nobody
	-- registered yet is kept and linked when conversations of it arrive.
	repo            text not null,
	sha             text not null check (sha ~ '^[0-9a-f]{7,64}$'),
	parents         text[] not null default '{}',
	branch          text not null default '',
	author_name     text not null default '',
	author_email    text not null default '',
	committer_email text not null default '',
	committed_at    timestamptz not null,
	-- The author date survives rebases and amends; committed_at does not.
	authored_at     timestamptz,
	message         text not null default '',
	files           text[] not null default '{}',
	additions       integer not null default 0,
	deletions       integer not null default 0,
	added_lines     bigint[] not null default '{}',
	patch_id        text not null default '',
	-- Where it came from: github, gitlab, hook, import.
	source          text not null,
	created_at      timestamptz not null default now(),
	updated_at      timestamptz not null default now(),
	primary key (org_id, id),
	unique (org_id, repo, sha)
);
create index commits_time_idx on commits (org_id, committed_at);
create index commits_sha_idx on commits (org_id, sha text_pattern_ops);
create index commits_patch_idx on commits (org_id, patch_id) where patch_id <> '';

create table commit_links (
	org_id          uuid not null,
	conversation_id uuid not null,
	commit_id       uuid not null,
	confidence      real not null check (confidence between 0 and 1),
	-- [{signal, detail, weight}], the reasons in words.
	evidence        jsonb not null,
	created_at      timestamptz not null default now(),
	updated_at      timestamptz not null default now(),
	primary key (org_id, conversation_id, commit_id),
	foreign key (org_id, conversation_id) references conversations (org_id, id) on delete cascade,
	foreign key (org_id, commit_id) references commits (org_id, id) on delete cascade
);
create index commit_links_commit_idx on commit_links (org_id, commit_id);

-- Webhook deliveries as received: kept for replay protection (a delivery id
-- is processed once) and so that nothing is lost when processing fails.
create table webhook_deliveries (
	org_id      uuid not null references organizations (id) on delete cascade,
	provider    text not null,
	delivery_id text not null,
	event       text not null,
	payload     bytea not null,
	status      text not null default 'pending' check (status in ('pending', 'processed', 'failed', 'ignored')),
	error       text not null default '',
	received_at timestamptz not null default now(),
	primary key (org_id, provider, delivery_id)
);

do $$
declare t text;
begin
	foreach t in array array['repositories', 'commits', 'commit_links', 'webhook_deliveries'] loop
		execute format('alter table %I enable row level security', t);
		execute format('alter table %I force row level security', t);
		execute format('create policy tenant on %I using (org_id = ci_current_org() or ci_system()) '
			'with check (org_id = ci_current_org() or ci_system())', t);
	end loop;
end $$;
