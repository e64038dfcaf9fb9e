#!/usr/bin/env bash
# Installs what rectrack needs from Debian 12's packages (when missing) and
# builds it into build/. Safe to run again: it only does what is not done.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates tzdata curl
  libsqlite3-dev sqlite3 libpq-dev libsodium-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libhowardhinnant-date-dev libexpected-dev libkainjow-mustache-dev
  zlib1g-dev libboost1.81-dev libxlsxwriter-dev libcurl4-openssl-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpoppler-cpp-dev  # import document: the text of PDF reports
  poppler-utils  # scripts/eval_extract.sh times pdftotext beside import document
  chromium fonts-liberation  # browser tests (tests/browser), driven by npm playwright-core
  postgresql-15 postgresql-client-15  # the PostgreSQL store's tests (a throw-away cluster)
  nginx openssl  # the deployment tests (tests/deploy_*.sh): nginx in front, with TLS
  python3 python3-aiosmtpd  # the chase tests' SMTP server (tests/lib/smtp_sink.py)
  wrk  # the load and abuse campaign's readers (scripts/abuse.sh; its short run is a test)
  clang-19 libclang-rt-19-dev  # the fuzzers (scripts/fuzz.sh): libFuzzer, ASan, UBSan
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
cmake -S . -B build -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DRECTRACK_BENCH="${RECTRACK_BENCH:-OFF}" >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: built build/rectrack"
