#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for tests.
#
#   scripts/postgres.sh [start]   install (apt-get, if missing), initdb, start; print the env file path
#   scripts/postgres.sh stop      stop it (the data stays for a fast restart)
#   scripts/postgres.sh status    exit 0 when running
#   scripts/postgres.sh clean     stop it and delete its data
#
# Idempotent: starting while it runs only rewrites the env file. The env file holds
# WHATSAUTO_TEST_PG_HOST/PORT/USER/PASSWORD/DATABASE lines (source it, or read it from tests).
# Settings: WHATSAUTO_PG_PORT (default 54329; the next free port is used if taken by something else),
# WHATSAUTO_PG_DIR (default /tmp/whatsauto-pg), WHATSAUTO_PG_ENV (default /tmp/whatsauto-pg.env).
# Root cannot run postgres: as root the server runs as the `postgres` user. Logs go to stderr, only the
# env file path to stdout. Never prints the password.
set -euo pipefail

dir="${WHATSAUTO_PG_DIR:-/tmp/whatsauto-pg}"
env_file="${WHATSAUTO_PG_ENV:-/tmp/whatsauto-pg.env}"
want_port="${WHATSAUTO_PG_PORT:-54329}"
service=postgres.sh
owner=postgres
db_name=whatsauto
db_user=whatsauto
data="$dir/data"

# shellcheck source=lib/service.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"

find_bindir() {
	local candidate
	if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
		dirname "$(readlink -f "$(command -v pg_ctl)")"
		return 0
	fi
	candidate="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
	if [ -n "$candidate" ] && [ -x "$candidate/pg_ctl" ] && [ -x "$candidate/initdb" ]; then
		echo "$candidate"
		return 0
	fi
	return 1
}

find_tools() { bindir="$(find_bindir || true)"; }

ensure_installed() {
	if bindir="$(find_bindir)"; then return 0; fi
	apt_install PostgreSQL postgresql "about a minute"
	bindir="$(find_bindir)" || { log "PostgreSQL binaries not found after install"; exit 1; }
}

is_running() {
	[ -n "${bindir:-}" ] && [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

write_pg_env() {
	local port password
	port="$(cat "$dir/port")"
	password="$(cat "$dir/password")"
	write_env "WHATSAUTO_TEST_PG_HOST=127.0.0.1" "WHATSAUTO_TEST_PG_PORT=$port" "WHATSAUTO_TEST_PG_USER=$db_user" \
		"WHATSAUTO_TEST_PG_PASSWORD=$password" "WHATSAUTO_TEST_PG_DATABASE=$db_name"
}

# Role and database (the password goes in on stdin, never on a command line). The role may create databases:
# devkit/n8n/queue.ts gives each queue-mode stack's n8n a fresh one.
ensure_role() {
	local port password
	port="$(cat "$dir/port")"
	password="$(cat "$dir/password")"
	as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/socket" -p "$port" -U postgres -d postgres \
		>/dev/null 2>"$dir/psql.log" <<SQL || { log "creating role/database failed (see $dir/psql.log)"; exit 1; }
SELECT format('CREATE ROLE %I LOGIN', '$db_user')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$db_user') \\gexec
ALTER ROLE $db_user WITH LOGIN CREATEDB PASSWORD '$password';
SELECT format('CREATE DATABASE %I OWNER %I', '$db_name', '$db_user')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db_name') \\gexec
SQL
}

start() {
	ensure_installed
	prepare_dirs "$dir"

	if is_running; then
		log "already running on 127.0.0.1:$(cat "$dir/port")"
		ensure_role
		write_pg_env
		return 0
	fi

	ensure_password 18

	if [ ! -f "$data/PG_VERSION" ]; then
		log "initdb in $data"
		rm -rf "$data"
		as_owner "$bindir/initdb" -D "$data" -U postgres -E UTF8 --no-locale \
			--auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; exit 1; }
	fi

	local port
	port="$(claim_port)"
	mkdir -p "$dir/socket"
	chown_owner "$dir/socket"

	log "starting on 127.0.0.1:$port"
	as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 -o \
		"-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null || { tail -n 30 "$dir/server.log" >&2 || true; exit 1; }

	ensure_role
	write_pg_env
}

stop_server() {
	as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
}

main "$@"
