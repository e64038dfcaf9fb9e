#!/usr/bin/env bash
# Builds the benchmarks (Release, in build-bench/) and runs them once, on both
# stores in the same run, then prints SQLite beside PostgreSQL per case against
# the targets: import (ours against the sqlite3 shell; PostgreSQL >= 100,000
# rows/s), owners table and report (< 1 s, < 300 MB on both stores), search
# (p50/p99 over 100 queries), verify.
#
# Usage: scripts/bench.sh [ROWS] [extra Google Benchmark flags...]
#   ROWS  rows of the generated UPR-like CSV (default 1000000; 100000 for a
#         quick look). RECTRACK_DATA names the folder of upr-20{08..11}.csv
#         (default ../shared/data).
# Env:
#   RECTRACK_BENCH_PG_URL  use this PostgreSQL server (its role must create
#         databases) instead of starting one; the server's memory is then not
#         measured unless RECTRACK_BENCH_PG_PID names its postmaster.
#   BENCH_PG_FSYNC=off     leave scripts/pg-cluster.sh's test settings (fsync and
#         full_page_writes off) instead of a durable server; say so with figures.
#   BENCH_PG_CONF="k=v ..." extra server settings (ALTER SYSTEM), e.g.
#         "max_wal_size=4GB"; printed with the results.
#
# PostgreSQL: unless RECTRACK_BENCH_PG_URL is given, a throw-away cluster of
# its own (scripts/pg-cluster.sh: a temporary data directory on a free loopback
# port, PostgreSQL 15 from Debian), made durable as a production server would
# be (fsync, full_page_writes and synchronous_commit on; shared_buffers 1GB,
# enough for the tables a report reads, as docs/postgres.md advises; otherwise
# PostgreSQL's defaults), and stopped and removed on exit, also when
# the bench fails or is interrupted.
#
# Writes build-bench/bench-ROWS.json (Google Benchmark's JSON) and prints a
# summary. Needs about 2 GB in $TMPDIR for a million rows on SQLite, and about
# as much again for PostgreSQL's data directory.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS="${1:-1000000}"
shift || true

cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRECTRACK_BENCH=ON >/dev/null
cmake --build build-bench -j2 --target rectrack_bench >/dev/null

pgdir=""
cleanup() {
  if [ -n "$pgdir" ]; then
    scripts/pg-cluster.sh stop "$pgdir" || true
    pgdir=""
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_note=""
if [ -z "${RECTRACK_BENCH_PG_URL:-}" ]; then
  pgdir="$(mktemp -d "${TMPDIR:-/tmp}/rectrack-bench-pg.XXXXXX")"
  admin="$(scripts/pg-cluster.sh start "$pgdir")"
  # pg-cluster.sh's 256MB is for tests; see docs/postgres.md, "Sizing".
  settings=("shared_buffers=1GB")
  durable_note=""
  if [ "${BENCH_PG_FSYNC:-on}" = off ]; then
    durable_note=" NOT DURABLE (BENCH_PG_FSYNC=off: pg-cluster.sh's test settings)"
  else
    # pg-cluster.sh turns these off for tests; a benchmark measures a durable server.
    settings+=("fsync=on" "full_page_writes=on")
  fi
  for kv in ${BENCH_PG_CONF:-}; do settings+=("$kv"); done
  for kv in "${settings[@]}"; do
    psql "$admin" -v ON_ERROR_STOP=1 -qc "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'" >/dev/null
  done
  scripts/pg-cluster.sh restart "$pgdir"
  export RECTRACK_BENCH_PG_URL="$admin"
  export RECTRACK_BENCH_PG_PID="$(head -1 "$pgdir/data/postmaster.pid")"
  pg_note="PostgreSQL $(psql "$admin" -Atc "SHOW server_version" | cut -d" " -f1), own cluster;"
  pg_note+=" $(psql "$admin" -Atc "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync','full_page_writes','synchronous_commit','shared_buffers','max_wal_size','wal_level','work_mem','maintenance_work_mem')")"
  pg_note+="${BENCH_PG_CONF:+; extra: $BENCH_PG_CONF}$durable_note"
else
  pg_note="PostgreSQL given by RECTRACK_BENCH_PG_URL (not started here)"
fi

out="build-bench/bench-$ROWS.json"
echo "bench: $ROWS rows; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)"
echo "bench: $pg_note"
export RECTRACK_DATA="${RECTRACK_DATA:-$(cd .. && pwd)/shared/data}"
rm -f "$out"
rc=0
RECTRACK_BENCH_ROWS="$ROWS" /usr/bin/time -v -o build-bench/bench-time.txt \
  build-bench/rectrack_bench --benchmark_out="$out" --benchmark_out_format=json "$@" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "bench: rectrack_bench failed (exit $rc); no summary" >&2
  exit "$rc"
fi

python3 - "$out" build-bench/bench-time.txt "$ROWS" <<'PYEOF'
import json, re, sys
runs = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    runs[b["run_name"].split("/")[0]] = b
rows = int(sys.argv[3])

def ok(name):
    b = runs.get(name)
    return b is not None and not b.get("error_occurred")

def secs(name):
    if not ok(name):
        return None
    b = runs[name]
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
    return b["real_time"] * scale

def cell(name, key):
    return runs[name].get(key) if ok(name) else None

def why(name):
    b = runs.get(name)
    if b is None: return "not run"
    return "skipped: " + b.get("error_message", "")[:60]

def f(v, fmt):
    return fmt % v if v is not None else "-"

def verdict(good):
    return "met" if good else "MISSED"

print()
print("%-34s | %9s %9s %9s | %9s %9s %9s %9s" % ("", "SQLite", "", "", "PostgreSQL", "", "", ""))
print("%-34s | %9s %9s %9s | %9s %9s %9s %9s" % ("case", "seconds", "rows/s", "peak MB",
      "seconds", "rows/s", "peak MB", "server MB"))
def line(label, name):
    s, p = secs(name), secs(name + "_Pg")
    def side(n, t):
        if t is None:
            return "%9s %9s %9s" % ("-", "", "")
        r = cell(n, "rows") or 0
        return "%9.3f %9s %9.0f" % (t, f(r / t if r and t else None, "%.0f"), cell(n, "peak_rss_mb") or 0)
    print("%-34s | %s | %s %9s" % (label, side(name, s), side(name + "_Pg", p),
                                  f(cell(name + "_Pg", "pg_server_mb"), "%.0f")))
    for n in (name, name + "_Pg"):
        if not ok(n) and n in runs:
            print("%-34s   %s: %s" % ("", n, why(n)))
line("import UPR files (19,891 rows)", "BM_ImportUpr")
line("import CSV (%d rows)" % rows, "BM_ImportCsv1M")
line("owners table", "BM_OwnersTable1M")
line("report (md)", "BM_Report1M")
line("search, 100 queries", "BM_Search1M")
line("verify (full)", "BM_Verify1M")
for n, what in (("BM_OwnersTable1M_Whole", "owners, whole facts (before)"),
                ("BM_Report1M_Whole", "report, whole data (before)")):
    t = secs(n)
    print("%-34s | %9s %9s %9s | (comparison, SQLite only)" % (what, f(t, "%.3f"), "",
          f(cell(n, "peak_rss_mb"), "%.0f")))
for n in ("BM_SqliteShellImport1M_Bare", "BM_SqliteShellImport1M_WithIndexesFts"):
    t = secs(n)
    print("%-34s | %9s %9s %9s | (yardstick, SQLite only)" % ({"BM_SqliteShellImport1M_Bare": "sqlite3 .import, bare", "BM_SqliteShellImport1M_WithIndexesFts": "sqlite3 .import + indexes + FTS5"}[n],
          f(t, "%.3f"), f(rows / t if t else None, "%.0f"), f(cell(n, "peak_rss_mb"), "%.0f")))

print()
print("search p50 / p99 / max over 100 queries (ms):  SQLite %s / %s / %s   PostgreSQL %s / %s / %s"
      % tuple(f(cell(n, k), "%.1f") for n in ("BM_Search1M", "BM_Search1M_Pg") for k in ("p50_ms", "p99_ms", "max_ms")))
print("search hits (limit 20 each) / queries with none:  SQLite %s / %s   PostgreSQL %s / %s"
      % tuple(f(cell(n, k), "%.0f") for n in ("BM_Search1M", "BM_Search1M_Pg") for k in ("hits", "no_hit_queries")))
inc = [secs(n) for n in ("BM_VerifyIncrementalAfterOneUpdate1M", "BM_VerifyIncrementalAfterOneUpdate1M_Pg")]
print("incremental check after one update (ms):      SQLite %s   PostgreSQL %s  (target < 50 ms)"
      % tuple(f(t * 1000 if t is not None else None, "%.2f") for t in inc))
print("store size (MB):                               SQLite %s   PostgreSQL %s  (ledger contents %s MB)"
      % (f(cell("BM_Verify1M", "store_mb") or cell("BM_ImportCsv1M", "store_mb"), "%.0f"),
         f(cell("BM_Verify1M_Pg", "store_mb") or cell("BM_ImportCsv1M_Pg", "store_mb"), "%.0f"),
         f(cell("BM_Verify1M", "ledger_payload_mb"), "%.0f")))
if cell("BM_ImportCsv1M_Pg", "vacuum_analyze_s") is not None:
    print("PostgreSQL VACUUM ANALYZE after the import (not timed in it): %.1f s"
          % cell("BM_ImportCsv1M_Pg", "vacuum_analyze_s"))

print()
print("Targets%s:" % ("" if rows == 1000000 else " (they are for 1,000,000 rows; this run has %d)" % rows))
pg_imp = secs("BM_ImportCsv1M_Pg")
if pg_imp:
    rate = rows / pg_imp
    print("  PostgreSQL import: %.0f rows/s (target >= 100,000): %s" % (rate, verdict(rate >= 100000)))
ours, bare, full = secs("BM_ImportCsv1M"), secs("BM_SqliteShellImport1M_Bare"), \
    secs("BM_SqliteShellImport1M_WithIndexesFts")
if ours and full:
    print("  SQLite import vs sqlite3 shell with indexes + FTS5: %.2f (target >= 0.60): %s"
          % (full / ours, verdict(full / ours >= 0.6)))
if ours and bare:
    print("  SQLite import vs sqlite3 shell, bare .import:       %.2f (for reference)" % (bare / ours))
for name, what in [("BM_OwnersTable1M", "owners table"), ("BM_Report1M", "report")]:
    for n, store in ((name, "SQLite"), (name + "_Pg", "PostgreSQL")):
        t, pk = secs(n), cell(n, "peak_rss_mb")
        if t is None:
            print("  %-12s %-10s %s" % (what, store, why(n)))
            continue
        srv = cell(n, "pg_server_mb")
        print("  %-12s %-10s %6.3f s (target < 1 s): %-6s  peak %4.0f MB (target < 300 MB): %s%s"
              % (what, store, t, verdict(t < 1), pk, verdict(pk < 300),
                 "; server %.0f MB beside it" % srv if srv is not None else ""))
for n, store, imp in (("BM_Verify1M", "SQLite", secs("BM_ImportCsv1M")),
                      ("BM_Verify1M_Pg", "PostgreSQL", secs("BM_ImportCsv1M_Pg"))):
    v = secs(n)
    if v and imp:
        print("  verify (full) %-10s %.2f x the import that made the store (target <= 1.5): %s; peak %.0f MB"
              % (store, v / imp, verdict(v / imp <= 1.5), cell(n, "peak_rss_mb")))
m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(sys.argv[2]).read())
if m:
    print("\npeak RSS of the whole bench process (getrusage): %.0f MB; per case above: VmHWM reset before"
          " each (sqlite3's own for the shell cases); server MB: PostgreSQL's postmaster and children,"
          " sampled every 50 ms (RssAnon summed + the largest RssShmem)" % (int(m.group(1)) / 1024))
PYEOF
