#!/usr/bin/env bash
# A throwaway Redis server on loopback for the queue-mode tests and `npm run queue-mode`.
#
#   scripts/redis.sh [start]   install (apt-get, if missing), start; print the env file path
#   scripts/redis.sh stop      stop it (nothing is persisted: Redis here keeps its data in memory only)
#   scripts/redis.sh status    exit 0 when running
#   scripts/redis.sh clean     stop it and delete its folder
#
# Idempotent: starting while it runs only rewrites the env file. The env file holds
# WHATSAUTO_TEST_REDIS_HOST/PORT/PASSWORD lines (source it, or read it from tests); n8n takes them as
# QUEUE_BULL_REDIS_HOST/PORT/PASSWORD.
# Settings: WHATSAUTO_REDIS_PORT (default 63790; the next free port is used if taken by something else),
# WHATSAUTO_REDIS_DIR (default /tmp/whatsauto-redis), WHATSAUTO_REDIS_ENV (default /tmp/whatsauto-redis.env).
# The server listens on 127.0.0.1 only, in protected mode, with a random password (requirepass, kept in the
# 0600 config file and env file, never printed nor put on a command line), no RDB/AOF persistence, and the
# DEBUG/MODULE commands and protected CONFIG settings refused. As root it runs as the `redis` user (which the
# Debian package creates). Logs go to stderr, only the env file path to stdout.
set -euo pipefail

dir="${WHATSAUTO_REDIS_DIR:-/tmp/whatsauto-redis}"
env_file="${WHATSAUTO_REDIS_ENV:-/tmp/whatsauto-redis.env}"
want_port="${WHATSAUTO_REDIS_PORT:-63790}"
service=redis.sh
owner=redis
conf="$dir/redis.conf"

# shellcheck source=lib/service.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"

find_server() {
	command -v redis-server 2>/dev/null || { [ -x /usr/bin/redis-server ] && echo /usr/bin/redis-server; }
}

find_cli() {
	command -v redis-cli 2>/dev/null || { [ -x /usr/bin/redis-cli ] && echo /usr/bin/redis-cli; }
}

find_tools() { cli="$(find_cli || true)"; }

ensure_installed() {
	if server="$(find_server)" && cli="$(find_cli)"; then return 0; fi
	# quiet: the package would start its own server on 6379
	apt_install Redis redis-server "under a minute" quiet
	server="$(find_server)" && cli="$(find_cli)" || { log "redis-server/redis-cli not found after install"; exit 1; }
}

# The password reaches redis-cli through REDISCLI_AUTH, never argv.
rcli() {
	local port
	port="$(cat "$dir/port" 2>/dev/null || echo "$want_port")"
	REDISCLI_AUTH="$(cat "$dir/password" 2>/dev/null || true)" "$cli" --no-auth-warning -h 127.0.0.1 -p "$port" "$@"
}

is_running() {
	[ -n "${cli:-}" ] && [ -s "$dir/port" ] && [ -s "$dir/password" ] && [ "$(rcli ping 2>/dev/null)" = PONG ]
}

write_redis_env() {
	local port password
	port="$(cat "$dir/port")"
	password="$(cat "$dir/password")"
	write_env "WHATSAUTO_TEST_REDIS_HOST=127.0.0.1" "WHATSAUTO_TEST_REDIS_PORT=$port" "WHATSAUTO_TEST_REDIS_PASSWORD=$password"
}

write_conf() {
	local port="$1" tmp
	tmp="$conf.tmp.$$"
	(
		umask 077
		cat >"$tmp" <<CONF
# written by scripts/redis.sh; rewritten at every start
bind 127.0.0.1
protected-mode yes
port $port
unixsocket ""
daemonize yes
supervised no
pidfile $dir/redis.pid
logfile $dir/server.log
loglevel notice
dir $dir/data
save ""
appendonly no
databases 16
maxclients 1000
enable-debug-command no
enable-module-command no
enable-protected-configs no
requirepass $(cat "$dir/password")
CONF
	)
	mv -f "$tmp" "$conf"
	chown_owner "$conf"
	chmod 600 "$conf"
}

start() {
	ensure_installed
	prepare_dirs "$dir" "$dir/data"

	if is_running; then
		log "already running on 127.0.0.1:$(cat "$dir/port")"
		write_redis_env
		return 0
	fi

	ensure_password 24

	local port
	port="$(claim_port)"
	write_conf "$port"
	rm -f "$dir/redis.pid"

	log "starting on 127.0.0.1:$port"
	as_owner "$server" "$conf" >/dev/null
	local waited=0
	until is_running; do
		waited=$((waited + 1))
		if [ "$waited" -gt 100 ]; then
			log "did not answer PING within 20 s"
			tail -n 30 "$dir/server.log" >&2 || true
			exit 1
		fi
		sleep 0.2
	done
	write_redis_env
}

stop_server() {
	rcli shutdown nosave >/dev/null 2>&1 || true
	local waited=0
	while is_running && [ "$waited" -lt 50 ]; do
		waited=$((waited + 1))
		sleep 0.2
	done
	if is_running && [ -s "$dir/redis.pid" ]; then
		log "did not stop on SHUTDOWN; sending SIGKILL"
		kill -9 "$(cat "$dir/redis.pid")" 2>/dev/null || true
	fi
}

main "$@"
