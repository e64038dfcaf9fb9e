#!/usr/bin/env bash
# deploy/rectrack.service without systemd: its Environment= lines and its
# ExecStart= line, run as they stand (${NAME} expanded as systemd does) with
# the unit's paths moved to a temporary directory; the server must answer and
# make its store and key there. `systemd-analyze verify` of the unit when the
# tool is installed.
# Usage: deploy_systemd.sh RECTRACK REPO_ROOT
set -uo pipefail
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$2" && pwd)"
. "$ROOT/tests/lib/deploy.sh"
UNIT="$ROOT/deploy/rectrack.service"
WORK="$(mktemp -d)"
trap 'stop_bg; rm -rf "$WORK"' EXIT
STATE="$WORK/state"
mkdir -m 0700 "$STATE"
PORT="$(free_port)"

# The unit's fixed paths, and what they become here.
moved() {
  sed -e "s#/var/lib/rectrack#$STATE#g" -e "s#/usr/local/bin/rectrack#$BIN#g" \
      -e "s#127\.0\.0\.1:8080#127.0.0.1:$PORT#g" "$UNIT"
}
setting() { moved | sed -n "s/^$1=//p"; }

for key in User StateDirectory NoNewPrivileges ProtectSystem PrivateTmp ReadWritePaths Restart; do
  check "the unit sets $key" test -n "$(setting "$key")"
done
check "it runs as a user of its own, not root" test "$(setting User)" = rectrack
check "NoNewPrivileges=yes" test "$(setting NoNewPrivileges)" = yes
check "ProtectSystem=strict" test "$(setting ProtectSystem)" = strict
check "Restart=on-failure" test "$(setting Restart)" = on-failure
check "ReadWritePaths is the state directory" test "$(setting ReadWritePaths)" = "$STATE"

# Environment=NAME=VALUE lines, in order, as systemd reads them (no quoting
# used in this unit: the test refuses a line it would misread).
declare -A env=()
while IFS= read -r line; do
  case "$line" in *\"*|*\'*|*\\*) bad "Environment line with quotes or backslashes: $line"; continue ;; esac
  env["${line%%=*}"]="${line#*=}"
done < <(setting Environment)
check "Environment sets RECTRACK_DB" test -n "${env[RECTRACK_DB]:-}"

exec_start="$(setting ExecStart)"
case "$exec_start" in
  *\"*|*\'*|*\\*|*\$[A-Za-z]*) bad "ExecStart uses quoting or \$NAME (this test reads only \${NAME} and words)" ;;
esac
# ${NAME} -> its value (one word, as systemd does); then split on blanks.
expanded="$exec_start"
while [[ "$expanded" =~ \$\{([A-Za-z_][A-Za-z0-9_]*)\} ]]; do
  name="${BASH_REMATCH[1]}"
  [ -n "${env[$name]+set}" ] || { bad "ExecStart uses \${$name}, which no Environment= line sets"; break; }
  expanded="${expanded//\$\{$name\}/${env[$name]}}"
done
read -r -a argv <<<"$expanded"
echo "ExecStart as run: ${argv[*]}"
check "ExecStart runs the rectrack binary" test "${argv[0]}" = "$BIN"
check "ExecStart is 'rectrack serve'" test "${argv[1]:-}" = serve
check "ExecStart names the store with --db" grep -q -- "--db $STATE/" <<<"${argv[*]}"

# Run it as systemd would: from WorkingDirectory, with the umask of the unit.
wd="$(setting WorkingDirectory)"
um="$(setting UMask)"
bg "$WORK/server.log" bash -c 'cd "$1" && umask "$2" && shift 2 && exec "$@"' _ "$wd" "${um:-0022}" "${argv[@]}"
if wait_http "http://127.0.0.1:$PORT/" 30; then
  ok "the server started by ExecStart answers"
  code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")"
  check "its home page answers 200" test "$code" = 200
  # --public-url: the site's host is answered, a stranger's is refused, and
  # downloads link to the site whatever Host a request names.
  site="$(curl -s -o /dev/null -w '%{http_code}' -H "Host: ${env[RECTRACK_PUBLIC_URL]#https://}" "http://127.0.0.1:$PORT/")"
  check "a request for the public URL's host answers 200" test "$site" = 200
  evil="$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "http://127.0.0.1:$PORT/")"
  check "a request naming another host gets 400" test "$evil" = 400
  # --trust-forwarded-proto: behind nginx, a sign-in cookie is Secure.
  check "the store was made in the state directory" test -s "$STATE/rectrack.db"
  check "the key file too, mode 0600" test "$(stat -c %a "$STATE/rectrack.key" 2>/dev/null)" = 600
else
  bad "the server started by ExecStart answers"
  cat "$WORK/server.log"
fi
stop_bg
check "the access log goes to standard output (the journal)" grep -q '"method":"GET","target":"/"' "$WORK/server.log"

if command -v systemd-analyze >/dev/null; then
  moved >"$WORK/rectrack.service"
  # The unit's user need not exist here: verify everything else.
  if out="$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$WORK/rectrack.service" 2>&1)"; then
    ok "systemd-analyze verify"
  elif grep -q -i -E "failed to (initialize|connect)|not been booted|No such file or directory.*(bus|manager)" <<<"$out"; then
    echo "skip systemd-analyze verify: it cannot run here: $out"
  else
    echo "$out"
    bad "systemd-analyze verify"
  fi
else
  echo "skip systemd-analyze verify: systemd-analyze is not installed"
fi
summary
