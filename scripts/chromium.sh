#!/usr/bin/env bash
# Installs Debian's `chromium` (the browser the sandbox e2e test drives through playwright-core) when
# /usr/bin/chromium is missing. Needs root or password-less sudo. Prints the browser's path on success.
# Playwright never downloads a browser here: the test points playwright-core at this one.
set -euo pipefail
bin="${CHROMIUM_BIN:-/usr/bin/chromium}"
log() { echo "chromium: $*" >&2; }

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  log "$bin is missing and installing it needs root (apt-get install chromium)"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# apt-get holds a lock; a concurrent run waits for it instead of failing
apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
log "installing Debian's chromium (apt-get update, then apt-get install chromium; ~1-3 minutes)"
"${sudo[@]}" apt-get "${apt_opts[@]}" update -qq >&2
"${sudo[@]}" apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-noto-color-emoji >&2
[ -x "$bin" ] || { log "apt-get finished but $bin is still missing"; exit 1; }
log "ready: $("$bin" --version 2>/dev/null || echo "$bin")"
echo "$bin"
