#!/usr/bin/env bash
# A backup of rectrack's store, for cron or a systemd timer, keeping the last N
# (docs/deploy.md). Safe while servers run: SQLite is copied with its online
# backup API, PostgreSQL with pg_dump, each one consistent state.
#
#   backup.sh [--db LOCATION] [--key-file FILE] [--dir DIR] [--keep N] [--with-key]
#             [--rectrack BIN]
#
#   --db        the store (default $RECTRACK_DB, else /var/lib/rectrack/rectrack.db)
#   --key-file  its signing key (default $RECTRACK_KEY_FILE; an SQLite store's is
#               beside it); only read with --with-key
#   --dir       where backups go (default $BACKUP_DIR, else /var/backups/rectrack)
#   --keep      how many to keep, newest first (default $BACKUP_KEEP, else 14)
#   --with-key  also copy the key, as NAME.backup.key (mode 0600). Better: back
#               the key up once, somewhere else; whoever has both can sign as
#               the tracker
#   --rectrack  the executable (default: rectrack on PATH)
#
# Each run writes DIR/rectrack-YYYYMMDDTHHMMSSZ.backup, then removes the oldest
# beyond --keep; a run that fails removes nothing and exits non-zero (cron
# mails what it printed). Two runs at once: the second waits for the first.
# Example crontab line for the rectrack user (03:17 every day):
#   17 3 * * * /usr/local/share/rectrack/backup.sh --dir /var/backups/rectrack --keep 14
set -euo pipefail

DB="${RECTRACK_DB:-/var/lib/rectrack/rectrack.db}"
KEY_FILE="${RECTRACK_KEY_FILE:-}"
DIR="${BACKUP_DIR:-/var/backups/rectrack}"
KEEP="${BACKUP_KEEP:-14}"
WITH_KEY=0
RECTRACK="rectrack"
while (($#)); do
  case "$1" in
    --db) DB="$2"; shift 2 ;;
    --key-file) KEY_FILE="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    --keep) KEEP="$2"; shift 2 ;;
    --with-key) WITH_KEY=1; shift ;;
    --rectrack) RECTRACK="$2"; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "backup.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$KEEP" in
  ''|*[!0-9]*|0) echo "backup.sh: --keep must be a number of at least 1, not '$KEEP'" >&2; exit 2 ;;
esac

umask 077
mkdir -p "$DIR"
exec 9>"$DIR/.backup.lock"
flock 9

# Named by the time, to the second, so that names sort as the backups were
# made; a run within the same second as the last waits for the next.
while :; do
  out="$DIR/rectrack-$(date -u +%Y%m%dT%H%M%SZ).backup"
  [ -e "$out" ] || break
  sleep 1
done

args=(backup --db "$DB")
if [ -n "$KEY_FILE" ]; then args+=(--key-file "$KEY_FILE"); fi
if [ "$WITH_KEY" = 1 ]; then args+=(--with-key); fi
"$RECTRACK" "${args[@]}" "$out"

# Rotation: names sort by time; the newest KEEP stay.
mapfile -t all < <(find "$DIR" -maxdepth 1 -type f -name 'rectrack-*.backup' -printf '%f\n' | sort)
excess=$(( ${#all[@]} - KEEP ))
for ((i = 0; i < excess; i++)); do
  rm -f -- "$DIR/${all[$i]}" "$DIR/${all[$i]}.key"
  echo "removed the old backup $DIR/${all[$i]}"
done
echo "kept $(( ${#all[@]} < KEEP ? ${#all[@]} : KEEP )) backup(s) in $DIR; the newest: $out"
