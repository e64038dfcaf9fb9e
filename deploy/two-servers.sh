#!/usr/bin/env bash
# Two rectrack servers on one PostgreSQL database, with nginx balancing them,
# all on this machine (docs/deploy.md): the scale-out layout in one command,
# to try it or to check a database before putting servers on several machines.
#
#   two-servers.sh --db postgresql://... --key-file FILE --dir DIR
#                  [--listen HOST:PORT] [--ports P1,P2] [--rectrack BIN]
#
#   --db        the PostgreSQL store both servers use (made if need be)
#   --key-file  the tracker's signing key, which both servers need to write
#   --dir       a directory for nginx's configuration, the logs and pids
#   --listen    where nginx listens (default 127.0.0.1:8080)
#   --ports     the two servers' loopback ports (default 8081,8082)
#   --rectrack  the executable (default: rectrack on PATH)
#
# It stays in the foreground until stopped (Ctrl-C or SIGTERM), and stops what
# it started; if a server or nginx ends, it stops the rest and exits 1. When
# all three answer it writes DIR/ready. Servers learn of each other's writes
# at once (LISTEN/NOTIFY), share sessions (they are in the database), and
# either may answer any request: nginx needs no sticky sessions.
set -euo pipefail

DB=""; KEY_FILE=""; DIR=""; LISTEN="127.0.0.1:8080"; PORTS="8081,8082"; RECTRACK="rectrack"
while (($#)); do
  case "$1" in
    --db) DB="$2"; shift 2 ;;
    --key-file) KEY_FILE="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    --listen) LISTEN="$2"; shift 2 ;;
    --ports) PORTS="$2"; shift 2 ;;
    --rectrack) RECTRACK="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "two-servers.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
die() { echo "two-servers.sh: $*" >&2; exit 2; }
[ -n "$DB" ] || die "give --db postgresql://..."
case "$DB" in postgres://*|postgresql://*) ;; *) die "--db must be a PostgreSQL URL: two servers on one SQLite file is not the layout this shows" ;; esac
[ -n "$KEY_FILE" ] || die "give --key-file: both servers sign what they write with it"
[ -n "$DIR" ] || die "give --dir"
P1="${PORTS%,*}"; P2="${PORTS#*,}"
NGINX="$(command -v nginx || true)"
[ -n "$NGINX" ] || NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || die "nginx is not installed (Debian: apt-get install nginx-light)"
command -v curl >/dev/null || die "curl is not installed"

mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
rm -f "$DIR/ready"
pids=()
stop() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -f "$DIR/ready"
}
trap 'stop' EXIT
trap 'stop; exit 0' INT TERM

answers() { curl -s -o /dev/null --max-time 2 "http://$1/" ; }
wait_for() {
  local what="$1" addr="$2"
  for _ in $(seq 1 150); do
    if answers "$addr"; then return 0; fi
    sleep 0.2
  done
  echo "two-servers.sh: $what did not answer on http://$addr/" >&2
  return 1
}

"$RECTRACK" init --db "$DB" --key-file "$KEY_FILE" >/dev/null
for i in 1 2; do
  port="P$i"; port="${!port}"
  "$RECTRACK" serve --db "$DB" --key-file "$KEY_FILE" --listen "127.0.0.1:$port" \
    --trust-forwarded-for --trust-forwarded-proto --access-log "$DIR/server$i.access.log" \
    >"$DIR/server$i.log" 2>&1 &
  pids+=("$!")
done
wait_for "server 1" "127.0.0.1:$P1"
wait_for "server 2" "127.0.0.1:$P2"

user_line=""
if [ "$(id -u)" = 0 ]; then user_line="user $(id -un) $(id -gn);"; fi
mkdir -p "$DIR/nginx"
cat >"$DIR/nginx.conf" <<CONF
# Made by two-servers.sh: nginx balancing two rectrack servers.
$user_line
worker_processes 1;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log $DIR/nginx/access.log;
    client_body_temp_path $DIR/nginx/body;
    proxy_temp_path $DIR/nginx/proxy;
    fastcgi_temp_path $DIR/nginx/fastcgi;
    uwsgi_temp_path $DIR/nginx/uwsgi;
    scgi_temp_path $DIR/nginx/scgi;
    upstream rectrack {
        server 127.0.0.1:$P1;
        server 127.0.0.1:$P2;
        keepalive 16;
    }
    server {
        listen $LISTEN;
        location / {
            proxy_pass http://rectrack;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            # A server that is down is skipped; a write (POST) is never sent twice.
            proxy_next_upstream error timeout;
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
CONF
"$NGINX" -t -q -c "$DIR/nginx.conf" -p "$DIR/nginx" -g 'daemon off;'
"$NGINX" -c "$DIR/nginx.conf" -p "$DIR/nginx" -g 'daemon off;' &
pids+=("$!")
wait_for nginx "$LISTEN"

echo "ready: http://$LISTEN/ balances servers on 127.0.0.1:$P1 and 127.0.0.1:$P2 (one database)"
touch "$DIR/ready"
set +e
wait -n "${pids[@]}"
echo "two-servers.sh: a server or nginx ended; stopping the rest" >&2
exit 1
