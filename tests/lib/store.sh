# Sourced by the shell tests: a store named by the SQLite file it would be,
# on SQLite, or on PostgreSQL when RECTRACK_TEST_PG names the test cluster's
# directory (tests/pg_fixture.sh): there each file is a schema of its own in
# the cluster's test database. The key file is FILE.key on both.
#
#   store_at FILE        the store's location (--db): FILE, or a PostgreSQL URL
#   store_sql FILE SQL   runs SQL on it outside rectrack (sqlite3, psql): rows
#                        as value|value lines
#   store_copy FROM TO   TO becomes a copy of FROM as it is (a file copy; on
#                        PostgreSQL `rectrack copy` into a fresh schema)
#   store_drop FILE      removes the store
#   store_drop_triggers  the SQL that drops the ledger's append-only triggers
if [ -n "${RECTRACK_TEST_PG:-}" ]; then
  TEST_ENGINE=postgres
  PG_TEST_URL="$(cat "$RECTRACK_TEST_PG/test_url")" || {
    echo "the PostgreSQL test cluster is not running (tests/pg_fixture.sh start)" >&2
    exit 1
  }
else
  TEST_ENGINE=sqlite
fi

_store_schema() {
  local abs
  abs="$(realpath -m "$1")"
  echo "s_$(printf '%s' "$abs" | sha256sum | cut -c1-24)"
}

store_at() {
  if [ "$TEST_ENGINE" = sqlite ]; then
    echo "$1"
    return
  fi
  local schema
  schema="$(_store_schema "$1")"
  psql "$PG_TEST_URL" -qAt -c "SET client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS $schema" >/dev/null
  echo "$PG_TEST_URL?options=-csearch_path%3D$schema"
}

store_sql() {
  local file="$1"; shift
  if [ "$TEST_ENGINE" = sqlite ]; then
    sqlite3 "$file" "$@"
  else
    psql "$(store_at "$file")" -qAt -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "$*"
  fi
}

store_drop() {
  if [ "$TEST_ENGINE" = sqlite ]; then
    rm -f "$1" "$1-wal" "$1-shm"
  else
    psql "$PG_TEST_URL" -qAt -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $(_store_schema "$1") CASCADE" >/dev/null
  fi
}

store_copy() {
  local from="$1" to="$2"
  store_drop "$to"
  if [ -f "$from.key" ] && [ "$from.key" != "$to.key" ]; then cp "$from.key" "$to.key"; fi
  if [ "$TEST_ENGINE" = sqlite ]; then
    sqlite3 "$from" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    cp "$from" "$to"
  else
    "$BIN" --key-file "$from.key" copy --from "$(store_at "$from")" --to "$(store_at "$to")" >/dev/null
  fi
}

store_drop_triggers() {
  if [ "$TEST_ENGINE" = sqlite ]; then
    echo "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete;"
  else
    echo "DROP TRIGGER ledger_no_change ON ledger; DROP TRIGGER ledger_no_truncate ON ledger;"
  fi
}
