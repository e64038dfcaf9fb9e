#!/usr/bin/env bash
# deploy/nginx.conf in front of a real rectrack server, in real nginx, on free
# loopback ports with a self-signed certificate (openssl): TLS, the redirect
# from HTTP, a public page served from the cache the second time, and never
# from the cache for someone signed in, an API client, or a POST.
# Usage: deploy_nginx.sh RECTRACK REPO_ROOT
set -uo pipefail
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$2" && pwd)"
. "$ROOT/tests/lib/deploy.sh"
WORK="$(mktemp -d)"
trap 'stop_bg; rm -rf "$WORK"' EXIT
cd "$WORK"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
if [ ! -x "$NGINX" ]; then echo "FAIL nginx is not installed (scripts/setup.sh installs nginx-light)"; exit 1; fi

# rectrack with some data, a user and a token.
DB="$WORK/t.db"
"$BIN" --db "$DB" init >/dev/null
"$BIN" --db "$DB" import json "$ROOT/examples/harris/harris-2016.json" >/dev/null
printf 'correct horse battery staple\n' >pw.txt
"$BIN" --db "$DB" user add clerk --role coordinator --password-file pw.txt >/dev/null
TOKEN="$("$BIN" --db "$DB" user token clerk --name nginx-test 2>/dev/null)"
serve_bg rectrack.log "$BIN" --db "$DB" --trust-forwarded-proto --trust-forwarded-for \
  --access-log "$WORK/access.log" || exit 1
APP="$SERVED_PORT"
wait_http "http://127.0.0.1:$APP/" 30 || { cat rectrack.log; exit 1; }

HTTP="$(free_port)"; HTTPS="$(free_port)"
nginx_site "$WORK" "$ROOT" "$APP" "$HTTP" "$HTTPS"
check "openssl made a self-signed certificate" test -s cert.pem
"$NGINX" -t -q -c "$WORK/nginx.conf" -p "$WORK/nginx" -g 'daemon off;' 2>nginx-t.log
check "nginx -t accepts the configuration" test $? = 0 || cat nginx-t.log
bg nginx.log "$NGINX" -c "$WORK/nginx.conf" -p "$WORK/nginx" -g 'daemon off;'
S="https://localhost:$HTTPS"
R=(--resolve "localhost:$HTTPS:127.0.0.1" --resolve "localhost:$HTTP:127.0.0.1")
wait_http "http://127.0.0.1:$HTTP/" 30 || { cat nginx.log nginx/error.log; exit 1; }

# status and X-Cache-Status of one request: "CODE CACHE"
probe() { curl -sk "${R[@]}" -o /dev/null -D - "$@" | tr -d '\r' |
  awk 'NR==1{c=$2} tolower($1)=="x-cache-status:"{s=$2} END{print c, (s==""?"-":s)}'; }

check "TLS: the home page over https answers 200" test "$(probe "$S/" | cut -d' ' -f1)" = 200
proto="$(curl -sk "${R[@]}" -o /dev/null -w '%{ssl_verify_result} %{scheme}' "$S/")"
check "  with the certificate made here" \
  bash -c "echo | openssl s_client -connect 127.0.0.1:$HTTPS -servername localhost 2>/dev/null | openssl x509 -noout -fingerprint -sha256 | cmp -s - <(openssl x509 -in cert.pem -noout -fingerprint -sha256)"
loc="$(curl -s "${R[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "http://localhost:$HTTP/sources?x=1")"
check "HTTP is redirected to HTTPS, address kept ($loc)" test "$loc" = "301 https://localhost/sources?x=1"
check "nginx names no version" bash -c "curl -sk ${R[*]} -D - -o /dev/null '$S/' | tr -d '\r' | grep -qix 'server: nginx'"
check "/metrics is not served to the public ($(probe "$S/metrics"))" test "$(probe "$S/metrics" | cut -d' ' -f1)" = 404
check "  but rectrack answers it on its own port" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APP/metrics")" = 200
check "HSTS is sent" bash -c "curl -sk ${R[*]} -D - -o /dev/null '$S/' | grep -qi '^strict-transport-security: max-age='"

page="$S/sources"
first="$(probe "$page")"; second="$(probe "$page")"
check "a public page: first from rectrack ($first)" test "$first" = "200 MISS"
check "  the second from the cache ($second)" test "$second" = "200 HIT"
sleep 0.5
n_before="$(grep -c '"target":"/sources"' access.log)"

# Signed in (the session cookie) or an API client: never from the cache, never stored.
c1="$(probe -H 'Cookie: rectrack_session=whatever' "$page")"
check "a request with the session cookie bypasses the cache ($c1)" test "$c1" = "200 BYPASS"
a1="$(probe -H "Authorization: Bearer $TOKEN" "$S/api/v1/assignments/1")"
a2="$(probe -H "Authorization: Bearer $TOKEN" "$S/api/v1/assignments/1")"
check "an API request with a token bypasses it, twice ($a1, $a2)" test "$a1" = "200 BYPASS" -a "$a2" = "200 BYPASS"
# A POST: never cached; sent to rectrack each time.
p1="$(probe -X POST --data 'username=clerk&password=wrong' "$S/login")"
p2="$(probe -X POST --data 'username=clerk&password=wrong' "$S/login")"
check "a POST is not answered from the cache ($p1, $p2)" \
  bash -c "[ '${p1#* }' != HIT ] && [ '${p2#* }' != HIT ]"
check "  both POSTs reached rectrack" bash -c "sleep 0.5; [ \$(grep -c '\"method\":\"POST\",\"target\":\"/login\"' access.log) = 2 ]"
# The sign-in form sets a cookie and says no-store: not stored, so never a HIT.
l1="$(probe "$S/login")"; l2="$(probe "$S/login")"
check "the sign-in page (Set-Cookie, no-store) is never a HIT ($l1, $l2)" \
  bash -c "[ '${l2#* }' != HIT ]"
# A write through the API goes through, and the cached page is not served
# after the cache's few seconds: it is revalidated with rectrack.
etag="$(curl -sk "${R[@]}" -D - -o /dev/null -H "Authorization: Bearer $TOKEN" "$S/api/v1/assignments/1" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p')"
w="$(curl -sk "${R[@]}" -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
  -H "If-Match: $etag" -H 'Content-Type: application/json' \
  --data '{"narrative": "through nginx", "implementation": "in progress"}' "$S/api/v1/assignments/1/updates")"
check "a write through nginx is accepted ($w)" test "${w:0:1}" = 2
check "static files are cached as rectrack says (immutable)" bash -c "
  curl -sk ${R[*]} -o /dev/null '$S/static/rectrack.css';
  curl -sk ${R[*]} -D - -o /dev/null '$S/static/rectrack.css' | tr -d '\r' | grep -qi '^x-cache-status: HIT'"
sleep 11
third="$(probe "$page")"
check "after 10 s the public page is fetched from rectrack again, not served stale ($third)" \
  bash -c "[ '${third#* }' = EXPIRED ] || [ '${third#* }' = REVALIDATED ]"
check "  and rectrack saw that request" \
  bash -c "sleep 1; [ \$(grep -c '\"target\":\"/sources\"' access.log) -gt $n_before ]"
summary
