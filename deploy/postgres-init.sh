#!/bin/sh
# Runs once when the Postgres container initialises its data directory:
# the application role (not a superuser, so row-level security binds it),
# its database, and the extensions only a superuser may create.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
create role ctxintel login password '${CTXINTEL_DB_PASSWORD}';
create database ctxintel owner ctxintel;
\connect ctxintel
create extension if not exists vector;
create extension if not exists pg_trgm;
create extension if not exists pgcrypto;
create extension if not exists btree_gin;
-- Let the search indexes work under row-level security (see scripts/setup.sh).
alter function pg_catalog.ts_match_vq(tsvector, tsquery) leakproof;
alter function pg_catalog.texticlike(text, text) leakproof;
alter function pg_catalog."left"(text, integer) leakproof;
SQL
