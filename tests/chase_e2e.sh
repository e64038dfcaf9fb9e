#!/usr/bin/env bash
# Chasers by e-mail, end to end, on a real store (SQLite, or PostgreSQL with
# RECTRACK_TEST_PG) and a real SMTP server on loopback (Debian's
# python3-aiosmtpd, tests/lib/smtp_sink.py, run by /usr/bin/python3):
# contacts, a dry run that sends and records nothing, the messages' recipients,
# headers and both bodies, one-click unsubscribe through the server, a run
# killed mid-send that resumes without sending anything twice, failures
# retried or given up, an SMTP server that is not there, and `verify` after.
# Usage: chase_e2e.sh RECTRACK REPO_ROOT
set -uo pipefail
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$2" && pwd)"
. "$ROOT/tests/lib/store.sh"
. "$ROOT/tests/lib/deploy.sh"
WORK="$(mktemp -d)"
trap 'stop_bg; rm -rf "$WORK"' EXIT
cd "$WORK"
PY=/usr/bin/python3
DB=chase.db
rt() { "$BIN" --db "$(store_at "$DB")" --key-file "$DB.key" "$@"; }
echo "engine: $TEST_ENGINE"

# start_sink DIR [ARGS...]: an SMTP server writing to DIR; its URL in $SMTP.
start_sink() {
  local dir="$1"; shift
  bg "$dir.log" "$PY" "$ROOT/tests/lib/smtp_sink.py" "$dir" "$@"
  SINK_PID=$BG_PID
  for _ in $(seq 1 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
  SMTP="smtp://127.0.0.1:$(cat "$dir/port")"
}
count_eml() { find "$1" -name '*.eml' | wc -l; }
# outbox_count STATE: messages in that state.
outbox_count() {
  rt chase outbox --limit 1000000 --format json |
    "$PY" -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin) if m["state"] == sys.argv[1]))' "$1"
}

# outbox_week DATE: "TOTAL SENT UNCERTAIN" of the messages queued as of DATE.
outbox_week() {
  rt chase outbox --limit 1000000 --format json | "$PY" -c '
import json, sys
ms = [m for m in json.load(sys.stdin) if m["as_of"] == sys.argv[1]]
print(len(ms), sum(m["state"] == "sent" for m in ms), sum(m["state"] == "uncertain" for m in ms))' "$1"
}

rt --create import pfd "$ROOT/tests/fixtures/pfd-sample.csv" >/dev/null || { echo "import failed"; exit 1; }
serve_bg serve.log "$BIN" --db "$(store_at "$DB")" --key-file "$DB.key" || exit 1
PUBLIC="http://127.0.0.1:$SERVED_PORT"
SEND=(--from office@tracker.example --from-name "Chief Coroner's Office" --public-url "$PUBLIC")

# --- Contacts: one by one, and from a file, all or nothing.
rt owner contact add "British Transport Police" pfd@btp.example --name "Jane Smith" --role "PFD responses" >/dev/null
rt owner contact add "Avon Fire and Rescue Services" pfd@avonfire.example >/dev/null
printf 'owner,email,name,role\nNetwork Rail,pfd@networkrail.example,Sam Ode,\nLondon Fire Brigade,not-an-address,,\n' >contacts-bad.csv
rt owner contact import contacts-bad.csv >/dev/null 2>err.txt; rc=$?
check "a contacts file with a bad address is refused (exit $rc)" test "$rc" = 1
check "naming its line ($(cat err.txt))" grep -q 'contacts-bad.csv:3: .not-an-address. is not an e-mail address' err.txt
check "and nothing of it is added" test "$(rt owner contact list --format csv | grep -c networkrail)" = 0
printf 'owner,email,name,role\nNetwork Rail,pfd@networkrail.example,Sam Ode,\nLondon Fire Brigade,pfd@lfb.example,,coroners\n' >contacts.csv
check "a good contacts file is added whole" sh -c "'$BIN' --db '$(store_at "$DB")' --key-file '$DB.key' owner contact import contacts.csv | grep -q 'added 2 contacts'"
rt owner contact add "Nobody At All" x@y.example >/dev/null 2>err.txt
check "an unknown owner is refused by name" grep -q "no owner 'Nobody At All'" err.txt

# --- A dry run prints what would go and sends and records nothing.
start_sink mail1
head_before="$(rt verify | grep -o 'head [0-9]*')"
rt chase --as-of 2024-06-01 --dry-run "${SEND[@]}" --smtp "$SMTP" >dry.txt; rc=$?
check "a dry run succeeds (exit $rc)" test "$rc" = 0
check "and prints the messages" grep -q '^Subject: British Transport Police: 1 response overdue' dry.txt
check "and says nothing was sent" grep -q 'nothing was sent or recorded' dry.txt
sleep 0.3
check "and the SMTP server got nothing" test "$(count_eml mail1)" = 0
check "and the ledger did not move" test "$(rt verify | grep -o 'head [0-9]*')" = "$head_before"

# --- The run: one message per contact of an owner with something due.
rt chase --as-of 2024-06-01 "${SEND[@]}" --smtp "$SMTP" >run1.txt 2>&1; rc=$?
check "a chase run succeeds (exit $rc)" test "$rc" = 0
sent1="$(count_eml mail1)"
check "and the server got one message per contact ($sent1)" test "$sent1" = 4
check "each recipient once" test "$(cat mail1/*.json | "$PY" -c 'import sys,json; print(",".join(sorted(r for l in sys.stdin.read().replace("}{","}\n{").splitlines() for r in json.loads(l)["rcpt_tos"])))')" = "pfd@avonfire.example,pfd@btp.example,pfd@lfb.example,pfd@networkrail.example"
check "it says what it did" grep -q 'queued 4 messages; sent 4' run1.txt
check "and who cannot be chased" grep -q 'with no contact, who cannot be chased' run1.txt
# Headers and both bodies, read as a mail client reads them.
"$PY" - "$PUBLIC" mail1/*.eml >parts.txt 2>&1 <<'EOF'
import email, email.policy, sys
public = sys.argv[1]
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    assert m["From"] == "Chief Coroner's Office <office@tracker.example>", m["From"]
    assert m.get_content_type() == "multipart/alternative"
    text = m.get_body(("plain",)).get_content()
    html = m.get_body(("html",)).get_content()
    unsub = m["List-Unsubscribe"]
    assert unsub.startswith("<" + public + "/unsubscribe/") and unsub.endswith(">"), unsub
    assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert m["Message-ID"].startswith("<rectrack."), m["Message-ID"]
    assert "response was due" in text and "days late" in text, text
    assert unsub[1:-1] in text and unsub[1:-1] in html
    assert public + "/recommendations/" in html
    print("ok", m["To"], "|", m["Subject"])
EOF
check "every message has From, List-Unsubscribe (one-click), text and HTML with the links ($(tail -1 parts.txt))" test "$(grep -c '^ok ' parts.txt)" = 4
check "the named contact is greeted by name" grep -rlq 'Dear Jane Smith' mail1/
check "the outbox records each as sent" test "$(outbox_count sent)" = 4

# --- The same day again: nothing new to chase.
rt chase --as-of 2024-06-02 "${SEND[@]}" --smtp "$SMTP" >run2.txt 2>&1
check "a second run the next day sends nothing again" test "$(count_eml mail1)" = 4

# --- One-click unsubscribe (RFC 8058) through the server.
url="$("$PY" -c 'import email,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb")); print(m["List-Unsubscribe"][1:-1])' "$(grep -l 'To: pfd@avonfire.example' mail1/*.eml)")"
check "GET on the link changes nothing" sh -c "curl -s '$url' | grep -q 'Unsubscribe from reminders'"
check "the contact is still subscribed after a GET" sh -c "'$BIN' --db '$(store_at "$DB")' owner contact list --format csv | grep pfd@avonfire.example | grep -q ',subscribed'"
code="$(curl -s -o /dev/null -w '%{http_code}' -X POST -d 'List-Unsubscribe=One-Click' "$url")"
check "POST List-Unsubscribe=One-Click answers 200 ($code)" test "$code" = 200
check "and the contact is unsubscribed" sh -c "'$BIN' --db '$(store_at "$DB")' owner contact list --format csv | grep pfd@avonfire.example | grep -q unsubscribed"
# The token with its last character changed (to one it is not).
last="${url: -1}"; other=0; [ "$last" = 0 ] && other=1
code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "${url%?}$other")"
check "a wrong token answers 404 ($code)" test "$code" = 404

# --- A run killed mid-send resumes without sending anything twice.
for i in 1 2 3 4 5 6; do rt owner contact add "Network Rail" "extra$i@networkrail.example" >/dev/null; done
stop_sink_pid=$SINK_PID; kill "$stop_sink_pid"; wait "$stop_sink_pid" 2>/dev/null
start_sink mail2 --delay 0.4
bg run3.log "$BIN" --db "$(store_at "$DB")" --key-file "$DB.key" chase --as-of 2024-06-09 "${SEND[@]}" --smtp "$SMTP"
chase_pid=$BG_PID
for _ in $(seq 1 200); do [ "$(count_eml mail2)" -ge 2 ] && break; sleep 0.05; done
sleep 0.2
kill -9 "$chase_pid"; wait "$chase_pid" 2>/dev/null
got_before="$(count_eml mail2)"
check "the run was killed part way ($got_before delivered before)" test "$got_before" -lt 9
rt chase --as-of 2024-06-09 "${SEND[@]}" --smtp "$SMTP" >run4.txt 2>&1; rc=$?
sleep 0.5
ids="$(grep -h '^Message-ID:' mail2/*.eml | sort)"
check "the resumed run sent the rest, and nothing twice ($(count_eml mail2) delivered)" test "$(echo "$ids" | uniq -d | wc -l)" = 0
check "nothing is left queued" test "$(outbox_count queued)" = 0
week="$(outbox_week 2024-06-09)"  # messages sent uncertain
read -r week_total week_sent week_uncertain <<<"$week"
check "the week's $week_total messages are all sent or uncertain ($week_sent, $week_uncertain)" \
  test "$((week_sent + week_uncertain))" = "$week_total" -a "$week_total" -ge 5
delivered="$(count_eml mail2)"
check "the server has each sent one, and an uncertain one at most once ($delivered)" \
  test "$delivered" -ge "$week_sent" -a "$delivered" -le "$week_total"
if [ "$week_uncertain" != 0 ]; then
  check "an uncertain message is reported, with how to send it again (exit $rc)" sh -c "test $rc = 1 && grep -q 'may or may not have been delivered' run4.txt"
fi

# --- Failures: a temporary one is retried, a refused recipient given up.
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null
start_sink mail3 --tempfail 1 --reject extra1@networkrail.example
rt chase --as-of 2024-06-16 "${SEND[@]}" --smtp "$SMTP" >run5.txt 2>&1; rc=$?
check "a run with failures exits 1 ($rc)" test "$rc" = 1
check "it names the refused recipient as given up" grep -q 'extra1@networkrail.example given up after 1 attempt' run5.txt
check "and the other failure as to be retried" grep -q 'failed (attempt 1), retried after' run5.txt
check "the outbox holds one failed and one abandoned" test "$(outbox_count failed),$(outbox_count abandoned)" = "1,1"
rt chase --as-of 2024-06-16 --send-only --retry-now "${SEND[@]}" --smtp "$SMTP" >run6.txt 2>&1; rc=$?
check "a retry sends the failed one (exit $rc)" test "$rc" = 0
check "and nothing is failed now" test "$(outbox_count failed)" = 0

# --- No SMTP server: one attempt spent, the rest wait.
rt owner contact add "London Fire Brigade" second@lfb.example >/dev/null
rt chase --as-of 2024-06-23 "${SEND[@]}" --smtp "smtp://127.0.0.1:9" >run7.txt 2>&1; rc=$?
check "an SMTP server that is not there is an error (exit $rc)" test "$rc" = 1
check "that says so" grep -q 'the SMTP server could not be used' run7.txt
check "one message failed, the others wait queued" test "$(outbox_count failed)" = 1 -a "$(outbox_count queued)" -gt 0

# --- Settings that cannot work are refused before anything is done.
rt chase --as-of 2024-06-23 --from office@tracker.example --smtp "$SMTP" >/dev/null 2>err.txt; rc=$?
check "a run without --public-url is refused (exit $rc)" sh -c "test $rc = 1 && grep -q 'give --public-url' err.txt"
rt chase "${SEND[@]}" --smtp "smtp://user:secret@127.0.0.1:25" >/dev/null 2>err.txt; rc=$?
check "a password in the SMTP address is refused" sh -c "test $rc = 1 && grep -q 'holds a password' err.txt"

# --- The whole record checks out, every chaser sent is in the ledger.
rt verify >verify.txt 2>&1; rc=$?
check "verify passes after it all (exit $rc)" test "$rc" = 0
check "chase schedules are listed" sh -c "'$BIN' --db '$(store_at "$DB")' chase schedule | grep -q '^default  *14,7,1'"

summary
