#!/usr/bin/env bash
# deploy/Containerfile without a container runtime: its build step's
# deploy/install.sh is run into a temporary prefix (with this build
# directory); the image's runtime packages must provide every library the
# installed binary links; its build packages must include every -dev package
# scripts/setup.sh builds with; its USER is not root; and its ENTRYPOINT +
# CMD, with ENV, run from the prefix, serve pages.
# Usage: deploy_container.sh RECTRACK REPO_ROOT
set -uo pipefail
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
BUILD_DIR="$(dirname "$BIN")"
ROOT="$(cd "$2" && pwd)"
. "$ROOT/tests/lib/deploy.sh"
CF="$ROOT/deploy/Containerfile"
WORK="$(mktemp -d)"
trap 'stop_bg; rm -rf "$WORK"' EXIT

# The Containerfile's lines with continuations joined, and its final stage.
joined="$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$CF" | grep -v '^\s*#')"
final="$(awk '/^FROM /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' <<<"$joined")"
build_stage="$(awk '/^FROM /{n++} n==1' <<<"$joined")"

check "two stages, both Debian 12" test "$(grep -c '^FROM .*debian:12' <<<"$joined")" = 2
run_install="$(grep '^RUN .*deploy/install.sh' <<<"$build_stage")"
check "the build stage runs deploy/install.sh" test -n "$run_install"
prefix="$(sed -n 's/.*--prefix \([^ ]*\).*/\1/p' <<<"$run_install")"
check "  into a prefix ($prefix)" test -n "$prefix"
user="$(sed -n 's/^USER \(.*\)/\1/p' <<<"$final" | tail -1)"
check "the image runs as a user that is not root ($user)" test -n "$user" -a "$user" != root -a "$user" != 0

# Every -dev package setup.sh builds with is in the build stage (libgtest and
# benchmark are for tests; they are listed too, as setup.sh does). Not the
# fuzzers' clang runtime: scripts/fuzz.sh builds apart, and the image does not fuzz.
for p in $(sed -n '/^PACKAGES=(/,/^)/p' "$ROOT/scripts/setup.sh" | sed 's/#.*//' | tr ' ' '\n' | grep -- '-dev$' | grep -v '^libclang-rt-'); do
  grep -q -w -- "$p" <<<"$build_stage" || bad "the build stage lacks $p, which scripts/setup.sh installs"
done
ok "the build stage installs setup.sh's -dev packages"

# install.sh, as the build step runs it (into a temporary prefix).
PREFIX="$WORK/prefix"
flags="$(sed -n 's/.*deploy\/install.sh\(.*\)/\1/p' <<<"$run_install" | sed -e 's/--prefix [^ ]*//' -e 's/--build-dir [^ ]*//')"
# shellcheck disable=SC2086
"$ROOT/deploy/install.sh" --prefix "$PREFIX" --build-dir "$BUILD_DIR" $flags >"$WORK/install.log" 2>&1
check "deploy/install.sh exits 0" test $? = 0 || cat "$WORK/install.log"
check "it installed bin/rectrack" test -x "$PREFIX/bin/rectrack"
for f in rectrack.service nginx.conf backup.sh two-servers.sh; do
  check "it installed share/rectrack/$f" test -s "$PREFIX/share/rectrack/$f"
done
check "it installed the guide" test -s "$PREFIX/share/doc/rectrack/deploy.md"
check "the installed binary runs" "$PREFIX/bin/rectrack" --version

# Runtime packages: the package of every library the binary links is listed.
runtime="$(grep '^RUN .*apt-get install' <<<"$final")"
for lib in $(objdump -p "$PREFIX/bin/rectrack" | awk '/NEEDED/{print $2}'); do
  pkg="$(dpkg -S "/usr/lib/$(gcc -print-multiarch)/$lib" "/lib/$(gcc -print-multiarch)/$lib" 2>/dev/null | head -1 | cut -d: -f1)"
  if [ -z "$pkg" ]; then bad "no Debian package found for $lib"; continue; fi
  grep -q -w -- "$pkg" <<<"$runtime" || bad "the image's runtime stage lacks $pkg (for $lib)"
done
ok "the runtime stage lists the package of each library the binary links"

# ENTRYPOINT + CMD with ENV, paths moved here: it must serve.
STATE="$WORK/state"
mkdir -m 0700 "$STATE"
PORT="$(free_port)"
move() { sed -e "s#$prefix#$PREFIX#g" -e "s#/var/lib/rectrack#$STATE#g" -e "s#0\.0\.0\.0:8080#127.0.0.1:$PORT#g"; }
json_words() { sed -e 's/^[A-Z]* *\[//' -e 's/\] *$//' -e 's/", *"/\n/g' -e 's/"//g'; }
mapfile -t entry < <(grep '^ENTRYPOINT' <<<"$final" | move | json_words)
mapfile -t cmd < <(grep '^CMD' <<<"$final" | move | json_words)
envs=()
while read -r _ kv; do envs+=("$kv"); done < <(grep '^ENV ' <<<"$final" | move)
wd="$(sed -n 's/^WORKDIR //p' <<<"$final" | move | tail -1)"
echo "runs: env ${envs[*]} ${entry[*]} ${cmd[*]} (in $wd)"
check "ENTRYPOINT is the installed binary" test "${entry[0]}" = "$PREFIX/bin/rectrack"
bg "$WORK/server.log" bash -c 'cd "$1" && shift && exec env "$@"' _ "$wd" "${envs[@]}" "${entry[@]}" "${cmd[@]}"
if wait_http "http://127.0.0.1:$PORT/" 30; then
  check "the image's command serves the home page" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 200
  check "and a style sheet (embedded in the binary)" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/static/rectrack.css")" = 200
  check "its store is in the volume, from ENV RECTRACK_DB" test -s "$STATE/rectrack.db"
  check "its key too, from ENV RECTRACK_KEY_FILE" test -s "$STATE/rectrack.key"
else
  bad "the image's command serves"
  cat "$WORK/server.log"
fi
summary
