#!/usr/bin/env bash
# Reading a report itself (issue 11), end to end with the executable: real UPR
# reports (tests/fixtures/documents/, copied from the published PDFs) give
# their golden drafts (tests/golden/documents/) byte for byte; a draft goes
# into a store all or nothing and verifies; corrupt, hostile and non-PDF files
# get clear errors and write nothing. On SQLite and (as documents_e2e/pg)
# PostgreSQL.
# Usage: documents_e2e.sh RECTRACK REPO_ROOT [--update]
#   --update rewrites the golden drafts from this build (check them by eye).
set -uo pipefail
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$2" && pwd)"
UPDATE="${3:-}"
. "$ROOT/tests/lib/store.sh"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
rt() { "$BIN" --db "$(store_at "$DB")" --key-file "$DB.key" "$@"; }
DOCS="$ROOT/tests/fixtures/documents"
GOLD="$ROOT/tests/golden/documents"
echo "engine: $TEST_ENGINE"

# --- Each fixture's draft is its golden file, byte for byte.
for pdf in "$DOCS"/*.pdf; do
  name="$(basename "$pdf" .pdf)"
  # Run from the fixtures' folder so that the draft names the file as in the golden one.
  (cd "$DOCS" && "$BIN" import document "$name.pdf" --preset upr -o "$WORK/$name.json") 2>"$name.err"
  rc=$?
  check "import document $name.pdf (exit $rc: $(head -c 200 "$name.err"))" test "$rc" = 0
  if [ "$UPDATE" = --update ]; then cp "$name.json" "$GOLD/$name.json"; fi
  check "its draft is the golden one (diff $name.json)" cmp -s "$name.json" "$GOLD/$name.json"
done
check "the summary says how many items to check" grep -q '^afghanistan2009.pdf: 143 recommendation(s) from 26 page(s)' afghanistan2009.err

# Several at once, a draft each, into a folder made for them; the same drafts.
(cd "$DOCS" && "$BIN" import document *.pdf --preset upr --draft-dir "$WORK/all/drafts") 2>all.err
rc=$?
check "several documents into --draft-dir, made (exit $rc: $(head -c 200 all.err))" test "$rc" = 0
for pdf in "$DOCS"/*.pdf; do
  name="$(basename "$pdf" .pdf)"
  check "  $name's draft there is the golden one" cmp -s "all/drafts/$name.json" "$GOLD/$name.json"
done
: >a-file
"$BIN" import document "$DOCS/kenya2010.pdf" --preset upr --draft-dir a-file 2>err.txt; rc=$?
check "a --draft-dir that is a file is refused (exit $rc: $(head -c 200 err.txt))" grep -q 'not a folder' err.txt

# --- Nothing is written to a store by import document: there is none here.
check "import document needs no store" test ! -e rectrack.db

# --- The draft into a store: all or nothing, then verify.
DB=a.db
rt init >/dev/null
rt import draft afghanistan2009.json >out.txt 2>err.txt; rc=$?
check "import draft (exit $rc: $(head -c 300 err.txt))" test "$rc" = 0
check "it makes one source of 143 recommendations" grep -q '1 source(s), 143 recommendation(s), 143 assignment(s)' out.txt
SRC=upr-a-hrc-12-9-afghanistan
check "the source is named from the document's symbol and state" grep -q "source: $SRC" out.txt
rows="$(rt list --source "$SRC" --format csv | tail -n +2 | wc -l)"
check "list shows the 143 ($rows)" test "$rows" = 143
rt show "$SRC" 96.1 >show.txt
check "show gives the recommending states" grep -q 'Made by: France, Argentina, Czech Republic' show.txt
check "and the text without the final bracket" grep -q 'Czech Republic) and establish its national preventive mechanism accordingly$' show.txt
check "and the owner, the state under review" grep -q 'Afghanistan' show.txt
rejected="$(rt list --source "$SRC" --format json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
rows = rows.get("assignments", rows) if isinstance(rows, dict) else rows
print(sum(1 for r in rows if r.get("response") == "rejected"))')"
check "the 10 recommendations of paragraph 97 read as rejected ($rejected)" test "$rejected" = 10
rt verify >verify.txt 2>&1; rc=$?
check "verify passes after the import (exit $rc)" test "$rc" = 0

# The same draft again: refused, and nothing of it is written.
before="$(rt export json | sha256sum)"
rt import draft afghanistan2009.json >/dev/null 2>err.txt; rc=$?
check "the same draft again is refused (exit $rc)" test "$rc" != 0
check "saying the source exists ($(head -c 200 err.txt))" grep -qi 'exists\|already' err.txt
check "and the store is as it was" test "$(rt export json | sha256sum)" = "$before"

# A draft a person broke: a repeated ref. A clear error naming it; nothing written.
python3 - kenya2010.json broken.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["items"][5]["ref"] = d["items"][4]["ref"]
json.dump(d, open(sys.argv[2], "w"))
EOF
rt import draft broken.json >/dev/null 2>err.txt; rc=$?
check "a draft with a repeated ref is refused (exit $rc)" test "$rc" = 1
check "naming the item ($(head -c 200 err.txt))" grep -q 'item 6 (ref 101.5): the ref is repeated' err.txt
check "and nothing is written" test "$(rt export json | sha256sum)" = "$before"

# An edited draft: another slug, an item dropped, a text corrected.
python3 - andorra2011.json edited.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
del d["items"][0]
d["items"][0]["text"] = "Corrected by the office"
json.dump(d, open(sys.argv[2], "w"))
EOF
rt import draft edited.json --new-source upr-2011-andorra --source-title "UPR 2011: Andorra" \
  --date 2011-01-20 >out.txt 2>err.txt; rc=$?
check "an edited draft imports under the slug given (exit $rc: $(head -c 200 err.txt))" \
  grep -q 'source: upr-2011-andorra' out.txt
check "with its 55 remaining items" grep -q '55 recommendation(s)' out.txt
check "and the corrected text" grep -q 'Corrected by the office' <(rt show upr-2011-andorra 83.2)
rt verify >/dev/null 2>&1; rc=$?
check "verify passes (exit $rc)" test "$rc" = 0

# The item dropped above, added to that source later (import draft --source).
python3 - andorra2011.json first.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["items"] = d["items"][:1]
json.dump(d, open(sys.argv[2], "w"))
EOF
rt import draft first.json --source upr-2011-andorra >out.txt 2>err.txt; rc=$?
check "a draft adds to an existing source (exit $rc: $(head -c 200 err.txt))" grep -q '0 source(s), 1 recommendation(s)' out.txt
rows="$(rt list --source upr-2011-andorra --format csv | tail -n +2 | wc -l)"
check "which now has all 56 ($rows)" test "$rows" = 56
before="$(rt export json | sha256sum)"
rt import draft first.json --source upr-2011-andorra >/dev/null 2>err.txt; rc=$?
check "the same item again is refused, naming its ref (exit $rc: $(head -c 200 err.txt))" grep -q '83.1' err.txt
rt import draft first.json --source upr-2099-nowhere >/dev/null 2>err.txt; rc=$?
check "a source that is not there is refused (exit $rc: $(head -c 200 err.txt))" grep -q "source 'upr-2099-nowhere' is not in the store" err.txt
rt import draft first.json --source upr-2011-andorra --new-source other >/dev/null 2>err.txt; rc=$?
check "--source and --new-source together are refused (exit $rc)" test "$rc" != 0
check "and nothing of these is written" test "$(rt export json | sha256sum)" = "$before"
rt verify >/dev/null 2>&1; rc=$?
check "verify passes (exit $rc)" test "$rc" = 0

# With a store, a draft's addressees are checked against its owners.
rt import document "$DOCS/andorra2011.pdf" --preset upr -o mapped.json 2>/dev/null
check "an owner already in the store gets no note" test "$(grep -c 'not an owner yet' mapped.json)" = 0
rt import document "$DOCS/kenya2010.pdf" --preset upr -o unmapped.json 2>/dev/null
check "one that is not is flagged on its items" grep -q "addressee 'Kenya' is not an owner yet" unmapped.json
check "and import document wrote nothing to the store" test "$(rt export json | sha256sum)" = "$before"

# A PDF whose font maps bytes to control characters (U+0001 in a word and in
# a bracket): blanked in the page's text, so the draft imports and the state
# is "Argentina", not "Argentina and " (found by the document harness).
python3 "$ROOT/tests/lib/hostile_pdf.py" control control.pdf
"$BIN" import document control.pdf --preset upr -o control.json 2>err.txt; rc=$?
check "a PDF with control characters in its text is read (exit $rc: $(head -c 200 err.txt))" test "$rc" = 0
check "its states are whole" python3 -c '
import json, sys
items = json.load(open("control.json"))["items"]
sys.exit(0 if [i["recommended_by"] for i in items] == [["France", "Argentina"], ["Chile"]]
         and items[0]["text"] == "Ratify OP-CAT" else 1)'
rt import draft control.json --new-source upr-control --date 2011-01-01 >/dev/null 2>err.txt; rc=$?
check "and its draft imports (exit $rc: $(head -c 200 err.txt))" test "$rc" = 0

# --- Bad input: clear errors, no draft written.
bad_doc() {  # NAME FILE EXPECTED-MESSAGE-PATTERN
  local name="$1" file="$2" want="$3"
  rm -f draft.json
  "$BIN" import document "$file" -o draft.json >/dev/null 2>err.txt; local rc=$?
  check "$name: exit 1 ($rc)" test "$rc" = 1
  check "$name: says so ($(head -c 200 err.txt))" grep -q -- "$want" err.txt
  check "$name: no draft" test ! -e draft.json
}
head -c 2000 /bin/sh >binary.pdf
bad_doc "a binary file that is no PDF" binary.pdf "neither a PDF nor UTF-8 text"
head -c 3000 "$DOCS/andorra2011.pdf" >cut.pdf
bad_doc "a PDF cut short" cut.pdf "cut.pdf: the PDF has no pages"
python3 "$ROOT/tests/lib/hostile_pdf.py" pages pages.pdf
bad_doc "a PDF of 2,001 pages" pages.pdf "2001 pages, more than the limit of 2000"
python3 "$ROOT/tests/lib/hostile_pdf.py" nest nest.pdf
bad_doc "a PDF nested 200,000 deep" nest.pdf "no text to read"
bad_doc "a text with a NUL after its first page" "$DOCS/control-after-page-break.txt" \
  "control-after-page-break.txt: a control character (U+0000) at byte"
printf 'A letter with no numbered items.\n' >letter.txt
bad_doc "a text with no recommendations" letter.txt "no numbered recommendations found in 1 page(s) with the generic preset"
"$BIN" import document "$DOCS/ecuador2008.pdf" --preset fancy >/dev/null 2>err.txt; rc=$?
check "an unknown preset is refused (exit $rc: $(head -c 120 err.txt))" grep -q "unknown preset 'fancy'" err.txt

echo "documents_e2e ($TEST_ENGINE): $pass passed, $fail failed"
[ "$fail" = 0 ]
