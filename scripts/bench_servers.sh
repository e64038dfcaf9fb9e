#!/usr/bin/env bash
# Several servers on one PostgreSQL database (issue 8): wrk against ONE
# `rectrack serve` and against TWO on the same database, on live pages (every
# request's address is new, so no response comes from a server's page cache and
# every one reads the database), 64 connections; and how many SQL statements a
# page costs, from pg_stat_statements.
#
# Usage: scripts/bench_servers.sh [DURATION]   (wrk duration per run, default 10s)
# Env:   ROWS=100000   generated UPR-like rows imported besides the examples
#                      (the bench's generator: RECTRACK_BENCH_WRITE_CSV)
#        CONNS=64      wrk connections (two servers: half on each)
#        REQS=200      requests per page for the statement count
#        RECTRACK=build-bench/rectrack (built with rectrack_bench if missing)
#
# How two servers are loaded: no balancer in between (a proxy would take a
# share of the same 2 cores); one wrk (-t2) whose two threads connect one to
# each server (wrk's setup() sets thread.addr), CONNS/2 connections each, so
# that the latency figures cover both servers in one histogram.
#
# The PostgreSQL server: a throw-away cluster (scripts/pg-cluster.sh) made
# durable (fsync, full_page_writes, synchronous_commit on), with
# pg_stat_statements loaded; stopped and removed on exit, also on failure.
# Loopback only; everything lives in a temp dir that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR="${1:-10s}"
ROWS="${ROWS:-100000}"
CONNS="${CONNS:-64}"
REQS="${REQS:-200}"
RECTRACK="${RECTRACK:-build-bench/rectrack}"
BENCHBIN="build-bench/rectrack_bench"
for t in wrk curl psql python3; do
  command -v "$t" >/dev/null || { echo "bench_servers: missing $t" >&2; exit 1; }
done
if [ ! -x "$RECTRACK" ] || [ ! -x "$BENCHBIN" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRECTRACK_BENCH=ON >/dev/null
  cmake --build build-bench -j2 --target rectrack_bench rectrack >/dev/null
fi
ulimit -n 20000 2>/dev/null || true

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bench_servers.XXXXXX")"
chmod 711 "$tmp"   # the PostgreSQL server runs as another user (pg-cluster.sh)
pids=()
pgdir="$tmp/pg"
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/pg-cluster.sh stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_port() {  # up to ~20 s
  for _ in $(seq 200); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  echo "bench_servers: nothing listening on port $1" >&2; exit 1
}

# ---- the database --------------------------------------------------------------
admin="$(scripts/pg-cluster.sh start "$pgdir")"
for kv in "fsync=on" "full_page_writes=on" "shared_preload_libraries=pg_stat_statements"; do
  psql "$admin" -v ON_ERROR_STOP=1 -qc "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'" >/dev/null
done
scripts/pg-cluster.sh restart "$pgdir"
psql "$admin" -v ON_ERROR_STOP=1 -qc "CREATE EXTENSION pg_stat_statements" -c "CREATE DATABASE rectrack_web" >/dev/null
DB="${admin%/postgres}/rectrack_web"
KEY="$tmp/tracker.key"
rt() { "$RECTRACK" --db "$DB" --key-file "$KEY" "$@"; }

t0=$(date +%s)
rt init >/dev/null
rt import json examples/harris/harris-2016.json >/dev/null
rt import pfd examples/pfd/pfd-reports.csv >/dev/null
if [ "$ROWS" -gt 0 ]; then
  RECTRACK_BENCH_WRITE_CSV="$tmp/generated.csv" RECTRACK_BENCH_ROWS="$ROWS" "$BENCHBIN"
  rt import csv "$tmp/generated.csv" --map source=review --map ref=ref --map text=text \
    --map owner=to --map status=decision --map response_text=notes --source-kind upr \
    --vocabulary upr >/dev/null
  rm -f "$tmp/generated.csv"
fi
psql "$DB" -qc "VACUUM (ANALYZE)" >/dev/null
maxid="$(psql "$DB" -Atc "SELECT max(id) FROM recommendations")"
nrecs="$(psql "$DB" -Atc "SELECT count(*) FROM recommendations")"
echo "bench_servers: store of $nrecs recommendations (examples + $ROWS generated) on PostgreSQL" \
  "$(psql "$admin" -Atc 'SHOW server_version' | cut -d' ' -f1), made in $(( $(date +%s) - t0 )) s"

start_server() {  # start_server PORT -> pid in $spid
  # Not through rt(): $! must be the server itself, for the cleanup.
  "$RECTRACK" --db "$DB" --key-file "$KEY" serve --listen "127.0.0.1:$1" --access-log '' \
    >"$tmp/serve-$1.out" 2>"$tmp/serve-$1.err" &
  spid=$!
  pids+=("$spid")
  wait_port "$1"
}

# ---- the pages: each request's address is new (&n=THREAD-COUNTER) ---------------
# name|lua expression of the path (uses tid, n, and the helpers below)
cat >"$tmp/pages.lua" <<LUA_END
maxid = $maxid
words = {"rights", "women", "children", "torture", "police", "education", "health",
  "migrants", "detention", "justice", "national human", "death penalty", "freedom expression",
  "domestic violence", "birth registration", "training officials", "child labour",
  "prisons conditions", "independent judiciary", "rural water sanitation"}
function search_path(tid, n)
  local q = string.gsub(words[(n % #words) + 1], " ", "+")
  return "/api/v1/search?q=" .. q .. "&n=" .. tid .. "-" .. n
end
function rec_path(tid, n)
  -- a pseudo-random recommendation (Knuth's multiplicative hash of n)
  return "/recommendations/" .. ((n * 2654435761) % maxid + 1) .. "?n=" .. tid .. "-" .. n
end
function owners_path(tid, n)
  return "/owners?kind=pfd&n=" .. tid .. "-" .. n
end
LUA_END
pages=("search API|search_path" "recommendation page|rec_path" "owners page (PFD)|owners_path")

# wrk_run FUNC PORTS... -> "req/s p50ms p99ms errors"
wrk_run() {
  local fn="$1"; shift
  cat "$tmp/pages.lua" - >"$tmp/run.lua" <<LUA_END
local ports = {}
for p in string.gmatch("$*", "%d+") do ports[#ports + 1] = p end
local count = 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
  thread.addr = wrk.lookup("127.0.0.1", ports[(count - 1) % #ports + 1])[1]
end
n = 0
function request()
  n = n + 1
  return wrk.format("GET", $fn(tid, n))
end
LUA_END
  wrk -t2 -c"$CONNS" -d"$DUR" --timeout 10s --latency -s "$tmp/run.lua" "http://127.0.0.1:$1/" |
    tee -a "$tmp/wrk.log" | python3 -c '
import re, sys
t = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
def pct(p):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, t, re.M)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
bad = 0
for pat in (r"Non-2xx or 3xx responses:\s+(\d+)", r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
    e = re.search(pat, t)
    if e: bad += sum(int(x) for x in e.groups())
print(f"{rps:.0f} {pct(50):.2f} {pct(99):.2f} {bad}")'
}

# statements FUNC PORT: SQL statements per request of that page on one server
# (pg_stat_statements, this database only): REQS requests one after another on
# one connection, less what the servers run by themselves (head checks,
# integrity watch, LISTEN) in as long a time with no requests.
dboid="$(psql "$admin" -Atc "SELECT oid FROM pg_database WHERE datname = 'rectrack_web'")"
stmt_count() {
  psql "$admin" -Atc "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE dbid = $dboid"
}
statements() {
  local fn="$1" port="$2"
  # The requests, one after another on one keep-alive connection; prints the seconds.
  cat >"$tmp/get.py" <<'PY_END'
import http.client, re, sys, time
lua, fn, reqs, port = open(sys.argv[1]).read(), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tag = sys.argv[5]  # in n=, so that no two runs share an address
maxid = int(re.search(r"maxid = (\d+)", lua).group(1))
words = re.findall(r'"([a-z ]+)"', lua.split("words = {")[1].split("}")[0])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
t0 = time.monotonic()
for n in range(1, reqs + 1):
    if fn == "search_path":
        p = "/api/v1/search?q=%s&n=%s-%d" % (words[n % len(words)].replace(" ", "+"), tag, n)
    elif fn == "rec_path":
        p = "/recommendations/%d?n=%s-%d" % ((n * 2654435761) % maxid + 1, tag, n)
    else:
        p = "/owners?kind=pfd&n=%s-%d" % (tag, n)
    conn.request("GET", p)
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("GET %s: %d" % (p, r.status))
print("%.2f" % (time.monotonic() - t0))
PY_END
  psql "$admin" -qAtc "SELECT pg_stat_statements_reset()" >/dev/null
  local busy idle t
  t="$(python3 "$tmp/get.py" "$tmp/pages.lua" "$fn" "$REQS" "$port" count)" ||
    { echo "bench_servers: a request of $fn failed" >&2; exit 1; }
  busy=$(stmt_count)
  psql "$admin" -qAtc "SELECT pg_stat_statements_reset()" >/dev/null
  sleep "$t"
  idle=$(stmt_count)
  # The statements that page runs most, for 20 requests (for the log).
  psql "$admin" -qAtc "SELECT pg_stat_statements_reset()" >/dev/null
  python3 "$tmp/get.py" "$tmp/pages.lua" "$fn" 20 "$port" top >/dev/null || true
  psql "$admin" -Atc "SELECT calls, left(regexp_replace(query, '\s+', ' ', 'g'), 110) FROM pg_stat_statements WHERE dbid = $dboid ORDER BY calls DESC LIMIT 8" \
    >"$tmp/top-$fn.txt"
  python3 -c "print('%.2f %d %d %s' % (($busy - $idle) / $REQS, $busy, $idle, '$t'))"
}

echo "bench_servers: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)"
echo "bench_servers: wrk -t2 -c$CONNS -d$DUR --latency; every request a new address (no page-cache hits);" \
  "two servers: one wrk thread per server, $((CONNS / 2)) connections each"

pa="$(free_port)"
start_server "$pa"
declare -A one two stm
for pg in "${pages[@]}"; do
  IFS='|' read -r name fn <<<"$pg"
  stm[$fn]="$(statements "$fn" "$pa")"
  one[$fn]="$(wrk_run "$fn" "$pa")"
done
pb="$(free_port)"
start_server "$pb"
for pg in "${pages[@]}"; do
  IFS='|' read -r name fn <<<"$pg"
  two[$fn]="$(wrk_run "$fn" "$pa" "$pb")"
done

printf '\n%-20s | %9s %8s %8s | %9s %8s %8s | %6s | %s\n' page "1: req/s" p50 p99 "2: req/s" p50 p99 "2 / 1" "SQL statements per page"
for pg in "${pages[@]}"; do
  IFS='|' read -r name fn <<<"$pg"
  read -r r1 a1 b1 e1 <<<"${one[$fn]}"
  read -r r2 a2 b2 e2 <<<"${two[$fn]}"
  read -r per busy idle secs <<<"${stm[$fn]}"
  notes=""
  [ "$e1" != 0 ] && notes+=" (one server: $e1 errors/non-2xx)"
  [ "$e2" != 0 ] && notes+=" (two servers: $e2 errors/non-2xx)"
  printf '%-20s | %9s %6sms %6sms | %9s %6sms %6sms | %5.2fx | %s (%s in %s requests, %s s; %s by the idle server in as long)%s\n' \
    "$name" "$r1" "$a1" "$b1" "$r2" "$a2" "$b2" "$(python3 -c "print($r2/$r1 if $r1 else 0)")" \
    "$per" "$busy" "$REQS" "$secs" "$idle" "$notes"
done
echo
for pg in "${pages[@]}"; do
  IFS='|' read -r name fn <<<"$pg"
  echo "most run statements for 20 requests of the $name (calls, statement):"
  sed 's/^/  /' "$tmp/top-$fn.txt"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for p in "${pids[@]}"; do
  hwm="$(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)"
  echo "server $p: peak RSS (VmHWM) $((hwm / 1024)) MB"
done
