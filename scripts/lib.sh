# Shell helpers of scripts/setup.sh and scripts/tune-postgres.sh (sourced).
# SCRIPT names the calling script in error messages.

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() { printf '%s: %s\n' "${SCRIPT:-ctxintel}" "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || fail "not root and sudo is missing; run as root or install sudo"
	SUDO="sudo"
fi

# psql_admin runs psql as the postgres superuser: over TCP where trust
# allows it, else as the postgres OS user.
psql_admin() {
	if psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
		psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -Atq "$@"
	else
		$SUDO -u postgres psql -v ON_ERROR_STOP=1 -Atq "$@" 2>/dev/null ||
			runuser -u postgres -- psql -v ON_ERROR_STOP=1 -Atq "$@"
	fi
}

# wait_for_postgres waits up to 30 s for the server to accept connections.
wait_for_postgres() {
	for _ in $(seq 1 60); do
		pg_isready -q -h 127.0.0.1 -p 5432 && return 0
		sleep 0.5
	done
	fail "PostgreSQL is not accepting connections on 127.0.0.1:5432"
}
