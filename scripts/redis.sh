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

cmd="${1:-start}"
dir="${WHATSAUTO_REDIS_DIR:-/tmp/whatsauto-redis}"
env_file="${WHATSAUTO_REDIS_ENV:-/tmp/whatsauto-redis.env}"
want_port="${WHATSAUTO_REDIS_PORT:-63790}"
conf="$dir/redis.conf"

log() { echo "redis.sh: $*" >&2; }

find_server() {
	command -v redis-server 2>/dev/null || { [ -x /usr/bin/redis-server ] && echo /usr/bin/redis-server; }
}

find_cli() {
	command -v redis-cli 2>/dev/null || { [ -x /usr/bin/redis-cli ] && echo /usr/bin/redis-cli; }
}

ensure_installed() {
	if server="$(find_server)" && cli="$(find_cli)"; then return 0; fi
	if [ "$(id -u)" != 0 ]; then
		log "Redis is not installed and installing it needs root (apt-get install redis-server)"
		exit 1
	fi
	log "installing Redis with apt-get (one-time, under a minute)"
	export DEBIAN_FRONTEND=noninteractive
	# The package would start its own server on 6379 (init script / systemd): keep it from doing so for the
	# duration of the install, unless the machine already has a policy (containers usually do).
	local policy=/usr/sbin/policy-rc.d own_policy=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=1
	fi
	local rc=0
	{ apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends redis-server >&2; } || rc=$?
	if [ -n "$own_policy" ]; then rm -f "$policy"; fi
	if [ "$rc" != 0 ]; then log "apt-get install redis-server failed"; exit 1; fi
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

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

write_env() {
	local port password tmp
	port="$(cat "$dir/port")"
	password="$(cat "$dir/password")"
	tmp="$env_file.tmp.$$"
	(
		umask 077
		{
			echo "WHATSAUTO_TEST_REDIS_HOST=127.0.0.1"
			echo "WHATSAUTO_TEST_REDIS_PORT=$port"
			echo "WHATSAUTO_TEST_REDIS_PASSWORD=$password"
		} >"$tmp"
	)
	mv -f "$tmp" "$env_file"
	echo "$env_file"
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
	if [ "$(id -u)" = 0 ]; then chown redis: "$conf"; fi
	chmod 600 "$conf"
}

start() {
	ensure_installed
	if [ "$(id -u)" = 0 ] && ! id redis >/dev/null 2>&1; then
		log "no redis user to run the server as"
		exit 1
	fi
	mkdir -p "$dir/data"
	chmod 700 "$dir" "$dir/data"
	if [ "$(id -u)" = 0 ]; then chown redis: "$dir" "$dir/data"; fi

	if is_running; then
		log "already running on 127.0.0.1:$(cat "$dir/port")"
		write_env
		return 0
	fi

	if [ ! -s "$dir/password" ]; then
		(umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$dir/password")
	fi

	local port="$want_port" tries=0
	while port_in_use "$port"; do
		tries=$((tries + 1))
		if [ "$tries" -gt 50 ]; then log "no free port from $want_port"; exit 1; fi
		port=$((port + 1))
	done
	echo "$port" >"$dir/port"
	write_conf "$port"
	rm -f "$dir/redis.pid"

	log "starting on 127.0.0.1:$port"
	if [ "$(id -u)" = 0 ]; then
		(cd "$dir" && runuser -u redis -- "$server" "$conf") >/dev/null
	else
		(cd "$dir" && "$server" "$conf") >/dev/null
	fi
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
	write_env
}

stop() {
	cli="$(find_cli || true)"
	if is_running; then
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
		log "stopped"
	else
		log "not running"
	fi
	rm -f "$env_file"
}

case "$cmd" in
start) start ;;
stop) stop ;;
status)
	cli="$(find_cli || true)"
	if is_running; then log "running on 127.0.0.1:$(cat "$dir/port")"; exit 0; fi
	log "not running"
	exit 3
	;;
clean)
	stop
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 [start|stop|status|clean]" >&2
	exit 2
	;;
esac
