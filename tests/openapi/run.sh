#!/usr/bin/env bash
# The API contract (web/openapi.json) stays clean: Redocly's linter with its
# recommended rules reports no error and no warning, and every response of
# every operation is typed (a schema for each body), so that a client
# generated from it types every response. Usage: run.sh [REPO_ROOT]
# Installs the pinned npm package (package-lock.json) when node_modules is
# missing or older than the lock, as tests/browser/run.sh does.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "${1:-$here/../..}" && pwd)"
cd "$here"
. "$here/../lib/npm.sh"
npm_ready openapi
contract="$root/web/openapi.json"
report="$(mktemp)"; trap 'rm -f "$report"' EXIT
# Redocly exits non-zero on errors only; warnings count too here.
set +e
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  ./node_modules/.bin/redocly lint "$contract" --format json >"$report" 2>/dev/null
rc=$?
set -e
node - "$report" "$rc" <<'JS'
const fs = require('fs');
const [report, rc] = process.argv.slice(2);
let r;
try { r = JSON.parse(fs.readFileSync(report, 'utf8')); } catch (e) {
  console.error(`openapi: the linter gave no report (exit ${rc}): ${e.message}`); process.exit(1);
}
const problems = r.problems ?? [];
for (const p of problems)
  console.log(`${p.severity} ${p.ruleId}: ${p.message} at ${(p.location ?? []).map((l) => l.pointer).join(', ')}`);
console.log(`openapi: redocly lint: ${problems.length} problem(s)`);
process.exit(problems.length || Number(rc) ? 1 : 0);
JS
node "$here/typed.mjs" "$contract"
