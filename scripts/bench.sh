#!/usr/bin/env bash
# Builds the benchmarks (Release, in build-bench/) and runs them once, then
# prints what the targets are about: our import against the sqlite3 shell's in
# the same run, the owners table and the report over the generated store, and
# peak memory.
#
# Usage: scripts/bench.sh [ROWS] [extra Google Benchmark flags...]
#   ROWS  rows of the generated UPR-like CSV (default 1000000; 100000 for a
#         quick look). RECTRACK_DATA names the folder of upr-20{08..11}.csv
#         (default ../shared/data).
# Writes build-bench/bench-ROWS.json (Google Benchmark's JSON) and prints a
# summary. Needs about 2 GB in $TMPDIR for a million rows.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS="${1:-1000000}"
shift || true

cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRECTRACK_BENCH=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target rectrack_bench >/dev/null

out="build-bench/bench-$ROWS.json"
echo "bench: $ROWS rows; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
export RECTRACK_DATA="${RECTRACK_DATA:-$(cd .. && pwd)/shared/data}"
RECTRACK_BENCH_ROWS="$ROWS" /usr/bin/time -v -o build-bench/bench-time.txt \
  build-bench/rectrack_bench --benchmark_out="$out" --benchmark_out_format=json "$@"

python3 - "$out" build-bench/bench-time.txt <<'EOF'
import json, re, sys
runs = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    runs[b["run_name"].split("/")[0]] = b

def secs(name):
    b = runs.get(name)
    if not b or b.get("error_occurred"):
        return None
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
    return b["real_time"] * scale

def cell(name, key="peak_rss_mb"):
    b = runs.get(name)
    return b.get(key) if b else None

print()
print("%-42s %10s %12s %10s" % ("case", "seconds", "rows/s", "peak MB"))
for name in ["BM_ImportUpr", "BM_SqliteShellImport1M_Bare", "BM_SqliteShellImport1M_WithIndexesFts",
             "BM_ImportCsv1M", "BM_OwnersTable1M", "BM_Report1M", "BM_Verify1M",
             "BM_VerifyIncrementalAfterOneUpdate1M"]:
    t = secs(name)
    if t is None:
        print("%-42s %10s" % (name, "skipped" if name in runs else "not run"))
        continue
    rows = cell(name, "rows") or 0
    print("%-42s %10.3f %12.0f %10.0f" % (name, t, rows / t if t else 0, cell(name) or 0))

ours, bare, full = secs("BM_ImportCsv1M"), secs("BM_SqliteShellImport1M_Bare"), \
    secs("BM_SqliteShellImport1M_WithIndexesFts")
print()
if ours and full:
    ratio = full / ours
    print("import speed vs sqlite3 shell with indexes + FTS5: %.2f (target >= 0.60): %s"
          % (ratio, "met" if ratio >= 0.6 else "MISSED"))
if ours and bare:
    print("import speed vs sqlite3 shell, bare .import:        %.2f (for reference)" % (bare / ours))
for name, what in [("BM_OwnersTable1M", "owners table"), ("BM_Report1M", "report")]:
    t = secs(name)
    if t is not None:
        print("%-13s %.3f s (target < 1 s): %s" % (what, t, "met" if t < 1 else "MISSED"))
verify = secs("BM_Verify1M")
if verify and ours:
    print("verify (full) vs the import that made the store: %.2f x (target <= 1.5): %s"
          % (verify / ours, "met" if verify / ours <= 1.5 else "MISSED"))
if cell("BM_Verify1M", "store_mb"):
    print("store: %.0f MB, of which the ledger's contents %.0f MB"
          % (cell("BM_Verify1M", "store_mb"), cell("BM_Verify1M", "ledger_payload_mb")))
inc = secs("BM_VerifyIncrementalAfterOneUpdate1M")
if inc is not None:
    print("incremental check after one update: %.1f ms (target < 50 ms): %s"
          % (inc * 1000, "met" if inc < 0.05 else "MISSED"))
peaks = [cell(n) for n in runs if cell(n) is not None]
m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(sys.argv[2]).read())
if m:
    print("peak RSS of the whole run (getrusage): %.0f MB; per case above (VmHWM, reset"
          " before each; sqlite3's own for the shell cases)" % (int(m.group(1)) / 1024))
if peaks:
    worst = max(peaks)
    print("worst case peak: %.0f MB (target < 500 MB): %s" % (worst, "met" if worst < 500 else "MISSED"))
EOF
