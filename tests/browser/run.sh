#!/usr/bin/env bash
# Browser tests: Debian's Chromium driven by playwright-core, pages checked by
# axe-core, on SQLite or (RECTRACK_TEST_PG set) PostgreSQL. Usage: run.sh PATH/TO/rectrack
# Installs the pinned npm packages (package-lock.json) when node_modules is
# missing or older than the lock, then runs node's test runner on run.mjs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(cd "$(dirname "${1:?usage: run.sh PATH/TO/rectrack}")" && pwd)/$(basename "$1")"
cd "$here"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "browser: node and npm are needed (Node.js 20 or later)" >&2
  exit 1
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "browser: Node.js $(node --version) is too old; playwright-core needs 20 or later" >&2
  exit 1
fi

# npm keeps its cache under $HOME; a bare CI environment may have none.
if [ -z "${HOME:-}" ]; then export HOME="${TMPDIR:-/tmp}"; fi

stamp=node_modules/.rectrack-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "browser: npm ci (package-lock.json changed or node_modules missing)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# The tests' PostgreSQL run (RECTRACK_TEST_PG): a schema of its own.
if [ -n "${RECTRACK_TEST_PG:-}" ]; then
  . "$here/../lib/store.sh"
  RECTRACK_BROWSER_DB="$(store_at "$(mktemp -u /tmp/rectrack-browser-pg-XXXXXX).db")"
  export RECTRACK_BROWSER_DB
fi

export RECTRACK_BIN="$bin"
export RECTRACK_SOURCE_DIR="$(cd "$here/../.." && pwd)"
exec node --test run.mjs
