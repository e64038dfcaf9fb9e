#!/usr/bin/env bash
# Bad input gets a clear error naming file, line and column, a non-zero exit
# code, and no write: after each failure the store's export and ledger are
# byte-identical to before, and SQLite's integrity check passes. On SQLite, or
# with RECTRACK_TEST_PG on PostgreSQL (tests/lib/store.sh).
# Usage: bad_input.sh RECTRACK FIXTURES_DIR
set -uo pipefail
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
FIX="$(cd "$2" && pwd)"
. "$FIX/../lib/store.sh"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
RECTRACK_DB="$(store_at "$WORK/store.db")"
export RECTRACK_DB RECTRACK_KEY_FILE="$WORK/store.db.key"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# A store with something in it, so "no write" means "nothing lost" too.
cp "$FIX/inquiry.csv" inquiry.csv
"$BIN" init >/dev/null || { echo "FAIL setup: init"; exit 1; }
"$BIN" import csv inquiry.csv --map ref=No --map text=Recommendation --map owner=Owner \
  --map status=Progress --owner-sep ";" --source-title "Base" --vocabulary uk_gov >/dev/null ||
  { echo "FAIL setup"; exit 1; }

snapshot() {
  "$BIN" export json -o "$WORK/$1.json" && store_sql "$WORK/store.db" \
    "SELECT seq || ' ' || hash FROM ledger ORDER BY seq" >"$WORK/$1.ledger"
}
snapshot before

# The database's own check of its structure (SQLite's integrity_check; on
# PostgreSQL, whose server keeps its own files, the store's verify).
integrity_ok() {
  if [ "$TEST_ENGINE" = sqlite ]; then
    [ "$(sqlite3 "$RECTRACK_DB" 'PRAGMA integrity_check')" = ok ]
  else
    "$BIN" verify >/dev/null
  fi
}

MAP=(--map ref=ref --map text=text --map owner=owner --map status=status --map due=due)

# expect NAME EXPECTED-STDERR-SUBSTRING -- ARGS...: must fail, say that, and write nothing.
expect() {
  local name="$1" want="$2"; shift 3
  "$BIN" "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?
  if ((rc == 0)); then bad "$name: exit 0"; return; fi
  if ! grep -qF -- "$want" "$WORK/err"; then
    bad "$name: stderr lacks '$want':"; cat "$WORK/err"; return
  fi
  if grep -q "internal error\|Segmentation\|Aborted" "$WORK/err"; then bad "$name: crashed"; return; fi
  snapshot after
  if ! cmp -s before.json after.json || ! cmp -s before.ledger after.ledger; then
    bad "$name: the store changed"; return
  fi
  if ! integrity_ok; then
    bad "$name: integrity check failed"; return
  fi
  ok "$name (exit $rc): $(head -c 160 "$WORK/err" | head -1)"
}

for f in unbalanced-quote bad-date unknown-status missing-column invalid-utf8 empty; do
  cp "$FIX/bad/$f.csv" .
done
expect unbalanced-quote "rectrack: error: unbalanced-quote.csv:2:4: unbalanced quote" -- \
  import csv unbalanced-quote.csv "${MAP[@]}"
expect bad-date "bad-date.csv:3:38: bad date '2017-02-30'" -- import csv bad-date.csv "${MAP[@]}"
expect unknown-status "unknown-status.csv:3:26: unknown status word 'sort of done'" -- \
  import csv unknown-status.csv "${MAP[@]}"
expect missing-column "missing-column.csv:1:1: no column 'owner'" -- \
  import csv missing-column.csv "${MAP[@]}"
expect invalid-utf8 "invalid-utf8.csv:3:13: invalid UTF-8 byte 0xD5" -- \
  import csv invalid-utf8.csv "${MAP[@]}"
expect empty "empty.csv: empty file" -- import csv empty.csv "${MAP[@]}"

# A 100 MB single line: one field with no closing quote, and one with no newline.
{ printf 'ref,text,owner\nR1,"'; head -c 100000000 /dev/zero | tr '\0' 'a'; } >huge-quote.csv
expect huge-unbalanced-quote "huge-quote.csv:2:4: quoted field longer than" -- \
  import csv huge-quote.csv --map ref=ref --map text=text --map owner=owner
{ printf 'ref,text,owner\nR1,'; head -c 100000000 /dev/zero | tr '\0' 'a'; printf ',Home Office\n'; } >huge-field.csv
expect huge-field "huge-field.csv:2:4: field longer than" -- \
  import csv huge-field.csv --map ref=ref --map text=text --map owner=owner
head -c 100000000 /dev/zero | tr '\0' 'b' >huge-header.csv
expect huge-header "huge-header.csv:1:1:" -- import csv huge-header.csv --map text=text
rm -f huge-*.csv

# Malformed native JSON, and valid JSON with a wrong value.
printf '{"format": "rectrack/1", "sources": [\n  {"slug": "x", "title": \n' >truncated.json
expect truncated-json "truncated.json:3:1:" -- import json truncated.json
printf '{"format":"rectrack/1","sources":[{"slug":"x","kind":"review","title":"X","recommendations":[{"ref":"1","text":"t","assignments":[{"owner":"A","implementation":"done"}]}]}]}\n' >badvalue.json
expect json-bad-value "implementation: unknown value 'done'" -- import json badvalue.json
printf '\xff\xfe{}' >binary.json
expect json-not-utf8 "binary.json:1:1: invalid UTF-8 byte 0xFF" -- import json binary.json

# A NUL byte: in a file, named where it is; escaped in JSON, refused by the
# store (PostgreSQL's text cannot hold one, and SQLite is not let to).
printf 'ref,text,owner\n1,a\000b,X\n' >nul.csv
expect nul-in-csv "nul.csv:2:4: a NUL byte (0x00)" -- import csv nul.csv --map ref=ref --map text=text --map owner=owner
printf '{"format":"rectrack/1","sources":[{"slug":"x","kind":"review","title":"X","recommendations":[{"ref":"1","text":"a\\u0000b","assignments":[{"owner":"A"}]}]}]}\n' >nul.json
expect nul-in-json "its text holds a control character (U+0000)" -- import json nul.json
# Other control characters too (issue 10): invisible, they break pages,
# terminals and feeds. Tab and line breaks stay allowed.
printf 'ref,text,owner\n1,"ring\007 the bell",X\n' >bel.csv
expect bel-in-csv "bel.csv:2:8: a control character (U+0007)" -- import csv bel.csv --map ref=ref --map text=text --map owner=owner
printf 'ref,text,owner\n1,esc \033[2J,X\n' >esc.csv
expect esc-in-csv "esc.csv:2:7: a control character (U+001B)" -- import csv esc.csv --map ref=ref --map text=text --map owner=owner
printf 'ref,text,owner\n1,next \302\205 line,X\n' >c1.csv
expect c1-in-csv "c1.csv:2:8: a control character (U+0085)" -- import csv c1.csv --map ref=ref --map text=text --map owner=owner
printf 'ref,text,owner\n1,a\205b,X\n' >c1-latin1.csv
expect c1-in-latin1-csv "c1-latin1.csv:2:4: a control character (U+0085)" -- import csv c1-latin1.csv --encoding latin1 --map ref=ref --map text=text --map owner=owner
printf '{"format":"rectrack/1","sources":[{"slug":"x","kind":"review","title":"X","recommendations":[{"ref":"1","text":"t","assignments":[{"owner":"A\\u001b[31m"}]}]}]}\n' >esc.json
expect esc-in-json "holds a control character (U+001B)" -- import json esc.json
expect del-in-update "Remove the control character (U+007F) from the narrative" -- \
  update base 1 --owner "Home Office" --note "$(printf 'rub\177out')"

# A source that is already there: refused whole, even though the file is valid.
expect duplicate-source "source 'base' is already in the store" -- \
  import csv inquiry.csv --map ref=No --map text=Recommendation --map owner=Owner \
  --owner-sep ";" --source-title "Base"

# Wrong arguments.
expect bad-map "unknown field 'colour'" -- import csv inquiry.csv --map colour=No --map text=Recommendation
expect bad-encoding "ebcdic" -- import csv inquiry.csv --map text=Recommendation --encoding ebcdic
expect missing-file "nope.csv: no such file" -- import csv nope.csv --map text=x
expect bad-as-of "--as-of" -- owners --as-of 2024-02-30
expect not-a-database "is not a rectrack database" -- --db inquiry.csv owners

# A server killed mid-write: kill -9 an import of a large file part-way; the
# store must be as before (SQLite rolls the transaction back) and verify OK.
# Large enough (2M rows, some 20 s of writing) that the kill lands well before the
# commit on any machine.
awk 'BEGIN { print "ref,text,owner"; for (i = 1; i <= 2000000; i++) printf "R%d,Recommendation number %d about safety,Owner %d\n", i, i, i % 50 }' >big.csv
# Kill it once it is writing: when its WAL file has grown past 1 MB.
"$BIN" import csv big.csv --map ref=ref --map text=text --map owner=owner --source-title Big >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 400); do
  [ "$(stat -c %s "$RECTRACK_DB-wal" 2>/dev/null || echo 0)" -gt 1000000 ] && break
  sleep 0.01
done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; status=$?
snapshot after
if ((status != 137)); then
  bad "killed mid-import: the import was not killed mid-write (exit $status)"
elif cmp -s before.json after.json && cmp -s before.ledger after.ledger &&
   "$BIN" verify >/dev/null && integrity_ok; then
  ok "killed mid-import: store unchanged and verified"
else
  bad "killed mid-import: store changed or broken"
fi

echo "$pass passed, $fail failed"
((fail == 0))
