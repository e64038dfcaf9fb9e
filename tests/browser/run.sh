#!/usr/bin/env bash
# Browser tests: Debian's Chromium driven by playwright-core, pages checked by
# axe-core, on SQLite or (RECTRACK_TEST_PG set) PostgreSQL. Usage: run.sh PATH/TO/rectrack
# Installs the pinned npm packages (package-lock.json) when node_modules is
# missing or older than the lock, then runs node's test runner on run.mjs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(cd "$(dirname "${1:?usage: run.sh PATH/TO/rectrack}")" && pwd)/$(basename "$1")"
cd "$here"

. "$here/../lib/npm.sh"
npm_ready browser

# The tests' PostgreSQL run (RECTRACK_TEST_PG): a schema of its own.
if [ -n "${RECTRACK_TEST_PG:-}" ]; then
  . "$here/../lib/store.sh"
  RECTRACK_BROWSER_DB="$(store_at "$(mktemp -u /tmp/rectrack-browser-pg-XXXXXX).db")"
  export RECTRACK_BROWSER_DB
fi

export RECTRACK_BIN="$bin"
export RECTRACK_SOURCE_DIR="$(cd "$here/../.." && pwd)"
exec node --test run.mjs
