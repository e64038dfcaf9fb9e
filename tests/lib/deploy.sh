# Sourced by the deployment tests (tests/deploy_*.sh): checks, free ports,
# processes started in the background and stopped on exit, HTTP waits.
#   ok NAME | bad NAME | check NAME CMD... | summary      results, exit code
#   free_port                                          a free loopback port
#   bg LOG CMD...                                      runs CMD in the background
#                                                      (killed on exit); pid in $BG_PID
#   wait_http URL [SECONDS]                            until URL answers at all
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
summary() {
  echo "$pass passed, $fail failed"
  [ "$fail" = 0 ]
}

_bg_pids=()
bg() {
  local log="$1"; shift
  "$@" >"$log" 2>&1 &
  BG_PID=$!
  _bg_pids+=("$BG_PID")
}
stop_bg() {
  local p
  for p in "${_bg_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${_bg_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  _bg_pids=()
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

wait_http() {
  local url="$1" seconds="${2:-30}"
  for _ in $(seq 1 $((seconds * 5))); do
    if curl -sk -o /dev/null --max-time 2 "$url"; then return 0; fi
    sleep 0.2
  done
  echo "no answer from $url within ${seconds}s" >&2
  return 1
}
