#!/usr/bin/env bash
# Fuzzes every parser (issue 10): builds the libFuzzer harnesses of fuzz/ with
# clang-19, ASan and UBSan into build-fuzz/, then runs each for SECONDS
# (default 30) from its seed corpus (fuzz/corpus/HARNESS, plus the repository's
# CSV and JSON fixtures) with its dictionary (fuzz/dict/HARNESS.dict).
#   scripts/fuzz.sh [SECONDS] [HARNESS...]     HARNESS: csv json markdown template http document
# The corpus each run grows is kept in build-fuzz/corpus/ for the next run.
# A crash, a leak, a sanitizer report or a timeout fails the script, and the
# input that did it is left in build-fuzz/crashes/: make it a regression test
# (docs/reliability.md says how). FUZZ_JOBS=N runs N workers per harness;
# FUZZ_BUILD_ONLY=1 only builds them. FUZZ_TIMEOUT=S: an input that runs
# longer than S seconds (of wall time: libFuzzer's -timeout) fails (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
SECS="${1:-30}"
shift || true
HARNESSES=("$@")
((${#HARNESSES[@]})) || HARNESSES=(csv json markdown template http document)
JOBS="${FUZZ_JOBS:-1}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"
CXX_FUZZ="${CXX_FUZZ:-clang++-19}"
if ! command -v "$CXX_FUZZ" >/dev/null; then
  echo "fuzz: $CXX_FUZZ is missing: scripts/setup.sh installs clang-19 and libclang-rt-19-dev" >&2
  exit 1
fi

cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER="$CXX_FUZZ" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRECTRACK_FUZZ=ON -DRECTRACK_BENCH=OFF -DRECTRACK_WERROR=OFF >/dev/null
targets=()
for h in "${HARNESSES[@]}"; do targets+=("${h}_fuzz"); done
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}" >build-fuzz/build.log 2>&1 ||
  { tail -40 build-fuzz/build.log; echo "fuzz: the harnesses did not build" >&2; exit 1; }
# FUZZ_BUILD_ONLY=1: build the harnesses and stop (a campaign times the runs alone).
if [ "${FUZZ_BUILD_ONLY:-}" = 1 ]; then exit 0; fi

# Seeds from the repository's own fixtures: CSV files (behind the harness's
# first byte, which picks encoding and delimiter), JSON files, and the PDF
# reports (behind the document harness's first byte, 2: a PDF).
seed() {
  local h="$1" dir="build-fuzz/corpus/$1"
  mkdir -p "$dir" "build-fuzz/crashes"
  cp -n fuzz/corpus/"$h"/* "$dir"/ 2>/dev/null || true
  case "$h" in
    csv)
      local i=0 f
      for f in tests/fixtures/*.csv tests/fixtures/bad/*.csv; do
        [ -f "$f" ] || continue
        [ "$(stat -c %s "$f")" -le 200000 ] || continue
        { printf '\x00'; cat "$f"; } >"$dir/fixture-$((i++))"
        { printf '\x02'; cat "$f"; } >"$dir/fixture-$((i++))"  # latin1
      done ;;
    json)
      local i=0 f
      for f in examples/*/*.json tests/fixtures/*.json; do
        [ -f "$f" ] || continue
        [ "$(stat -c %s "$f")" -le 500000 ] || continue
        cp "$f" "$dir/fixture-$((i++))"
      done ;;
    document)
      local i=0 f
      for f in tests/fixtures/documents/*.pdf; do
        [ -f "$f" ] || continue
        { printf '\x02'; cat "$f"; } >"$dir/fixture-$((i++))"  # a PDF, then segmented
      done ;;
  esac
}

# Workers log to fuzz-N.log in the working directory: build-fuzz/.
parallel=()
if [ "$JOBS" -gt 1 ]; then parallel=(-jobs="$JOBS" -workers="$JOBS"); fi
failed=()
for h in "${HARNESSES[@]}"; do
  seed "$h"
  log="build-fuzz/$h.log"
  echo "fuzz: $h for ${SECS}s (${JOBS} job(s))"
  set +e
  RECTRACK_SOURCE_DIR="$ROOT" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "build-fuzz/${h}_fuzz" "build-fuzz/corpus/$h" -dict="fuzz/dict/$h.dict" \
      -max_total_time="$SECS" -timeout="$TIMEOUT" -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="build-fuzz/crashes/$h-" -print_final_stats=1 \
      "${parallel[@]}" >"$log" 2>&1
  rc=$?
  set -e
  # With -jobs, each worker logs to fuzz-N.log in the working directory.
  if [ "$JOBS" -gt 1 ]; then cat fuzz-*.log >>"$log" 2>/dev/null; rm -f fuzz-*.log; fi
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s += $2} END {print s + 0}')"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)"
  echo "fuzz: $h: exit $rc, ${runs} inputs, coverage ${cov:-?}, corpus $(ls "build-fuzz/corpus/$h" | wc -l) files"
  if [ "$rc" -ne 0 ]; then
    failed+=("$h")
    grep -E "ERROR|SUMMARY|runtime error|Test unit written|http_fuzz:" "$log" | head -20
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in build-fuzz/crashes/, logs in build-fuzz/*.log)" >&2
  exit 1
fi
echo "fuzz: every harness ran clean"
