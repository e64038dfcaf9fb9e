#!/usr/bin/env bash
# The ctest fixture "pg": a throw-away PostgreSQL cluster for the tests' runs
# on PostgreSQL (scripts/pg-cluster.sh) with a fresh database, rectrack_test,
# whose URL goes to DIR/test_url. Each test's store is a schema of its own in
# it (src/testing/test_store.cc, tests/lib/store.sh).
#   pg_fixture.sh start DIR | stop DIR
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cmd="$1"; dir="$2"
case "$cmd" in
  start)
    # A cluster left by a run that was killed is stopped first.
    "$ROOT/scripts/pg-cluster.sh" stop "$dir"
    admin="$("$ROOT/scripts/pg-cluster.sh" start "$dir")"
    psql "$admin" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE rectrack_test" >/dev/null
    echo "${admin%/postgres}/rectrack_test" >"$dir/test_url"
    echo "PostgreSQL test cluster: $(cat "$dir/test_url")"
    ;;
  stop)
    "$ROOT/scripts/pg-cluster.sh" stop "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
