-- Tenancy: organizations, identities, memberships with roles, teams, API
-- keys and the audit log. Every tenant table carries org_id and is guarded by
-- row-level security; the application sets ctxintel.org_id per transaction.

create extension if not exists vector;
create extension if not exists pg_trgm;
create extension if not exists pgcrypto;

-- The organization the current transaction acts for (NULL when unset).
create function ci_current_org() returns uuid
language sql stable parallel safe as $$
	select nullif(current_setting('ctxintel.org_id', true), '')::uuid
$$;

-- True in the few system transactions that must span organizations:
-- resolving an API key before its org is known, creating an org, admin CLI.
create function ci_system() returns boolean
language sql stable parallel safe as $$
	select coalesce(current_setting('ctxintel.system', true), '') = 'on'
$$;

create table organizations (
	id                 uuid primary key default gen_random_uuid(),
	slug               text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
	name               text not null check (length(name) between 1 and 200),
	plan               text not null default 'starter' check (plan in ('starter', 'pro', 'enterprise')),
	-- Data residency (Enterprise): where this org's data must live.
	region             text not null default 'us' check (region in ('us', 'eu', 'ap')),
	-- Feature settings, e.g. {"conversation_visibility": "team"}.
	settings           jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
	stripe_customer_id text unique,
	seats              integer not null default 0 check (seats >= 0),
	-- Set when the org comes from a parent platform (CODITECT integration).
	external_ref       text unique,
	created_at         timestamptz not null default now(),
	updated_at         timestamptz not null default now(),
	deleted_at         timestamptz
);

-- A person, across organizations (one sign-in identity can belong to
-- several orgs). Visible to an org only through a membership.
create table users (
	id           uuid primary key default gen_random_uuid(),
	email        text not null check (email ~ '^[^@\s]+@[^@\s]+$'),
	name         text not null default '',
	avatar_url   text not null default '',
	created_at   timestamptz not null default now(),
	updated_at   timestamptz not null default now(),
	-- GDPR erasure replaces personal fields and sets this.
	erased_at    timestamptz
);
create unique index users_email_key on users (lower(email));

create table memberships (
	org_id     uuid not null references organizations (id) on delete cascade,
	user_id    uuid not null references users (id) on delete cascade,
	role       text not null check (role in ('developer', 'manager', 'admin', 'auditor')),
	created_at timestamptz not null default now(),
	primary key (org_id, user_id)
);
create index memberships_user_idx on memberships (user_id);

create table teams (
	org_id     uuid not null references organizations (id) on delete cascade,
	id         uuid not null default gen_random_uuid(),
	slug       text not null check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
	name       text not null check (length(name) between 1 and 200),
	created_at timestamptz not null default now(),
	primary key (org_id, id),
	unique (org_id, slug)
);

create table team_members (
	org_id  uuid not null,
	team_id uuid not null,
	user_id uuid not null,
	-- A lead sees the team's conversations and reports.
	role    text not null default 'member' check (role in ('member', 'lead')),
	primary key (org_id, team_id, user_id),
	foreign key (org_id, team_id) references teams (org_id, id) on delete cascade,
	foreign key (org_id, user_id) references memberships (org_id, user_id) on delete cascade
);
create index team_members_user_idx on team_members (org_id, user_id);

-- API keys are shown once; only their SHA-256 is stored. The prefix lets a
-- user recognise a key in lists without revealing it.
create table api_keys (
	org_id       uuid not null references organizations (id) on delete cascade,
	id           uuid not null default gen_random_uuid(),
	user_id      uuid not null,
	name         text not null check (length(name) between 1 and 200),
	prefix       text not null,
	secret_hash  bytea not null unique check (length(secret_hash) = 32),
	scopes       text[] not null default '{}',
	created_at   timestamptz not null default now(),
	last_used_at timestamptz,
	expires_at   timestamptz,
	revoked_at   timestamptz,
	primary key (org_id, id),
	foreign key (org_id, user_id) references memberships (org_id, user_id) on delete cascade
);

-- Who did what, for SOC 2 evidence. Append-only by convention; exported by
-- the compliance reports.
create table audit_log (
	org_id      uuid not null references organizations (id) on delete cascade,
	id          uuid not null default gen_random_uuid(),
	occurred_at timestamptz not null default now(),
	actor_id    uuid,
	actor_kind  text not null check (actor_kind in ('user', 'api_key', 'system')),
	action      text not null,
	target_type text not null default '',
	target_id   text not null default '',
	details     jsonb not null default '{}',
	primary key (org_id, occurred_at, id)
);

-- Row-level security. FORCE makes it apply to the table owner too, which is
-- the role the application connects as.
alter table organizations enable row level security;
alter table organizations force row level security;
create policy tenant on organizations
	using (id = ci_current_org() or ci_system())
	with check (id = ci_current_org() or ci_system());

alter table users enable row level security;
alter table users force row level security;
create policy tenant on users
	using (ci_system() or exists (
		select 1 from memberships m where m.user_id = users.id and m.org_id = ci_current_org()))
	with check (ci_system() or exists (
		select 1 from memberships m where m.user_id = users.id and m.org_id = ci_current_org()));

do $$
declare t text;
begin
	foreach t in array array['memberships', 'teams', 'team_members', 'api_keys', 'audit_log'] loop
		execute format('alter table %I enable row level security', t);
		execute format('alter table %I force row level security', t);
		execute format('create policy tenant on %I using (org_id = ci_current_org() or ci_system()) '
			'with check (org_id = ci_current_org() or ci_system())', t);
	end loop;
end $$;
