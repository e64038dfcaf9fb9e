#!/usr/bin/env bash
# Builds rectrack (if need be) and installs it under a prefix:
#   PREFIX/bin/rectrack
#   PREFIX/share/rectrack/   rectrack.service nginx.conf backup.sh two-servers.sh
#   PREFIX/share/doc/rectrack/deploy.md
# Installs no packages: scripts/setup.sh (or the Containerfile) does that.
#
#   deploy/install.sh [--prefix DIR] [--build-dir DIR] [--strip]
#     --prefix     where to install (default /usr/local)
#     --build-dir  the CMake build directory (default build-release); one
#                  already configured is built further, not configured anew
#     --strip      strip debugging symbols from the installed binary
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX=/usr/local
BUILD="$ROOT/build-release"
STRIP=0
while (($#)); do
  case "$1" in
    --prefix) PREFIX="$2"; shift 2 ;;
    --build-dir) BUILD="$2"; shift 2 ;;
    --strip) STRIP=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECTRACK_BENCH=OFF >/dev/null
fi
cmake --build "$BUILD" --target rectrack -j"$(nproc)"

install -d "$PREFIX/bin" "$PREFIX/share/rectrack" "$PREFIX/share/doc/rectrack"
# Through a temporary name, so that a running server's binary is replaced
# whole (a new inode), never overwritten in place.
install -m 0755 "$BUILD/rectrack" "$PREFIX/bin/.rectrack.new"
if [ "$STRIP" = 1 ]; then strip --strip-debug "$PREFIX/bin/.rectrack.new"; fi
mv -f "$PREFIX/bin/.rectrack.new" "$PREFIX/bin/rectrack"
install -m 0644 "$ROOT/deploy/rectrack.service" "$ROOT/deploy/nginx.conf" "$PREFIX/share/rectrack/"
install -m 0755 "$ROOT/deploy/backup.sh" "$ROOT/deploy/two-servers.sh" "$PREFIX/share/rectrack/"
install -m 0644 "$ROOT/docs/deploy.md" "$PREFIX/share/doc/rectrack/"
echo "installed $("$PREFIX/bin/rectrack" --version) in $PREFIX"
