#!/usr/bin/env bash
# deploy/two-servers.sh against the test cluster (RECTRACK_TEST_PG): two real
# rectrack servers on one PostgreSQL schema with real nginx balancing them. A
# write through one server is read through the other at once; nginx spreads
# requests over both; stopping the script stops all it started.
# Usage: deploy_two_servers.sh RECTRACK REPO_ROOT
set -uo pipefail
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$2" && pwd)"
. "$ROOT/tests/lib/store.sh"
. "$ROOT/tests/lib/deploy.sh"
if [ "$TEST_ENGINE" != postgres ]; then
  echo "FAIL this test needs the PostgreSQL test cluster (RECTRACK_TEST_PG)"
  exit 1
fi
WORK="$(mktemp -d)"
trap 'stop_bg; store_drop "$WORK/two.db"; rm -rf "$WORK"' EXIT
cd "$WORK"
DB="$WORK/two.db"
URL_DB="$(store_at "$DB")"
rt() { "$BIN" --db "$URL_DB" --key-file "$DB.key" "$@"; }
rt init >/dev/null
rt import json "$ROOT/examples/harris/harris-2016.json" >/dev/null
printf 'correct horse battery staple\n' >pw.txt
rt user add clerk --role coordinator --password-file pw.txt >/dev/null
TOKEN="$(rt user token clerk --name two-servers 2>/dev/null)"

P1="$(free_port)"; P2="$(free_port)"; PN="$(free_port)"
while [ "$P2" = "$P1" ]; do P2="$(free_port)"; done
bg two.log "$ROOT/deploy/two-servers.sh" --db "$URL_DB" --key-file "$DB.key" --dir "$WORK/run" \
  --listen "127.0.0.1:$PN" --ports "$P1,$P2" --rectrack "$BIN"
SCRIPT=$BG_PID
for _ in $(seq 1 150); do [ -e "$WORK/run/ready" ] && break; sleep 0.2; done
if ! [ -e "$WORK/run/ready" ]; then
  bad "two-servers.sh is ready"; cat two.log; cat "$WORK"/run/*.log 2>/dev/null; summary; exit 1
fi
ok "two-servers.sh is ready"
A="http://127.0.0.1:$P1"; B="http://127.0.0.1:$P2"; N="http://127.0.0.1:$PN"

etag_of() { curl -s -D - -o /dev/null "$1/api/v1/assignments/1" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p'; }
before_b="$(etag_of "$B")"
etag="$(etag_of "$A")"
check "both servers give the same ETag before the write" test -n "$etag" -a "$etag" = "$before_b"
code="$(curl -s -D posted.headers -o /dev/null -w '%{http_code}' -X POST "$A/api/v1/assignments/1/updates" \
  -H "Authorization: Bearer $TOKEN" -H "If-Match: $etag" -H 'Content-Type: application/json' \
  --data '{"narrative": "written through server one", "implementation": "in progress"}')"
check "a write through server 1 is accepted ($code)" test "${code:0:1}" = 2
after_b="$(etag_of "$B")"
check "server 2 gives the new ETag at once" test -n "$after_b" -a "$after_b" != "$before_b"
where="$(tr -d '\r' <posted.headers | sed -n 's/^[Ll]ocation: *//p')"
check "the write's answer gives its address ($where)" test -n "$where"
check "server 2 shows the update written through server 1" \
  bash -c "curl -s -H 'Authorization: Bearer $TOKEN' '$B$where' | grep -q 'written through server one'"
# The old ETag is now stale on server 2 too: 412, nothing lost.
code2="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$B/api/v1/assignments/1/updates" \
  -H "Authorization: Bearer $TOKEN" -H "If-Match: $etag" -H 'Content-Type: application/json' \
  --data '{"narrative": "stale", "implementation": "in progress"}')"
check "a write through server 2 with the old ETag gets 412" test "$code2" = 412

# Through nginx: both servers answer.
for _ in $(seq 1 20); do curl -s -o /dev/null "$N/sources"; done
n1="$(grep -c '"target":"/sources"' "$WORK/run/server1.access.log" 2>/dev/null)"
n2="$(grep -c '"target":"/sources"' "$WORK/run/server2.access.log" 2>/dev/null)"
check "nginx spread 20 requests over both servers ($n1 + $n2)" test "${n1:-0}" -gt 0 -a "${n2:-0}" -gt 0
check "the page through nginx shows the write" \
  bash -c "curl -s -H 'Authorization: Bearer $TOKEN' '$N$where' | grep -q 'written through server one'"
check "verify passes after it all" rt verify

kill -TERM "$SCRIPT"; wait "$SCRIPT" 2>/dev/null
gone() { ! curl -s -o /dev/null --max-time 1 "$1/"; }
check "stopping the script stops server 1" gone "$A"
check "  server 2" gone "$B"
check "  and nginx" gone "$N"
summary
