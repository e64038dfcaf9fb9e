# Sourced by the deployment tests (tests/deploy_*.sh): checks, free ports,
# processes started in the background and stopped on exit, HTTP waits.
#   ok NAME | bad NAME | check NAME CMD... | summary      results, exit code
#   free_port                                          a free loopback port
#   bg LOG CMD...                                      runs CMD in the background
#                                                      (killed on exit); pid in $BG_PID
#   wait_http URL [SECONDS]                            until URL answers at all
#   serve_bg LOG RECTRACK [ARGS...]                    `RECTRACK serve ARGS` on a
#                                                      port the kernel picks (port 0),
#                                                      in the background; its port in
#                                                      $SERVED_PORT once it listens
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
summary() {
  echo "$pass passed, $fail failed"
  [ "$fail" = 0 ]
}

_bg_pids=()
bg() {
  local log="$1"; shift
  "$@" >"$log" 2>&1 &
  BG_PID=$!
  _bg_pids+=("$BG_PID")
}
stop_bg() {
  local p
  for p in "${_bg_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${_bg_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  _bg_pids=()
}

free_port() {
  # Below the kernel's ephemeral range (ip_local_port_range: 32768-60999 by
  # default), where port-0 listeners and outgoing connections of the tests
  # running beside this one take theirs: a port found free there can be gone
  # before the server binds it.
  local p lo=10000 hi=32767 first
  if read -r first _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null && [ "$first" -gt 11000 ]; then
    hi=$((first - 1))
  fi
  for _ in $(seq 1 200); do
    p=$((lo + RANDOM % (hi - lo + 1)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

wait_http() {
  local url="$1" seconds="${2:-30}"
  for _ in $(seq 1 $((seconds * 5))); do
    if curl -sk -o /dev/null --max-time 2 "$url"; then return 0; fi
    sleep 0.2
  done
  echo "no answer from $url within ${seconds}s" >&2
  return 1
}

# A rectrack server on 127.0.0.1:0: no port to pick and lose to a neighbour
# between the check and the bind. It prints where it listens.
serve_bg() {
  local log="$1" bin="$2"; shift 2
  bg "$log" "$bin" serve "$@" --listen 127.0.0.1:0
  SERVED_PORT=""
  for _ in $(seq 1 150); do
    SERVED_PORT="$(sed -n 's#^rectrack: serving .* on http://127\.0\.0\.1:\([0-9]*\)/$#\1#p' "$log" | head -n 1)"
    [ -n "$SERVED_PORT" ] && return 0
    kill -0 "$BG_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "rectrack serve did not say where it listens:" >&2
  cat "$log" >&2
  return 1
}

# nginx_site DIR ROOT APP_PORT HTTP_PORT HTTPS_PORT [WORKERS] [CONNECTIONS]
# deploy/nginx.conf as shipped, in front of a rectrack server on APP_PORT, with
# its ports and paths moved into DIR and a self-signed certificate made there
# (DIR/cert.pem, DIR/key.pem: CERT_KEY="ec" makes a P-256 key instead of RSA
# 2048); each move must happen (`bad` when the file no longer has the line).
# Writes DIR/rectrack.conf and DIR/nginx.conf (WORKERS processes, default 1;
# CONNECTIONS each, default 256). Run: nginx -c DIR/nginx.conf -p DIR/nginx
nginx_site() {
  local dir="$1" root="$2" app="$3" http="$4" https="$5" workers="${6:-1}" conns="${7:-256}"
  if [ "${CERT_KEY:-rsa}" = ec ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=localhost" -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
  else
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
  fi
  local conf
  conf="$(cat "$root/deploy/nginx.conf")"
  _move() {
    if ! grep -q -F -- "$1" <<<"$conf"; then bad "deploy/nginx.conf has no '$1' to move"; return; fi
    conf="${conf//"$1"/$2}"
  }
  _move "listen 80;" "listen 127.0.0.1:$http;"
  _move "listen [::]:80;" ""
  _move "listen 443 ssl http2;" "listen 127.0.0.1:$https ssl http2;"
  _move "listen [::]:443 ssl http2;" ""
  _move "/etc/letsencrypt/live/tracker.example.org/fullchain.pem" "$dir/cert.pem"
  _move "/etc/letsencrypt/live/tracker.example.org/privkey.pem" "$dir/key.pem"
  _move "/var/cache/nginx/rectrack" "$dir/cache"
  _move "server 127.0.0.1:8080;" "server 127.0.0.1:$app;"
  printf '%s\n' "$conf" >"$dir/rectrack.conf"
  mkdir -p "$dir/nginx"
  local user_line=""
  if [ "$(id -u)" = 0 ]; then user_line="user $(id -un) $(id -gn);"; fi
  cat >"$dir/nginx.conf" <<CONF
$user_line
worker_processes $workers;
worker_rlimit_nofile $((conns * 2 + 100));
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections $conns; }
http {
    access_log ${NGINX_ACCESS_LOG:-$dir/nginx/access.log};
    client_body_temp_path $dir/nginx/body;
    proxy_temp_path $dir/nginx/proxy;
    fastcgi_temp_path $dir/nginx/fastcgi;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    include $dir/rectrack.conf;
}
CONF
}
