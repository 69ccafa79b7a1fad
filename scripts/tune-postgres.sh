#!/usr/bin/env bash
# Gives the local PostgreSQL the memory settings search needs at scale, and
# restarts it when a setting only takes effect on restart. Called by
# `make bench`; run it by hand on a host that serves large organizations.
#
# Why: semantic search walks the HNSW graph, whose pages belong to every
# organization, and checks each candidate's row in the embeddings table.
# At 1M messages those are 3.2 GB and 2.8 GB (BENCHMARKS.md). Debian's
# default shared_buffers of 128 MB leaves them to the OS page cache, which a
# host under memory pressure (or one that pages out idle memory, as this
# machine kind does) empties between searches: a search then reads its
# pages from disk, 50x slower. Shared buffers cannot be paged out without
# swap, and pg_prewarm's autoprewarm reloads them after a restart.
#
# CTXINTEL_PG_SHARED_BUFFERS overrides the size (default: 40% of RAM).
set -euo pipefail

PG_VERSION=15
mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
shared="${CTXINTEL_PG_SHARED_BUFFERS:-$((mem_mb * 40 / 100))MB}"
cache="$((mem_mb * 70 / 100))MB"

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
psql_admin() {
	if psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
		psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -Atq "$@"
	else
		runuser -u postgres -- psql -v ON_ERROR_STOP=1 -Atq "$@"
	fi
}

current=$(psql_admin -d postgres -c "select setting::bigint * 8 / 1024 || 'MB' from pg_settings where name = 'shared_buffers'")
preload=$(psql_admin -d postgres -c "show shared_preload_libraries")
want_preload="$preload"
case ",$preload," in *,pg_prewarm,*) ;; *) want_preload="${preload:+$preload,}pg_prewarm" ;; esac

psql_admin -d postgres -c "alter system set shared_buffers = '$shared'" \
	-c "alter system set effective_cache_size = '$cache'" \
	-c "alter system set shared_preload_libraries = '$want_preload'" \
	-c "select pg_reload_conf()" >/dev/null
if [ "$current" != "$shared" ] || [ "$want_preload" != "$preload" ]; then
	step "restarting PostgreSQL $PG_VERSION: shared_buffers $current -> $shared, shared_preload_libraries '$want_preload'"
	pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main restart
	for _ in $(seq 1 60); do
		pg_isready -q -h 127.0.0.1 -p 5432 && break
		sleep 0.5
	done
fi
# The benchmark databases are copied from the template: give it pg_prewarm,
# which only a superuser may create.
psql_admin -d ctxintel_template -c "set client_min_messages = warning; create extension if not exists pg_prewarm" >/dev/null
step "PostgreSQL: shared_buffers $(psql_admin -d postgres -c 'show shared_buffers'), effective_cache_size $(psql_admin -d postgres -c 'show effective_cache_size')"
