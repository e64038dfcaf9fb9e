#!/usr/bin/env bash
# Golden-file tests, DuckDB style: each tests/golden/*.test file is a script a
# reader can check by eye. Each test file gets a fresh store: an SQLite file,
# or with RECTRACK_TEST_PG a PostgreSQL schema (tests/lib/store.sh); the same
# expected output for both.
#
#   # comment
#   > rectrack ARGS...        run; stdout must equal the lines that follow
#   >! rectrack ARGS...       must fail (non-zero exit); stderr must equal what follows
#   >[sqlite] rectrack ARGS   (or >[postgres], >![sqlite]...) only on that store: for
#                             what the two may answer differently (search ranking)
#
# In expected text, {{*}} matches anything within a line. $FIXTURES and
# $EXAMPLES expand to tests/fixtures and examples/.
# Usage: run_golden.sh RECTRACK GOLDEN_DIR [--update]
set -uo pipefail
BIN="$1"; DIR="$2"; UPDATE="${3:-}"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
DIR="$(cd "$DIR" && pwd)"
ROOT="$(cd "$DIR/../.." && pwd)"
# Paths in commands (and so in messages) are relative to the repository root.
cd "$ROOT"
. "$ROOT/tests/lib/store.sh"
export FIXTURES="tests/fixtures" EXAMPLES="examples"
pass=0; fail=0
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT

compare() {  # expected-file actual-file -> 0 if they match
  local exp="$1" act="$2"
  local n_exp n_act
  n_exp=$(wc -l <"$exp"); n_act=$(wc -l <"$act")
  [ "$n_exp" = "$n_act" ] || return 1
  local e a
  exec 3<"$exp" 4<"$act"
  while IFS= read -r e <&3 && IFS= read -r a <&4; do
    if [[ "$e" == *"{{*}}"* ]]; then
      local pat="${e//\{\{\*\}\}/__STAR__}"
      pat=$(printf '%q' "$pat"); pat="${pat//__STAR__/*}"
      eval "[[ \"\$a\" == $pat ]]" || { exec 3<&- 4<&-; return 1; }
    elif [ "$e" != "$a" ]; then
      exec 3<&- 4<&-; return 1
    fi
  done
  exec 3<&- 4<&-
  return 0
}

for test in "$DIR"/*.test; do
  name="$(basename "$test" .test)"
  store_drop "$WORK/$name.db"
  rm -f "$WORK/$name.db.key"
  RECTRACK_DB="$(store_at "$WORK/$name.db")"
  export RECTRACK_DB RECTRACK_KEY_FILE="$WORK/$name.db.key"
  out="$WORK/$name.updated"; : >"$out"
  cmd=""; only=""; expect_fail=0; expected="$WORK/expected"; : >"$expected"; ok=1; lineno=0; cmdline=0
  run_block() {
    [ -n "$cmd" ] || return 0
    if [ -n "$only" ] && [ "$only" != "$TEST_ENGINE" ]; then
      # Another store's answer: kept as it is.
      [ "$UPDATE" = --update ] && cat "$expected" >>"$out"
      return 0
    fi
    local actual="$WORK/actual" rc
    local args; args="$(eval "printf '%s\n' $cmd")"
    mapfile -t argv <<<"$args"
    if ((expect_fail)); then
      "$BIN" "${argv[@]:1}" >/dev/null 2>"$actual"; rc=$?
      if ((rc == 0)); then echo "FAIL $name:$cmdline: expected failure: $cmd"; ok=0; fi
    else
      "$BIN" "${argv[@]:1}" >"$actual" 2>"$WORK/stderr"; rc=$?
      if ((rc != 0)); then echo "FAIL $name:$cmdline: exit $rc: $cmd"; cat "$WORK/stderr"; ok=0; fi
    fi
    if ! compare "$expected" "$actual"; then
      echo "FAIL $name:$cmdline: output differs: $cmd"
      diff -u "$expected" "$actual" | head -40
      ok=0
    fi
    # Hashes depend on the ledger's timestamps: recorded as wildcards.
    if [ "$UPDATE" = --update ]; then sed -E 's/[0-9a-f]{64}/{{*}}/g' "$actual" >>"$out"; fi
  }
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    if [[ "$line" == ">"* ]]; then
      run_block
      if [[ "$line" == ">!"* ]]; then expect_fail=1; cmd="${line#>!}"; else expect_fail=0; cmd="${line#>}"; fi
      only=""
      if [[ "$cmd" =~ ^\[([a-z]+)\]\ (.*)$ ]]; then only="${BASH_REMATCH[1]}"; cmd="${BASH_REMATCH[2]}"; fi
      cmd="${cmd# }"
      cmdline=$lineno; : >"$expected"
      [ "$UPDATE" = --update ] && echo "$line" >>"$out"
    elif [[ -z "$cmd" ]]; then
      [ "$UPDATE" = --update ] && echo "$line" >>"$out"
    else
      printf '%s\n' "$line" >>"$expected"
    fi
  done <"$test"
  run_block
  if [ "$UPDATE" = --update ]; then cp "$out" "$test"; fi
  if ((ok)); then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); fi
done
echo "$pass passed, $fail failed"
((fail == 0))
