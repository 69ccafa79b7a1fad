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
# Huge pages: with 4 kB pages each Postgres process maps every buffer page
# it touches with a page fault of its own, and on this VM a fault costs
# tens of microseconds: a search in a fresh connection that touched 4,300
# buffers took 322 ms, 48 ms with 2 MB pages (12 ms once mapped either
# way). The script reserves enough huge pages for the buffers (sysctl
# vm.nr_hugepages, kept in /etc/sysctl.d) and sets huge_pages = try, so a
# kernel that cannot give them still starts Postgres.
#
# CTXINTEL_PG_SHARED_BUFFERS overrides the size (default: 40% of RAM, in MB).
set -euo pipefail

PG_VERSION=15
mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
shared_mb="${CTXINTEL_PG_SHARED_BUFFERS:-$((mem_mb * 40 / 100))}"
shared_mb="${shared_mb%MB}"
shared="${shared_mb}MB"
cache="$((mem_mb * 70 / 100))MB"
# Huge pages for the buffers plus Postgres' other shared memory (about 3%).
huge_kb=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
want_pages=$(((shared_mb * 1024 * 103 / 100) / huge_kb + 64))

SCRIPT=tune-postgres
# shellcheck source=scripts/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

current=$(psql_admin -d postgres -c "select setting::bigint * 8 / 1024 || 'MB' from pg_settings where name = 'shared_buffers'")
preload=$(psql_admin -d postgres -c "show shared_preload_libraries")
want_preload="$preload"
case ",$preload," in *,pg_prewarm,*) ;; *) want_preload="${preload:+$preload,}pg_prewarm" ;; esac

have_pages=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have_pages" -lt "$want_pages" ]; then
	step "reserving $want_pages huge pages of ${huge_kb} kB for shared buffers (vm.nr_hugepages was $have_pages)"
	echo "vm.nr_hugepages = $want_pages" | $SUDO tee /etc/sysctl.d/60-ctxintel-hugepages.conf >/dev/null
	sync
	echo 1 | $SUDO tee /proc/sys/vm/compact_memory >/dev/null 2>&1 || true
	$SUDO sysctl -q -w vm.nr_hugepages="$want_pages" || true
fi
restart_needed=""
[ "$(psql_admin -d postgres -c "show huge_pages")" = try ] || restart_needed=1

psql_admin -d postgres -c "alter system set shared_buffers = '$shared'" \
	-c "alter system set huge_pages = 'try'" \
	-c "alter system set effective_cache_size = '$cache'" \
	-c "alter system set shared_preload_libraries = '$want_preload'" \
	-c "select pg_reload_conf()" >/dev/null
if [ "$current" != "$shared" ] || [ "$want_preload" != "$preload" ] || [ -n "$restart_needed" ]; then
	step "restarting PostgreSQL $PG_VERSION: shared_buffers $current -> $shared, shared_preload_libraries '$want_preload'"
	$SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main restart
	wait_for_postgres
fi
# The benchmark databases are copied from the template: give it pg_prewarm,
# which only a superuser may create.
psql_admin -d ctxintel_template -c "set client_min_messages = warning; create extension if not exists pg_prewarm" >/dev/null
reserved=$(awk '/^HugePages_Total:/ {t=$2} /^HugePages_Free:/ {f=$2} /^HugePages_Rsvd:/ {r=$2} END {print t - f + r}' /proc/meminfo)
step "PostgreSQL: shared_buffers $(psql_admin -d postgres -c 'show shared_buffers'), effective_cache_size $(psql_admin -d postgres -c 'show effective_cache_size'), huge pages in use or reserved: $reserved of $(cat /proc/sys/vm/nr_hugepages)"
