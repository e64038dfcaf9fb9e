#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite (unit, golden, bad-input,
# end-to-end) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
cd ..
# Every parser fuzzed for a short while (scripts/fuzz.sh; the long campaign is
# in docs/reliability.md). After the suite: it takes both cores.
./scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
