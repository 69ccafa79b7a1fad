-- Search: full-text and trigram indexes on messages, message embeddings
-- for semantic search, and the search log for analytics.

-- Composite GIN indexes (org_id first) keep every search inside one org's
-- postings instead of filtering all orgs' matches afterwards.
create extension if not exists btree_gin;

-- English full text (stemmed words). Very long messages (pasted logs) are
-- indexed on their first 200k characters.
alter table messages add column tsv tsvector
	generated always as (to_tsvector('english'::regconfig, left(text, 200000))) stored;
create index messages_tsv_idx on messages using gin (org_id, tsv);

-- Trigrams for what stemming breaks: identifiers (getUserById), paths
-- (src/auth/jwt.go), error strings (ERR_CONNECTION_RESET) and stack-trace
-- fragments, matched as exact case-insensitive substrings. First 20k
-- characters of each message: trigram postings of huge texts cost more than
-- they find.
create index messages_text_trgm_idx on messages using gin (org_id, left(text, 20000) gin_trgm_ops);

-- One vector per chunk of a message, per embedding model. The column has
-- no fixed dimension so several models can coexist while switching; each
-- model gets a partial HNSW index over its cast (see search.EnsureIndex).
create table message_embeddings (
	org_id          uuid not null,
	message_id      bigint not null,
	conversation_id uuid not null,
	chunk           smallint not null,
	model           text not null,
	-- The chunk's character range in the message text, for snippets.
	start_char      integer not null,
	end_char        integer not null,
	embedding       halfvec not null,
	created_at      timestamptz not null default now(),
	primary key (org_id, message_id, model, chunk),
	foreign key (org_id, message_id) references messages (org_id, id) on delete cascade
);
create index message_embeddings_org_model_idx on message_embeddings (org_id, model);
create index message_embeddings_use_lite_hnsw on message_embeddings
	using hnsw ((embedding::halfvec(512)) halfvec_cosine_ops) where model = 'use-lite';

-- Every search, for analytics (no-result searches are knowledge gaps).
create table search_events (
	org_id      uuid not null references organizations (id) on delete cascade,
	id          uuid not null default gen_random_uuid(),
	user_id     uuid not null,
	occurred_at timestamptz not null default now(),
	query       text not null,
	mode        text not null,
	filters     jsonb not null default '{}',
	results     integer not null,
	latency_ms  real not null,
	embed_ms    real not null default 0,
	primary key (org_id, occurred_at, id)
);

do $$
declare t text;
begin
	foreach t in array array['message_embeddings', 'search_events'] loop
		execute format('alter table %I enable row level security', t);
		execute format('alter table %I force row level security', t);
		execute format('create policy tenant on %I using (org_id = ci_current_org() or ci_system()) '
			'with check (org_id = ci_current_org() or ci_system())', t);
	end loop;
end $$;
