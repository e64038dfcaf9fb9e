# Sourced by the tests that run on Node.js (tests/browser, tests/openapi):
# `npm_ready LABEL` checks node and npm (Node.js 20 or later) and installs the
# pinned packages of the current directory's package-lock.json when
# node_modules is missing or older than the lock.
npm_ready() {
  local label="$1"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "$label: node and npm are needed (Node.js 20 or later)" >&2
    return 1
  fi
  if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    echo "$label: Node.js $(node --version) is too old; 20 or later is needed" >&2
    return 1
  fi
  # npm keeps its cache under $HOME; a bare CI environment may have none.
  if [ -z "${HOME:-}" ]; then export HOME="${TMPDIR:-/tmp}"; fi
  local stamp=node_modules/.rectrack-lock.sha256 want
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "$label: npm ci (package-lock.json changed or node_modules missing)"
    npm ci --no-audit --no-fund --loglevel=error || return 1
    echo "$want" > "$stamp"
  fi
}
