#!/usr/bin/env bash
# Web-serving benchmark for issue 3: rectrack serve against nginx serving the
# very same bytes as static files (the practical ceiling on this machine).
#
# Usage: scripts/bench_web.sh [DURATION]   (wrk duration per run, default 10s)
# Env:   RECTRACK=path to the executable (default build/rectrack; not rebuilt)
#        CONNS="8 64 2000" the wrk connection counts
#
# Makes a temporary store (Harris 2016 JSON + the PFD reports CSV), starts
# `rectrack serve` and nginx on free loopback ports, fetches three URLs from
# rectrack once (a PFD source page, the PFD owners JSON, one recommendation
# JSON) and gives nginx those exact bytes. Then runs wrk with 8, 64 and 2000
# connections (CONNS) against each URL, alternating servers, and prints req/s, ratio
# and p99 latency, plus rectrack's peak resident memory (VmHWM). Loopback only;
# everything lives in a temp dir that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR="${1:-10s}"
# Connection counts: a few readers, many, and thousands at once.
CONNS="${CONNS:-8 64 2000}"
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"  # wrk and both servers hold one each
RECTRACK="${RECTRACK:-build/rectrack}"
NGINX="${NGINX:-/usr/sbin/nginx}"
for t in "$RECTRACK" "$NGINX" wrk curl python3; do
  command -v "$t" >/dev/null || { echo "bench_web: missing $t" >&2; exit 1; }
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bench_web.XXXXXX")"
rpid=""; npid=""
cleanup() {
  [ -n "$npid" ] && kill -TERM "$npid" 2>/dev/null && wait "$npid" 2>/dev/null || true
  [ -n "$rpid" ] && kill -TERM "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_port() {  # wait_port PORT: up to ~10 s
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  echo "bench_web: nothing listening on port $1" >&2; exit 1
}

export RECTRACK_DB="$tmp/store.db"
"$RECTRACK" init >/dev/null
# Harris first: importing it after PFD fails on an alias clash
# ('Metropolitan Police' already names another owner).
"$RECTRACK" import json examples/harris/harris-2016.json >/dev/null
"$RECTRACK" import pfd examples/pfd/pfd-reports.csv >/dev/null

rport="$(free_port)"
"$RECTRACK" serve --listen "127.0.0.1:$rport" --access-log '' >"$tmp/serve.out" 2>"$tmp/serve.err" &
rpid=$!
wait_port "$rport"
R="http://127.0.0.1:$rport"

slug="$(curl -sf "$R/api/v1/sources?kind=pfd&limit=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["sources"][0]["slug"])')"
recid="$(curl -sf "$R/api/v1/sources/$slug/recommendations" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["recommendations"][0]["id"])')"

# name|path on rectrack|file for nginx
urls=(
  "source page|/sources/$slug|source.html"
  "owners JSON|/api/v1/owners?kind=pfd|owners.json"
  "recommendation JSON|/api/v1/recommendations/$recid|recommendation.json"
)

mkdir -p "$tmp/www"
chmod 711 "$tmp"; chmod 755 "$tmp/www"   # nginx workers may run as another user
for u in "${urls[@]}"; do
  IFS='|' read -r _ path file <<<"$u"
  curl -sf -o "$tmp/www/$file" "$R$path"
done

rss0="$(awk '/VmRSS/ {print $2}' "/proc/$rpid/status")"  # data loaded, pages rendered once

nport="$(free_port)"
cat >"$tmp/nginx.conf" <<EOF
worker_processes auto;
worker_rlimit_nofile 20000;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 10000; }
http {
  types { text/html html; application/json json; }
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/nginx-body;
  proxy_temp_path $tmp/nginx-proxy;
  fastcgi_temp_path $tmp/nginx-fastcgi;
  uwsgi_temp_path $tmp/nginx-uwsgi;
  scgi_temp_path $tmp/nginx-scgi;
  server {
    listen 127.0.0.1:$nport backlog=4096;
    root $tmp/www;
  }
}
EOF
"$NGINX" -c "$tmp/nginx.conf" -p "$tmp" -g 'daemon off;' 2>>"$tmp/nginx-error.log" &
npid=$!
wait_port "$nport"
N="http://127.0.0.1:$nport"

for u in "${urls[@]}"; do  # same bytes from both?
  IFS='|' read -r _ path file <<<"$u"
  cmp -s <(curl -sf "$N/$file") "$tmp/www/$file" || { echo "bench_web: nginx bytes differ for $file" >&2; exit 1; }
done

echo "bench_web: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1048576}' /proc/meminfo)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "bench_web: source /sources/$slug ($(stat -c%s "$tmp/www/source.html") B)," \
  "owners ($(stat -c%s "$tmp/www/owners.json") B), recommendation $recid ($(stat -c%s "$tmp/www/recommendation.json") B); wrk -t2 -d$DUR --latency"

# wrk_run URL CONNS -> "req/s p99ms errors"
wrk_run() {
  wrk -t2 -c"$2" -d"$DUR" --timeout 10s --latency "$1" | python3 -c '
import re, sys
t = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
bad = 0
for pat in (r"Non-2xx or 3xx responses:\s+(\d+)", r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
    e = re.search(pat, t)
    if e: bad += sum(int(x) for x in e.groups())
print(f"{rps:.0f} {p99:.2f} {bad}")'
}

printf '\n%-20s %5s %11s %11s %6s %9s %9s %s\n' URL conns "ours req/s" "nginx req/s" ratio "p99 ours" "p99 nginx" notes
for c in $CONNS; do
  for u in "${urls[@]}"; do
    IFS='|' read -r name path file <<<"$u"
    curl -sf -o /dev/null "$R$path"   # warm the page cache
    read -r ro po eo <<<"$(wrk_run "$R$path" "$c")"
    read -r rn pn en <<<"$(wrk_run "$N/$file" "$c")"
    notes=""
    [ "$eo" != 0 ] && notes+="ours: $eo errors/non-2xx; "
    [ "$en" != 0 ] && notes+="nginx: $en errors/non-2xx"
    printf '%-20s %5s %11s %11s %5.0f%% %7sms %7sms %s\n' "$name" "$c" "$ro" "$rn" \
      "$(python3 -c "print(100*$ro/$rn)")" "$po" "$pn" "$notes"
  done
done

hwm="$(awk '/VmHWM/ {print $2}' "/proc/$rpid/status")"
rss="$(awk '/VmRSS/ {print $2}' "/proc/$rpid/status")"
awk -v h="$hwm" -v r="$rss" -v z="$rss0" 'BEGIN {printf "\nrectrack RSS: %.1f MB before wrk (data loaded, pages fetched once); peak (VmHWM) %.1f MB; %.1f MB after the runs\n", z/1024, h/1024, r/1024}'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

kill -TERM "$npid"; wait "$npid" || true; npid=""
kill -TERM "$rpid"
rc=0; wait "$rpid" || rc=$?
rpid=""
echo "rectrack serve exit status after SIGTERM: $rc"
[ "$rc" -eq 0 ] || { cat "$tmp/serve.err" >&2; exit 1; }
