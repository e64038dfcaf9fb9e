#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for tests and benchmarks: its own data
# directory, a free loopback port, a socket directory of its own, trust
# authentication for the role "rectrack" on loopback only.
#
#   scripts/pg-cluster.sh start DIR   # prints the admin URL; DIR/url holds it
#   scripts/pg-cluster.sh restart DIR [MODE]  # pg_ctl restart (-m MODE: fast, immediate)
#   scripts/pg-cluster.sh stop-keep DIR       # stops it, keeping its data
#   scripts/pg-cluster.sh start-again DIR     # starts it again on the same port
#   scripts/pg-cluster.sh stop DIR    # stops it and removes DIR
#
# Run as root it runs the server as the "postgres" system user (initdb refuses
# root). PostgreSQL's binaries come from Debian's postgresql-15 (scripts/setup.sh).
set -euo pipefail

BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
cmd="${1:-}"
dir="${2:-}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|restart|stop-keep|start-again|stop DIR" >&2
  exit 2
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    # From /: the caller's directory (root's home, say) may be closed to postgres.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
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
  echo "pg-cluster: no free port found" >&2
  return 1
}

case "$cmd" in
  start)
    if [ ! -x "$BIN/initdb" ]; then
      echo "pg-cluster: $BIN/initdb not found: install postgresql-15 (scripts/setup.sh)" >&2
      exit 1
    fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    mkdir -p "$dir/socket"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; fi
    as_owner "$BIN/initdb" -D "$dir/data" -U rectrack --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # Durable as a server (synchronous commit, as in production); fsync off
    # because a test need not survive the machine losing power, only the
    # server being killed.
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/socket'
max_connections = 300
shared_buffers = 256MB
fsync = off
full_page_writes = off
log_min_messages = warning
EOF
    for attempt in 1 2 3 4 5; do
      port="$(free_port)"
      if as_owner "$BIN/pg_ctl" -D "$dir/data" -o "-p $port" -l "$dir/server.log" -w -t 60 start \
        >/dev/null; then
        break
      fi
      if [ "$attempt" = 5 ]; then cat "$dir/server.log" >&2; exit 1; fi
    done
    echo "$port" >"$dir/port"
    url="postgresql://rectrack@127.0.0.1:$port/postgres"
    echo "$url" >"$dir/url"
    echo "$url"
    ;;
  restart)
    mode="${3:-fast}"
    as_owner "$BIN/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 restart -o "-p $(cat "$dir/port")" \
      -l "$dir/server.log" >/dev/null
    ;;
  stop-keep)
    as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    ;;
  start-again)
    as_owner "$BIN/pg_ctl" -D "$dir/data" -o "-p $(cat "$dir/port")" -l "$dir/server.log" -w -t 60 \
      start >/dev/null
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|restart|stop DIR" >&2
    exit 2
    ;;
esac
