#!/usr/bin/env bash
# The tamper suite (docs/trust.md): an insider with write access to the store
# edits it behind rectrack's back (the sqlite3 shell on an SQLite file; psql,
# with the table owner's rights, on PostgreSQL: tests/lib/store.sh), one case
# per row, each on a fresh copy of a real store. On PostgreSQL the insider
# first drops the ledger's append-only triggers, as a table owner can, so that
# verify is shown to catch every edit on its own. Each case expects `rectrack verify` to
# exit 3 and name the place (table, key, column; or the event), and a server
# started on the edited file to stop serving what was forged: /healthz 503 and
# the forged item refused. Then the attacks that need more than one file: a
# chain rewritten and re-signed with a key the attacker made, a rollback to an
# older copy (caught by a checkpoint kept outside), and witnesses that see a
# rolled-back and a forked history.
# Usage: tamper.sh RECTRACK REPO_ROOT
set -uo pipefail
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$2" && pwd)"
. "$ROOT/tests/lib/store.sh"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  if [ "$TEST_ENGINE" = postgres ]; then
    for f in base t forged-src attacker old live fork; do store_drop "$WORK/$f.db"; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
pass=0; fail=0; skipped=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# skip NAME WHY: a case that only means something on the other engine.
skip() { skipped=$((skipped + 1)); echo "skip $1 ($TEST_ENGINE: $2)"; }
echo "engine: $TEST_ENGINE"
# rtx FILE ARGS: rectrack on the store FILE names, with its key file FILE.key.
rtx() { local f="$1"; shift; "$BIN" --db "$(store_at "$f")" --key-file "$f.key" "$@"; }

# serve FILE: starts a server on the store FILE names, on a free port; sets
# PORT and SERVER_PID. The server checks its store in full before it listens.
serve() {
  local db="$1" port="${2:-0}" log="$WORK/serve.log"
  : >"$log"
  "$BIN" --db "$(store_at "$db")" --key-file "$db.key" serve --listen "127.0.0.1:$port" --access-log '' --verify-every-ms 50 >"$log" 2>&1 &
  SERVER_PID=$!
  PORT=""
  for _ in $(seq 1 300); do
    PORT=$(sed -n 's|.*on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$log" | head -1)
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "server did not start:"; cat "$log"
  return 1
}
stop() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}
status() { curl -s -o "$WORK/body" -w '%{http_code}' "http://127.0.0.1:$PORT$1"; }

# ---- The store: the Harris example with its publications, the PFD sample,
# a merge and a rename, accounts, API tokens and every state of the workflow.
DB="$WORK/base.db"
DB_AT="$(store_at "$DB")"
rt() { "$BIN" --db "$DB_AT" --key-file "$DB.key" "$@"; }
rt init >/dev/null
rt import json "$ROOT/examples/harris/harris-2016.json" >/dev/null
rt import pfd "$ROOT/tests/fixtures/pfd-sample.csv" >/dev/null
rt owner alias "Department of Health" "Department of Health and Social Care" >/dev/null
rt owner alias "Port of London Authority" "PLA (Port of London Authority)" >/dev/null
rt owner tier "Mayor of London" city >/dev/null
rt update harris-2016 G3 --owner "Home Office" --date 2018-06-04 --status implemented \
  --note "CONTEST 2018 published" --evidence https://example.org/contest >/dev/null
rt update harris-2016 D1 --owner "Metropolitan Police Service" --target 2018-03-31 >/dev/null
rt update harris-2016 D2 --owner "Metropolitan Police Service" --target 2018-06-30 >/dev/null
printf 'coordinator pass 1\n' | rt user add cora --role coordinator >/dev/null
printf 'coordinator pass 2\n' | rt user add colin --role coordinator >/dev/null
printf 'editor pass 1\n' | rt user add eddie --role editor --owner "Home Office" >/dev/null
printf 'viewer pass 1\n' | rt user add vera --role viewer >/dev/null
TOK_E=$(rt user token eddie --name "editor script" 2>/dev/null | grep -o 'rtk_[0-9a-f]*')
TOK_C=$(rt user token cora --name "office script" 2>/dev/null | grep -o 'rtk_[0-9a-f]*')
rt user token colin --name "old script" >/dev/null 2>&1
q() { store_sql "$DB" "$1"; }
serve "$DB" || exit 1
for A in $(q "SELECT a.id FROM assignments a JOIN owners o ON o.id = a.owner_id WHERE o.name = 'Home Office' ORDER BY a.id LIMIT 2"); do
  ET=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $TOK_E" "http://127.0.0.1:$PORT/api/v1/assignments/$A" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
  curl -s -o /dev/null -X POST -H "Authorization: Bearer $TOK_E" -H "If-Match: $ET" -H 'Content-Type: application/json' \
    -d "{\"date\":\"2019-01-10\",\"implementation\":\"in_progress\",\"narrative\":\"Work has begun on $A\"}" \
    "http://127.0.0.1:$PORT/api/v1/assignments/$A/updates"
done
read -r U1 U2 <<<"$(q "SELECT id FROM updates WHERE state = 'submitted' ORDER BY id" | tr '\n' ' ')"
curl -s -o /dev/null -X POST -H "Authorization: Bearer $TOK_C" -H 'Content-Type: application/json' -d '{}' \
  "http://127.0.0.1:$PORT/api/v1/updates/$U1/validate"
curl -s -o /dev/null -X POST -H "Authorization: Bearer $TOK_C" -H 'Content-Type: application/json' \
  -d '{"reason":"Please add the date of the exercise"}' "http://127.0.0.1:$PORT/api/v1/updates/$U2/return"
stop
rt user disable colin >/dev/null
rt publish harris-2016 --as-of 2019-02-01 --title "Update, February 2019" >/dev/null
rt checkpoint -o "$WORK/checkpoint-base.json" 2>/dev/null
states=$(q "SELECT state FROM updates GROUP BY state ORDER BY state" | paste -sd, -)
if [ "$states" = "returned,submitted,validated" ] || [ "$states" = "returned,validated" ]; then
  ok "the store has the workflow's states ($states)"
else
  bad "the store lacks the workflow's states: $states"
fi
if rt verify >/dev/null; then ok "the untouched store verifies"; else bad "the untouched store fails verify"; fi

# Ids the cases edit, read from the store.
HO=$(q "SELECT id FROM owners WHERE name = 'Home Office'")
LAS=$(q "SELECT id FROM owners WHERE name = 'London Ambulance Service'")
G1=$(q "SELECT r.id FROM recommendations r JOIN sources s ON s.id = r.source_id WHERE s.slug = 'harris-2016' AND r.ref = 'G1'")
PFD=$(q "SELECT slug FROM sources WHERE kind = 'pfd' ORDER BY id LIMIT 1")
PFD_ID=$(q "SELECT id FROM sources WHERE slug = '$PFD'")
PFD_REC=$(q "SELECT min(id) FROM recommendations WHERE source_id = $PFD_ID")
UPD=$(q "SELECT id FROM updates WHERE narrative = 'CONTEST 2018 published'")
EDDIE=$(q "SELECT id FROM users WHERE name = 'eddie'")
VERA=$(q "SELECT id FROM users WHERE name = 'vera'")
COLIN_TOKEN=$(q "SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.name = 'colin'")
LAST_PUB=$(q "SELECT max(id) FROM publications")
T_ASG=$(q "SELECT min(assignment_id) FROM assignment_targets")
T_ASG2=$(q "SELECT max(assignment_id) FROM assignment_targets")
HEAD=$(q "SELECT max(seq) FROM ledger")
CP=$(q "SELECT max(ledger_seq) FROM checkpoints")
# The event that published the last publication (its id in the payload's JSON).
if [ "$TEST_ENGINE" = sqlite ]; then
  PUB_ID_OF_PAYLOAD="json_extract(payload, '\$.about.publication_id')"
else
  PUB_ID_OF_PAYLOAD="(payload::json #>> '{about,publication_id}')::bigint"
fi
PUB_SEQ=$(q "SELECT min(seq) FROM ledger WHERE kind = 'publish' AND $PUB_ID_OF_PAYLOAD = $LAST_PUB")
for v in HO LAS G1 PFD PFD_ID PFD_REC UPD EDDIE VERA COLIN_TOKEN LAST_PUB T_ASG T_ASG2 HEAD CP PUB_SEQ; do
  [ -n "${!v}" ] || { bad "setup: $v is empty"; exit 1; }
done
SRC=/sources/harris-2016

# tamper NAME SQL EXPECTED [URL]: on a fresh copy, with the ledger's
# append-only triggers dropped, `verify` exits 3 naming EXPECTED; a server on
# it answers /healthz and URL with 503.
tamper() {
  local name="$1" sql="$2" want="$3" url="${4:-$SRC}"
  store_copy "$DB" t.db
  # On PostgreSQL the foreign keys are enforced (SQLite's shell leaves them
  # off): the insider, a superuser, turns them off for the session, as
  # pg_restore does, so that a row others refer to can go.
  local fk_off=""
  [ "$TEST_ENGINE" = postgres ] && fk_off="SET session_replication_role = replica;"
  if ! store_sql t.db "$(store_drop_triggers) $fk_off $sql" >/dev/null 2>sqlerr; then
    bad "$name: the SQL failed: $(cat sqlerr)"; return
  fi
  rtx t.db verify >out 2>err; local rc=$?
  if ((rc != 3)) || ! grep -qF -- "$want" err; then
    bad "$name: verify exit $rc, wanted 3 naming '$want':"; cat out err; return
  fi
  if grep -q "internal error\|Segmentation\|Aborted" err; then bad "$name: crashed"; return; fi
  serve t.db || { bad "$name: no server"; return; }
  local h s
  h=$(status /healthz); s=$(status "$url")
  stop
  if [ "$h" != 503 ] || [ "$s" != 503 ]; then bad "$name: the server answered /healthz $h, $url $s"; return; fi
  ok "$name: $(grep -m1 -F -- "$want" err | sed 's/^ *//' | cut -c1-150)"
}

echo "# Every table of the projection: a column edited, a row deleted, a row inserted"
tamper "owners: renamed" "UPDATE owners SET name = 'Home Department' WHERE id = $HO" "owners, id $HO, column name: the ledger says 'Home Office', the table says 'Home Department'" /owners
tamper "owners: deleted" "DELETE FROM owners WHERE id = $LAS" "owners, id $LAS: row missing" "/owners/$LAS"
tamper "owners: inserted" "INSERT INTO owners(id, name, tier) VALUES(9999, 'Ghost Agency', 'city')" "owners, id 9999: row not in the ledger" /owners
tamper "owner_aliases: edited" "UPDATE owner_aliases SET owner_id = $LAS WHERE alias = 'DCLG'" "owner_aliases, alias 'DCLG', column owner_id" /owners
tamper "owner_aliases: deleted" "DELETE FROM owner_aliases WHERE alias = 'DCLG'" "owner_aliases, alias 'DCLG': row missing" /owners
tamper "owner_aliases: inserted" "INSERT INTO owner_aliases VALUES('Shadow Office', $HO)" "owner_aliases, alias 'Shadow Office': row not in the ledger" /owners
tamper "sources: edited" "UPDATE sources SET title = 'A review nobody made' WHERE slug = 'harris-2016'" "column title" /
tamper "sources: deleted" "DELETE FROM sources WHERE id = $PFD_ID" "sources, id $PFD_ID: row missing" "/sources/$PFD"
tamper "sources: inserted" "INSERT INTO sources(id, slug, kind, title) VALUES(9999, 'fake-inquiry', 'inquiry', 'Fake')" "sources, id 9999: row not in the ledger" /sources/fake-inquiry
tamper "recommendations: text edited" "UPDATE recommendations SET text = 'Nothing needs doing.' WHERE id = $G1" "recommendations, id $G1, column text" "/recommendations/$G1"
tamper "recommendations: deleted" "DELETE FROM recommendations WHERE id = $PFD_REC" "recommendations, id $PFD_REC: row missing" "/sources/$PFD"
tamper "recommendations: made up" "INSERT INTO recommendations(id, source_id, ref, text) SELECT 99999, id, 'G99', 'Abolish the review' FROM sources WHERE slug = 'harris-2016'" "recommendations, id 99999: row not in the ledger"
tamper "assignments: status (the insider's first case)" "UPDATE assignments SET implementation = 'implemented' WHERE id = 14; UPDATE updates SET implementation = 'implemented' WHERE assignment_id = 14" "assignments, id 14, column implementation: the ledger says" "/api/v1/sources/harris-2016"
tamper "assignments: response" "UPDATE assignments SET response = 'accepted', response_text = 'Agreed in full' WHERE id = 3" "assignments, id 3, column response"
tamper "assignments: deleted" "DELETE FROM assignments WHERE id = 5" "assignments, id 5: row missing"
tamper "assignments: inserted" "INSERT INTO assignments(id, recommendation_id, owner_id) VALUES(99999, $G1, $LAS)" "assignments, id 99999: row not in the ledger"
tamper "assignments: version" "UPDATE assignments SET version = version + 5 WHERE id = 14" "assignments, id 14, column version" /api/v1/assignments/14
tamper "updates: edited" "UPDATE updates SET narrative = 'All finished' WHERE id = $UPD" "updates, id $UPD, column narrative"
tamper "updates: deleted" "DELETE FROM updates WHERE id = $UPD" "updates, id $UPD: row missing"
tamper "updates: inserted" "INSERT INTO updates(id, assignment_id, date, implementation, narrative, author, state) VALUES(99999, 14, '2019-05-01', 'implemented', 'done', 'x', 'validated')" "updates, id 99999: row not in the ledger"
tamper "updates: a returned one made validated" "UPDATE updates SET state = 'validated', return_reason = '' WHERE state = 'returned'" "column state: the ledger says 'returned', the table says 'validated'"
tamper "assignment_targets: a target moved later" "UPDATE assignment_targets SET target = '2030-01-01' WHERE assignment_id = $T_ASG" "assignment_targets, assignment_id $T_ASG, column target: the ledger says '2018-03-31', the table says '2030-01-01'" "/api/v1/assignments/$T_ASG"
tamper "assignment_targets: deleted" "DELETE FROM assignment_targets WHERE assignment_id = $T_ASG2" "assignment_targets, assignment_id $T_ASG2: row missing"
tamper "assignment_targets: inserted" "INSERT INTO assignment_targets VALUES(14, '2031-01-01')" "assignment_targets, assignment_id 14: row not in the ledger"
tamper "funding: amount" "UPDATE funding SET funded = cost WHERE id = 1" "funding, id 1, column funded: the ledger says 174000000, the table says 346000000"
tamper "funding: deleted" "DELETE FROM funding WHERE id = 1" "funding, id 1: row missing"
tamper "funding: inserted" "INSERT INTO funding(id, source_id, owner_id, item, cost, funded) SELECT 99, id, $HO, 'Grant', 10, 10 FROM sources WHERE slug = 'harris-2016'" "funding, id 99: row not in the ledger"
tamper "publications: title" "UPDATE publications SET title = 'All done' WHERE id = 2" "publications, id 2, column title" /api/v1/publications/2
tamper "publications: signature" "UPDATE publications SET signature = substr(signature, 2) || '0' WHERE id = 2" "publications, id 2, column signature" /publications/2
tamper "publications: snapshot" "UPDATE publications SET snapshot = replace(snapshot, '\"implemented\": 7', '\"implemented\": 9') WHERE id = 2" "publications, id 2, column snapshot: differs from byte" /api/v1/publications/2
tamper "publications: snapshot and digest" "UPDATE publications SET snapshot = '{}', snapshot_sha256 = '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' WHERE id = 2" "publications, id 2, column snapshot" /api/v1/publications/2
tamper "publications: deleted" "DELETE FROM publications WHERE id = $LAST_PUB" "publications, id $LAST_PUB: row missing" "/publications/$LAST_PUB"
tamper "publications: inserted" "INSERT INTO publications SELECT 99, source_id, 'A forged update', as_of, ledger_seq, ledger_hash, created_at, snapshot, snapshot_sha256, signature, signing_key FROM publications WHERE id = 2" "publications, id 99: row not in the ledger" /api/v1/publications/99
tamper "users: a viewer made admin" "UPDATE users SET role = 'admin' WHERE id = $VERA" "users, id $VERA, column role: the ledger says 'viewer', the table says 'admin'" /api/v1/review
tamper "users: deleted" "DELETE FROM users WHERE id = $VERA" "users, id $VERA: row missing"
tamper "users: inserted" "INSERT INTO users(id, name, password_hash, role, created_at) VALUES(99, 'mallory', 'x', 'admin', '2026-01-01')" "users, id 99: row not in the ledger"
tamper "users: password hash swapped" "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE name = 'cora') WHERE name = 'eddie'" "password hash was replaced behind rectrack's back"
tamper "user_owners: edited" "UPDATE user_owners SET owner_id = $LAS WHERE user_id = $EDDIE" "user_owners, user_id $EDDIE, owner_id $HO: row missing"
tamper "user_owners: deleted" "DELETE FROM user_owners WHERE user_id = $EDDIE" "user_owners, user_id $EDDIE, owner_id $HO: row missing"
tamper "user_owners: inserted" "INSERT INTO user_owners VALUES($EDDIE, $LAS)" "user_owners, user_id $EDDIE, owner_id $LAS: row not in the ledger"
tamper "api_tokens: a revoked token made good" "UPDATE api_tokens SET revoked = 0 WHERE id = $COLIN_TOKEN" "api_tokens, id $COLIN_TOKEN, column revoked: the ledger says 1, the table says 0"
tamper "api_tokens: deleted" "DELETE FROM api_tokens WHERE id = $COLIN_TOKEN" "api_tokens, id $COLIN_TOKEN: row missing"
tamper "api_tokens: inserted" "INSERT INTO api_tokens(id, token_hash, user_id, label, created_at) VALUES(99, 'ab', $VERA, 'back door', 1)" "api_tokens, id 99: row not in the ledger"
tamper "api_tokens: hash swapped" "UPDATE api_tokens SET token_hash = '$(printf '%064d' 7)' WHERE id = 1" "its hash was replaced behind rectrack's back"
tamper "tracker_keys: key replaced" "UPDATE tracker_keys SET public_key = '$(printf '%064d' 1)'" "tracker_keys, id 1, column public_key" /api/v1/signing-key
tamper "tracker_keys: deleted" "DELETE FROM tracker_keys" "tracker_keys, id 1: row missing" /api/v1/signing-key
tamper "tracker_keys: inserted" "INSERT INTO tracker_keys VALUES(2, '$(printf '%064d' 2)', '2026-01-01', 1, '', '')" "tracker_keys, id 2: row not in the ledger" /api/v1/signing-key
tamper "checkpoints: state digest" "UPDATE checkpoints SET state_digest = '$(printf '%064d' 3)' WHERE ledger_seq = $CP" "checkpoints, ledger_seq $CP, column state_digest" /api/v1/checkpoints
tamper "checkpoints: deleted" "DELETE FROM checkpoints WHERE ledger_seq = $CP" "checkpoints, ledger_seq $CP: row missing" /api/v1/checkpoints
tamper "checkpoints: inserted" "INSERT INTO checkpoints SELECT ledger_seq + 1000, ledger_hash, state_digest, time, public_key, signature FROM checkpoints WHERE ledger_seq = $CP" "row not in the ledger" /api/v1/checkpoints/latest
echo "# What is derived from the tables: the search index"
# SQLite's FTS5 table (rowid) or PostgreSQL's recommendation_search (id).
if [ "$TEST_ENGINE" = sqlite ]; then FTS=recommendation_fts FTS_ID=rowid; else FTS=recommendation_search FTS_ID=id; fi
tamper "search index: text edited" "UPDATE $FTS SET text = 'forged words' WHERE $FTS_ID = $G1" "$FTS: $FTS_ID $G1, column text" "/search?q=forged"
tamper "search index: responses edited" "UPDATE $FTS SET responses = 'forged response' WHERE $FTS_ID = $G1" "$FTS: $FTS_ID $G1, column responses" "/search?q=forged"
tamper "search index: entry deleted" "DELETE FROM $FTS WHERE $FTS_ID = $G1" "recommendation $G1 has no search entry" "/search?q=mayor"
tamper "search index: entry inserted" "INSERT INTO $FTS($FTS_ID, text, responses) VALUES(99999, 'forged', '')" "a search entry for no recommendation" "/search?q=forged"
if [ "$TEST_ENGINE" = sqlite ]; then
  tamper "search index: its structure damaged" "UPDATE recommendation_fts_data SET block = zeroblob(length(block)) WHERE id = (SELECT max(id) FROM recommendation_fts_data)" "the search index is damaged" "/search?q=mayor"
  skip "search index: a search vector forged" "PostgreSQL's generated tsvector column; FTS5 has none"
  skip "search index: the text search configuration altered" "PostgreSQL's text search configuration; FTS5's tokenizer is fixed in the table's definition"
else
  skip "search index: its structure damaged" "FTS5's b-tree segments (recommendation_fts_data) are an SQLite file's own"
  # The generated column made an ordinary one (a table owner may), then one
  # entry's vector forged: the text says one thing, the index finds another.
  tamper "search index: a search vector forged" "ALTER TABLE recommendation_search ALTER COLUMN document DROP EXPRESSION; UPDATE recommendation_search SET document = to_tsvector('simple', 'forged') WHERE id = $G1" "the search vector of recommendation $G1 is not the one its text gives" "/search?q=forged"
  # The configuration the vectors are made with changed (English words no
  # longer indexed), the stored vectors left as they were.
  tamper "search index: the text search configuration altered" "ALTER TEXT SEARCH CONFIGURATION rectrack_english DROP MAPPING FOR asciiword" "is not the one its text gives" "/search?q=mayor"
  # The same, with every vector made again under the altered configuration:
  # stored and recomputed agree, but search no longer finds English words.
  tamper "search index: the configuration altered and the vectors made again" "ALTER TEXT SEARCH CONFIGURATION rectrack_english DROP MAPPING FOR asciiword; UPDATE recommendation_search SET text = text" "the text search configuration" "/search?q=mayor"
fi
echo "# The ledger, with its append-only triggers dropped"
tamper "ledger: an event's content edited" "UPDATE ledger SET payload = replace(payload, 'CONTEST 2018', 'CONTEST 2019') WHERE kind = 'update'" "was altered"
tamper "ledger: an actor edited" "UPDATE ledger SET actor = 'cli:someone-else' WHERE seq = 2" "event 2 "
tamper "ledger: an event deleted" "DELETE FROM ledger WHERE seq = 4" "event(s) 4..4 are missing"
tamper "ledger: events reordered" "UPDATE ledger SET seq = -1 WHERE seq = 3; UPDATE ledger SET seq = 3 WHERE seq = 4; UPDATE ledger SET seq = 4 WHERE seq = -1" "event 3 "
tamper "ledger: the tail cut, the head left" "DELETE FROM ledger WHERE seq = $HEAD" "events were removed from the end"
tamper "ledger: the tail cut and the head fixed" "DELETE FROM ledger WHERE seq = $HEAD; UPDATE meta SET value = (SELECT seq || ' ' || hash FROM ledger WHERE seq = $HEAD - 1) WHERE key = 'ledger_head'" "is not signed by the tracker's key"
tamper "ledger: the tail cut with its publication and the head fixed (an insider's case)" "DELETE FROM ledger WHERE seq >= $PUB_SEQ; DELETE FROM checkpoints WHERE ledger_seq >= (SELECT max(seq) FROM ledger); DELETE FROM publications WHERE id = $LAST_PUB; UPDATE meta SET value = (SELECT seq || ' ' || hash FROM ledger ORDER BY seq DESC LIMIT 1) WHERE key = 'ledger_head'" "is not signed by the tracker's key" "/publications/$LAST_PUB"
tamper "ledger: the recorded head deleted" "DELETE FROM meta WHERE key = 'ledger_head'" "no record of its ledger head"
tamper "ledger: the head's signature altered" "UPDATE meta SET value = substr(value, 2) || '0' WHERE key = 'ledger_head_signature'" "is not signed by the tracker's key"

echo "# A history rewritten whole and re-signed with a key the attacker made"
# The attacker rebuilds the tracker with rectrack itself under a key of their
# own, with the figure they want, and puts that store where the tracker's was
# (a file copied over it; on PostgreSQL, the schema's tables replaced); the
# operator's key file stays where it is.
store_copy "$DB" forged-src.db
rtx forged-src.db export json -o export.json
sed 's/"implementation": "not_started"/"implementation": "implemented"/' export.json >forged.json
rtx attacker.db init >/dev/null
rtx attacker.db import json forged.json >/dev/null
rtx attacker.db verify >/dev/null &&
  ok "the attacker's rewrite is consistent in itself (it verifies with the attacker's key)" ||
  bad "the attacker's rewrite does not even verify with its own key"
store_copy attacker.db t.db; cp "$DB.key" t.db.key
rtx t.db verify >out 2>err; rc=$?
if ((rc == 3)) && grep -q "the ledger was re-signed by someone else's key" err; then
  ok "a history re-signed with the attacker's key fails against the key file: $(grep -m1 're-signed' err | sed 's/^ *//' | cut -c1-120)"
else bad "a re-signed history: verify exit $rc"; cat out err; fi
rtx t.db verify --key "$(q "SELECT public_key FROM tracker_keys ORDER BY id LIMIT 1")" >out 2>err; rc=$?
if ((rc == 3)) && grep -q "is not one of the tracker's keys" err; then
  ok "and against a key pinned by an outsider (verify --key)"
else bad "a re-signed history against --key: exit $rc"; cat out err; fi
if serve t.db; then
  h=$(status /healthz); s=$(status "$SRC"); stop
  if [ "$h" = 503 ] && [ "$s" = 503 ]; then ok "a server with the operator's key refuses the re-signed history"
  else bad "a server on the re-signed history answered /healthz $h, $SRC $s"; fi
else bad "no server on the re-signed history"; fi

echo "# A rollback to an older copy of the file, and witnesses"
# An older copy is consistent in itself: only a checkpoint from after it shows
# that history went further.
store_copy "$DB" old.db
store_copy "$DB" live.db
rtx live.db update harris-2016 G3 --owner "Home Office" --date 2019-03-01 \
  --note "Later work" >/dev/null
rtx live.db checkpoint -o later.json 2>/dev/null
store_copy old.db t.db
rtx t.db verify >/dev/null && ok "an older copy verifies on its own (it is a real past state)" ||
  bad "the older copy fails verify"
rtx t.db verify --checkpoint later.json >out 2>err; rc=$?
if ((rc == 3)) && grep -q "cut short or rolled back" err; then
  ok "verify --checkpoint catches the rollback: $(grep -m1 'rolled back' err | sed 's/^ *//' | cut -c1-120)"
else bad "rollback: verify --checkpoint exit $rc"; cat out err; fi
rtx live.db verify --checkpoint later.json --checkpoint checkpoint-base.json >/dev/null &&
  ok "the live store extends both checkpoints" || bad "the live store fails its own checkpoints"
sed 's/"ledger_hash": "\(.\)/"ledger_hash": "f\1/' later.json >altered.json
rtx live.db verify --checkpoint altered.json >out 2>err; rc=$?
if ((rc != 0)) && grep -q "not signed by the key it names" err; then ok "an altered checkpoint file is refused"
else bad "an altered checkpoint: exit $rc"; cat out err; fi

# A witness keeps the live tracker's checkpoints; the file is then swapped for
# the older copy (rollback), and then for a forked history made with the
# operator's own key (a rewrite by whoever holds the key).
serve live.db || exit 1
TRACKER=$PORT  # the tracker's address stays the same; the file behind it changes
"$BIN" witness "http://127.0.0.1:$TRACKER" --keep kept >out 2>err; rc=$?
stop
if ((rc == 0)) && [ "$(ls kept/checkpoints | wc -l)" -ge 3 ]; then ok "a witness keeps the tracker's checkpoints: $(cut -c1-120 out)"
else bad "witness: exit $rc"; cat out err; fi
cp -r kept kept-fork
serve old.db "$TRACKER" || exit 1
"$BIN" witness "http://127.0.0.1:$TRACKER" --keep kept >out 2>err; rc=$?
stop
if ((rc == 3)) && grep -q "no longer serves its checkpoint" err; then
  ok "the witness sees the rollback: $(cut -c1-140 err)"
else bad "witness on a rollback: exit $rc"; cat out err; fi
# The fork: whoever holds the operator's key makes a new history from the
# tracker's own export, with one title changed, and serves it in its place.
# Its checkpoints fall at the event numbers of those the witness kept, with
# other hashes.
rtx live.db export json -o fork-export.json
sed 's/"title": "An independent review/"title": "A rewritten review/' fork-export.json >fork.json
cp live.db.key fork.db.key
rtx fork.db init >/dev/null
rtx fork.db import json fork.json >/dev/null
serve fork.db "$TRACKER" || exit 1
"$BIN" witness "http://127.0.0.1:$TRACKER" --keep kept-fork >out 2>err; rc=$?
stop
if ((rc == 3)) && grep -q "FORK or ROLLBACK.*now says hash" err; then ok "the witness sees the fork: $(cut -c1-160 err)"
else bad "witness on a fork: exit $rc"; cat out err; fi

echo "$pass passed, $fail failed, $skipped skipped on $TEST_ENGINE"
((fail == 0))
