#!/usr/bin/env bash
# The main job: load the two examples (the Harris review and the coroners'
# Prevention of Future Deaths reports) into an SQLite store, print the Harris
# progress report, then serve everything at http://127.0.0.1:8080 until Ctrl-C.
# With --no-serve it stops after the report.
set -euo pipefail
cd "$(dirname "$0")/.."
DB="${RECTRACK_DB:-examples.db}"
export RECTRACK_DB="$DB"
if [ -e "$DB" ]; then
  echo "demo: $DB exists; remove it to load the examples afresh" >&2
else
  build/rectrack init
  build/rectrack import json examples/harris/harris-2016.json
  build/rectrack import pfd examples/pfd/pfd-reports.csv
fi
build/rectrack verify
build/rectrack report harris-2016 --as-of 2017-10-25 --format md
if [ "${1:-}" != --no-serve ]; then
  exec build/rectrack serve --listen "${RECTRACK_LISTEN:-127.0.0.1:8080}"
fi
