#!/usr/bin/env bash
# `rectrack backup` / `restore` and deploy/backup.sh on a real store (an SQLite
# file, or with RECTRACK_TEST_PG a schema of the test cluster), while a real
# server on loopback takes writes through the API: every backup restores to a
# new store that passes a full verify, holds every write acknowledged before
# the backup began, and whose ledger is the source's up to its head; a backup
# taken at rest exports the very JSON of the source. Then the refusals: an
# existing OUT, a missing store, pg_dump missing, a non-empty target, a
# tampered backup, the wrong key.
# Usage: deploy_backup.sh RECTRACK REPO_ROOT
set -uo pipefail
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$2" && pwd)"
. "$ROOT/tests/lib/store.sh"
. "$ROOT/tests/lib/deploy.sh"
WORK="$(mktemp -d)"
DBS_MADE=()
cleanup() {
  touch "$WORK/stop"
  stop_bg
  if [ "$TEST_ENGINE" = postgres ]; then
    for d in "${DBS_MADE[@]}"; do psql "$PG_TEST_URL" -qc "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
echo "engine: $TEST_ENGINE"

rt() { "$BIN" --db "$(store_at "$DB")" --key-file "$DB.key" "$@"; }

# Where a restore goes: a new file; on PostgreSQL a schema in a database of its
# own (pg_restore recreates the archive's schema, which exists beside it here).
restore_target() {
  if [ "$TEST_ENGINE" = sqlite ]; then
    echo "$WORK/$1.db"
    return
  fi
  local name="rt_restore_$$_$1"
  psql "$PG_TEST_URL" -qc "CREATE DATABASE $name" >/dev/null
  DBS_MADE+=("$name")
  echo "${PG_TEST_URL%/*}/$name?options=-csearch_path%3Dtracker"
}
# SQL on a restore target (psql or sqlite3).
target_sql() {
  if [ "$TEST_ENGINE" = sqlite ]; then sqlite3 "$1" "$2"; else psql "$1" -qAt -c "$2"; fi
}
target_exists() {
  if [ "$TEST_ENGINE" = sqlite ]; then
    [ -e "$1" ]
  else
    [ "$(psql "$1" -qAt -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'tracker'")" != 0 ]
  fi
}

# --- A store, a user with an API token, a server, a steady writer -----------
DB="$WORK/source.db"
rt init >/dev/null && rt import json "$ROOT/examples/harris/harris-2016.json" >/dev/null || { bad "import"; summary; exit 1; }
printf 'correct horse battery staple\n' >pw.txt
rt user add clerk --role coordinator --password-file pw.txt >/dev/null
TOKEN="$(rt user token clerk --name backup-test 2>/dev/null)"
check "an API token was made" test -n "$TOKEN"
serve_bg server.log "$BIN" --db "$(store_at "$DB")" --key-file "$DB.key" || { bad "the server listens"; summary; exit 1; }
URL="http://127.0.0.1:$SERVED_PORT"
wait_http "$URL/" 30 || { cat server.log; bad "the server answers"; summary; exit 1; }
ASG=1

# One update after another through the API, until $WORK/stop: each write's
# number to writes.ok once it got a 2xx.
writer() {
  local i=0 etag code
  : >writes.ok
  while [ ! -e "$WORK/stop" ]; do
    i=$((i + 1))
    etag="$(curl -s -D - -o /dev/null "$URL/api/v1/assignments/$ASG" | tr -d '\r' |
      sed -n 's/^[Ee][Tt][Aa][Gg]: *//p')"
    code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/api/v1/assignments/$ASG/updates" \
      -H "Authorization: Bearer $TOKEN" -H "If-Match: $etag" -H 'Content-Type: application/json' \
      --data "{\"narrative\": \"write $i\", \"implementation\": \"in progress\"}")"
    case "$code" in
      2*) echo "$i" >>writes.ok ;;
      *) echo "$i $code" >>writes.failed ;;
    esac
  done
}
acked() { wc -l <writes.ok; }
wait_acked() {  # until at least N writes are acknowledged
  for _ in $(seq 1 300); do
    [ "$(acked)" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
updates_in() { target_sql "$1" "SELECT count(*) FROM updates WHERE narrative LIKE 'write %'"; }

writer &
WRITER=$!
check "the writer's first writes are acknowledged" wait_acked 5

# --- deploy/backup.sh while the writer writes --------------------------------
BK="$WORK/backups"
run_backup_sh() {
  "$ROOT/deploy/backup.sh" --db "$(store_at "$DB")" --key-file "$DB.key" --dir "$BK" --keep 2 \
    --rectrack "$BIN" "$@"
}
before="$(acked)"
run_backup_sh >backup1.out 2>&1
rc=$?
after="$(acked)"
check "backup.sh under load exits 0" test "$rc" = 0
[ "$rc" = 0 ] || cat backup1.out
check "it says the signing key is not in the backup" grep -q "signing key is not in the backup" backup1.out
first="$(ls "$BK"/rectrack-*.backup 2>/dev/null | head -1)"
check "it wrote a backup file" test -s "$first"
check "the backup is mode 0600" test "$(stat -c %a "$first")" = 600
check_writes_continue() { wait_acked "$((after + 5))"; }
check "writes went on after the backup" check_writes_continue

R1="$(restore_target r1)"
"$BIN" restore "$first" --to "$R1" --key-file "$DB.key" >restore1.out 2>&1
rc=$?
check "the backup made under load restores, and verify passes (exit 0)" test "$rc" = 0
check "restore reports verify OK" grep -q "^verify OK" restore1.out
[ "$rc" = 0 ] || cat restore1.out
n1="$(updates_in "$R1")"
check "the restored store holds every write acknowledged before the backup began ($n1 >= $before)" \
  test "${n1:-0}" -ge "$before"
check "and none that had not been sent when it ended ($n1 <= $after + 1)" test "${n1:-0}" -le "$((after + 1))"
# The ledger of the copy is the source's, up to the copy's head: with verify
# (its tables are its ledger replayed) the copy is the source as it was then.
read -r head1 hash1 < <(target_sql "$R1" "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1" | tr '|' ' ')
src_hash="$(store_sql "$DB" "SELECT hash FROM ledger WHERE seq = $head1")"
check "the copy's ledger head ($head1) is the source's event $head1" test -n "$hash1" -a "$hash1" = "$src_hash"

# Two more runs: rotation keeps the newest two.
wait_acked "$(( $(acked) + 3 ))"
run_backup_sh >backup2.out 2>&1 && run_backup_sh --with-key >backup3.out 2>&1
check "two more runs of backup.sh exit 0" test $? = 0
check "rotation keeps two backups" test "$(ls "$BK"/rectrack-*.backup | wc -l)" = 2
check "the oldest went" test ! -e "$first"
newest="$(ls "$BK"/rectrack-*.backup | tail -1)"
check "--with-key wrote the key beside the newest, mode 0600" test "$(stat -c %a "$newest.key" 2>/dev/null)" = 600
check "no partial file is left in the backup directory" test -z "$(ls -A "$BK" | grep partial)"

# --- at rest: the restored store exports exactly the source's JSON -----------
touch "$WORK/stop"
wait "$WRITER"
check "every write the writer sent was acknowledged" test ! -s writes.failed
rt backup "$WORK/rest.backup" --with-key >rest.out 2>&1
check "rectrack backup at rest exits 0" test $? = 0
R2="$(restore_target r2)"
"$BIN" restore "$WORK/rest.backup" --to "$R2" >restore2.out 2>&1
check "restore picks BACKUP.key, verify passes" test $? = 0
check "and says the key file's key signed it" grep -q "signed by the key file's key" restore2.out
rt export json >source.json
"$BIN" --db "$R2" export json >restored.json
check "export json of the restored store equals the source's" cmp -s source.json restored.json
check "the export is not empty" test "$(wc -c <source.json)" -gt 1000
check "rectrack verify of the source passes" rt verify >/dev/null
if [ "$TEST_ENGINE" = sqlite ]; then
  check "the restored SQLite store got the key beside it" test "$(stat -c %a "$R2.key" 2>/dev/null)" = 600
fi

# --- refusals --------------------------------------------------------------
rt backup "$WORK/rest.backup" >exists.out 2>&1
check "an existing OUT is refused" test $? != 0
check "  saying so" grep -q "exists" exists.out
rt backup "$WORK/rest.backup" --force >/dev/null 2>&1
check "--force replaces it" test $? = 0
"$BIN" restore "$WORK/rest.backup" --to "$R2" >nonempty.out 2>&1
check "a restore onto a store is refused" test $? != 0
check "  saying why" grep -E -q "exists already|not empty" nonempty.out
if [ "$TEST_ENGINE" = sqlite ]; then
  "$BIN" --db "$WORK/absent.db" backup "$WORK/absent.backup" >absent.out 2>&1
  check "a missing store is refused" test $? != 0
  check "  and not made by the attempt" test ! -e "$WORK/absent.db" -a ! -e "$WORK/absent.backup"
else
  "$BIN" --db "${PG_TEST_URL}?options=-csearch_path%3Dno_such_schema" backup "$WORK/absent.backup" >absent.out 2>&1
  check "a missing store (no such schema) is refused" test $? != 0
  check "  and no backup is written" test ! -e "$WORK/absent.backup"
  mkdir -p "$WORK/nobin"
  ln -sf "$(command -v dirname)" "$WORK/nobin/dirname"
  PATH="$WORK/nobin" "$BIN" --db "$(store_at "$DB")" backup "$WORK/nopg.backup" >nopg.out 2>&1
  check "pg_dump missing: refused" test $? != 0
  check "  naming pg_dump" grep -q "pg_dump was not found" nopg.out
  check "  nothing written" test -z "$(ls -A "$WORK" | grep -E 'nopg\.backup')"
  R_SAME="$(store_at "$WORK/same-db-target.db")"
  "$BIN" restore "$WORK/rest.backup" --to "$R_SAME" >samedb.out 2>&1
  check "restoring beside the schema it came from is refused clearly" grep -q "exists in this database already" samedb.out
fi
check "a missing store's message says there is none" grep -q "no store" absent.out

# A backup of a store edited behind rectrack's back restores to nothing (exit 3).
R3="$(restore_target r3)"
"$BIN" restore "$WORK/rest.backup" --to "$R3" >/dev/null 2>&1
target_sql "$R3" "UPDATE owners SET name = 'Someone Else' WHERE id = (SELECT min(id) FROM owners)" >/dev/null
"$BIN" --db "$R3" backup "$WORK/tampered.backup" >/dev/null 2>&1
check "a tampered store can be backed up (backup does not judge)" test -s "$WORK/tampered.backup"
R4="$(restore_target r4)"
"$BIN" restore "$WORK/tampered.backup" --to "$R4" --key-file "$DB.key" >tampered.out 2>&1
check "restoring it fails with exit 3" test $? = 3
check "  saying verify failed" grep -q "FAILS verify" tampered.out
absent() { ! target_exists "$1"; }
check "  and the restored store is removed" absent "$R4"

# The wrong key: verify requires the store's key to be the key file's.
"$BIN" --db "$WORK/other.db" init >/dev/null 2>&1
R5="$(restore_target r5)"
"$BIN" restore "$WORK/rest.backup" --to "$R5" --key-file "$WORK/other.db.key" >wrongkey.out 2>&1
check "a restore with another tracker's key fails (exit 3)" test $? = 3

"$BIN" restore "$WORK/pw.txt" --to "$(restore_target r6)" >notbackup.out 2>&1
check "a file that is no backup is refused" grep -q "not a rectrack backup" notbackup.out

summary
