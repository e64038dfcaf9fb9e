#!/usr/bin/env bash
# Scores `rectrack import document --preset upr` on a folder of UPR reports
# against answer keys (issue 11; docs/extraction.md has the figures):
#   scripts/eval_extract.sh DIR_OF_PDFS CSV...
#   scripts/eval_extract.sh ../shared/data/upr-pdfs ../shared/data/upr-20{08,09,10,11}.csv
# Builds rectrack if needed; writes eval-extract/ (summary.json, mismatches.tsv,
# the drafts). EVAL_OUT=DIR writes elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: scripts/eval_extract.sh DIR_OF_PDFS CSV..." >&2
  exit 2
fi
[ -x build/rectrack ] || ./scripts/setup.sh
command -v pdftotext >/dev/null || {
  echo "eval_extract: pdftotext (Debian poppler-utils) is needed for the time comparison" >&2
  exit 1
}
exec python3 scripts/eval_extract.py --rectrack build/rectrack --out "${EVAL_OUT:-eval-extract}" "$@"
