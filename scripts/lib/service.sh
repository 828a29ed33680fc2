# Shared by scripts/postgres.sh and scripts/redis.sh (sourced, not run): a throwaway server on loopback, kept in
# one folder, run as its own system user when we are root, whose connection settings go to an env file.
#
# The sourcing script sets, before calling anything here:
#   service    its name in log lines (e.g. postgres.sh)
#   dir        the server's folder (port, password, logs, data)
#   env_file   where the connection settings go
#   want_port  the port to try first
#   owner      the system user the server runs as when we are root (postgres, redis)
# and defines:
#   find_tools      sets what is_running needs (e.g. the server's binaries), or leaves it empty
#   is_running      exit 0 when the server answers
#   start           the `start` command
#   stop_server     stops a running server
# Logs go to stderr; stdout carries only the env file path.

log() { echo "$service: $*" >&2; }

am_root() { [ "$(id -u)" = 0 ]; }

# Hands files to the server's owner when we are root (the server cannot run as root).
chown_owner() {
	if am_root; then chown "$owner": "$@"; fi
}

# apt_install LABEL PACKAGE DURATION [quiet]: installs PACKAGE with apt-get, which needs root. With `quiet`, the
# package may not start its own server while it installs (init script / systemd), unless the machine already has
# a policy about that (containers usually do).
apt_install() {
	local label="$1" package="$2" duration="$3" quiet="${4:-}"
	if ! am_root; then
		log "$label is not installed and installing it needs root (apt-get install $package)"
		exit 1
	fi
	log "installing $label with apt-get (one-time, $duration)"
	export DEBIAN_FRONTEND=noninteractive
	local policy=/usr/sbin/policy-rc.d own_policy=
	if [ -n "$quiet" ] && [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=1
	fi
	local rc=0
	{ apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "$package" >&2; } || rc=$?
	if [ -n "$own_policy" ]; then rm -f "$policy"; fi
	if [ "$rc" != 0 ]; then log "apt-get install $package failed"; exit 1; fi
}

# Runs a command in the server's folder as its owner: `$owner` when we are root, ourselves otherwise.
as_owner() {
	if am_root; then
		(cd "$dir" && runuser -u "$owner" -- "$@")
	else
		(cd "$dir" && "$@")
	fi
}

# prepare_dirs DIR...: the server's folders (created, 0700, its owner's), once its owner is known to exist.
prepare_dirs() {
	if am_root && ! id "$owner" >/dev/null 2>&1; then
		log "no $owner user to run the server as"
		exit 1
	fi
	mkdir -p "$@"
	chmod 700 "$@"
	chown_owner "$@"
}

# ensure_password BYTES: a random password of BYTES bytes (hex) in $dir/password, unless one is there already.
ensure_password() {
	if [ ! -s "$dir/password" ]; then
		(umask 077 && od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n' >"$dir/password")
	fi
}

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# claim_port: the first free port from $want_port, written to $dir/port and printed.
claim_port() {
	local port="$want_port" tries=0
	while port_in_use "$port"; do
		tries=$((tries + 1))
		if [ "$tries" -gt 50 ]; then log "no free port from $want_port"; exit 1; fi
		port=$((port + 1))
	done
	echo "$port" >"$dir/port"
	echo "$port"
}

# write_env LINE...: the env file (0600, replaced atomically) holding the lines; prints its path.
write_env() {
	local tmp="$env_file.tmp.$$"
	(
		umask 077
		printf '%s\n' "$@" >"$tmp"
	)
	mv -f "$tmp" "$env_file"
	echo "$env_file"
}

stop() {
	find_tools
	if is_running; then
		stop_server
		log "stopped"
	else
		log "not running"
	fi
	rm -f "$env_file"
}

# The command line both scripts take: [start|stop|status|clean].
main() {
	case "${1:-start}" in
	start) start ;;
	stop) stop ;;
	status)
		find_tools
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
}
