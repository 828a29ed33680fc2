#!/usr/bin/env bash
# Installs the pinned n8n 2.x into its own cached folder (never a dependency of this package) and
# builds its one native module that matters (sqlite3) against Node 24 headers.
# Prints the folder on stdout on success (all progress goes to stderr).
#
# Layout under ${WHATSAUTO_CACHE:-~/.cache/whatsauto}:
#   node-<v>/           full Node runtime (bin/node + include/node headers), from the npm package
#                       node-<os>-<arch>@<v>, v = the project's pinned "node" devDependency.
#                       It is a private copy so that an `npm install` in the repo (which replaces
#                       node_modules/node) can never pull the runtime from under a running n8n.
#   n8n-<version>/      npm install of n8n@<version>; `node` -> ../node-<v>/bin/node;
#                       `.npm-installed` after the npm step, `.complete` when usable.
# Safe to run concurrently (flock) and resumable (a finished npm step is not redone).
# Re-running with the cache complete is a no-op.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
version="${N8N_VERSION:-$(node -p "require('$here/devkit/n8n/n8n-version.json').version")}"
node_version="${WHATSAUTO_NODE_VERSION:-$(node -p "require('$here/package.json').devDependencies.node")}"
cache_root="${WHATSAUTO_CACHE:-$HOME/.cache/whatsauto}"
dir="$cache_root/n8n-$version"
runtime="$cache_root/node-$node_version"
log() { echo "install-n8n: $*" >&2; }

mkdir -p "$cache_root"
exec 9>"$cache_root/.install.lock"
if ! flock -n 9; then
  log "another install is running; waiting for it (up to 30 min)"
  flock -w 1800 9 || { log "timed out waiting for the install lock"; exit 1; }
fi

if [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi

case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) log "unsupported OS $(uname -s)"; exit 1 ;; esac
case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) log "unsupported arch $(uname -m)"; exit 1 ;; esac

if [ ! -x "$runtime/bin/node" ] || [ ! -f "$runtime/include/node/node.h" ]; then
  log "fetching Node $node_version runtime + headers (npm package node-$os-$arch@$node_version)"
  tmp="$(mktemp -d "$cache_root/.node-XXXXXX")"
  (cd "$tmp" && npm pack --loglevel=error "node-$os-$arch@$node_version" >/dev/null)
  tar -xzf "$tmp"/node-"$os"-"$arch"-*.tgz -C "$tmp"
  rm -rf "$runtime"
  mv "$tmp/package" "$runtime"
  rm -rf "$tmp"
fi
got="$("$runtime/bin/node" -v)"
[ "$got" = "v$node_version" ] || { log "runtime at $runtime is $got, expected v$node_version"; exit 1; }
export PATH="$runtime/bin:$PATH"

if [ ! -f "$dir/.npm-installed" ]; then
  log "installing n8n@$version into $dir (cold: ~5 minutes, ~2 GB)"
  rm -rf "$dir"
  mkdir -p "$dir"
  printf '{"name":"whatsauto-n8n-runtime","private":true}\n' > "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error "n8n@$version" >&2)
  touch "$dir/.npm-installed"
fi

log "building sqlite3 against Node $node_version headers"
(cd "$dir" && npm_config_nodedir="$runtime" npm rebuild sqlite3 --loglevel=error >&2)
"$runtime/bin/node" -e "require('$dir/node_modules/sqlite3')" >&2
ln -sfn "$runtime/bin/node" "$dir/node"
touch "$dir/.complete"
log "ready: $dir"
echo "$dir"
