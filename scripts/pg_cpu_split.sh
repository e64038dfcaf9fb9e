#!/usr/bin/env bash
# Runs a command against a PostgreSQL cluster on this machine and prints its
# wall time, the command's own CPU time, and the CPU time of the server's
# backends that ended meanwhile (what the postmaster reaped: its cutime and
# cstime), so that a change's effect on the server and on the client can be
# told apart on a machine whose speed varies from hour to hour.
#
#   scripts/pg_cpu_split.sh DATADIR LABEL COMMAND...
#
# DATADIR is the cluster's data directory (scripts/pg-cluster.sh: DIR/data).
# The command's output goes to /dev/null. Backends that outlive the command
# (a connection pool) are not counted: rectrack's command line closes its own.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 DATADIR LABEL COMMAND..." >&2
  exit 2
fi
data="$1"; label="$2"; shift 2
pm="$(head -1 "$data/postmaster.pid")"
tck="$(getconf CLK_TCK)"
reaped() { awk '{print $16 + $17}' "/proc/$pm/stat"; }
times="$(mktemp)"
trap 'rm -f "$times"' EXIT
before="$(reaped)"
/usr/bin/time -f "%e %U %S" -o "$times" "$@" >/dev/null
sleep 0.3  # the backends' exit reaches the postmaster
after="$(reaped)"
read -r wall user sys <"$times"
awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v b="$before" -v a="$after" -v t="$tck" \
  'BEGIN { printf "%s: wall %.2f s, client CPU %.2f s, server CPU %.2f s\n", l, w, u + s, (a - b) / t }'
