#!/usr/bin/env python3
"""Load and abuse clients for scripts/abuse.sh (issue 10, item 3).

Standard library only (asyncio). Each mode runs for a bounded time and count
against one server on loopback and prints one JSON object of figures on
stdout; scripts/abuse.sh starts the servers, runs wrk beside these, and turns
the figures into docs/reliability.md's tables.

  abuse.py slowloris --port P --clients N --seconds S
  abuse.py signin    --port P --addresses A --names N --attempts M --seconds S
                     --legit NAME --legit-password-file F
  abuse.py writes    --port P --editors FILE --reader-token T --seconds S
  abuse.py mixed     --port P --paths FILE --connections C --seconds S --bad-ratio R

Every mode exits 0 when it ran; whether the figures pass is for abuse.sh.
"""

import argparse
import asyncio
import json
import random
import re
import ssl
import sys
import time
import urllib.parse


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return round(v[k] * 1000.0, 2)  # milliseconds


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> list of values
        self.body = body

    def header(self, name):
        values = self.headers.get(name.lower())
        return values[0] if values else ""


async def read_reply(reader, method="GET"):
    """One HTTP/1.1 response: status line, headers, then a body by
    Content-Length or chunked (none for HEAD, 204, 304)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    body = b""
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return Reply(status, headers, body)
    if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
        chunks = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers from our servers
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"][0]))
    else:
        body = await reader.read()  # until the server closes
    return Reply(status, headers, body)


def request_bytes(method, target, host, headers=(), body=b""):
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """A keep-alive connection that reconnects when the server closed it."""

    def __init__(self, port, host_header, local_addr=None, timeout=30.0):
        self.port, self.host, self.local_addr, self.timeout = port, host_header, local_addr, timeout
        self.reader = self.writer = None

    async def open(self):
        kw = {"local_addr": (self.local_addr, 0)} if self.local_addr else {}
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, **kw)

    def close(self):
        if self.writer:
            self.writer.close()
        self.reader = self.writer = None

    async def ask(self, method, target, headers=(), body=b""):
        if not self.writer:
            await self.open()
        self.writer.write(request_bytes(method, target, self.host, headers, body))
        await self.writer.drain()
        reply = await asyncio.wait_for(read_reply(self.reader, method), self.timeout)
        if "close" in ",".join(reply.headers.get("connection", [])).lower():
            self.close()
        return reply


# --- slowloris ---------------------------------------------------------------

async def slowloris(args):
    """N clients each send a request's first line, then one header line every
    `interval` seconds, never finishing; when the server cuts one off, it
    starts again. Counts how long the server let each hang on."""
    deadline = time.monotonic() + args.seconds
    held, opened, refused = [], [0], [0]
    tls = {}
    if args.tls:  # through nginx: its certificate is our own self-signed one
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        tls = {"ssl": ctx, "server_hostname": "localhost"}
    answered = {}

    async def client():
        while time.monotonic() < deadline:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", args.port, **tls)
            except OSError:
                refused[0] += 1
                await asyncio.sleep(0.5)
                continue
            opened[0] += 1
            start = time.monotonic()
            try:
                writer.write(f"GET /?slow={random.random()} HTTP/1.1\r\nHost: {args.host}\r\n".encode())
                await writer.drain()
                while time.monotonic() < deadline:
                    # The server's answer (408) or its closing ends the wait.
                    try:
                        data = await asyncio.wait_for(reader.read(1024), args.interval)
                    except asyncio.TimeoutError:
                        writer.write(f"X-Slow-{random.randrange(10**6)}: a\r\n".encode())
                        await writer.drain()
                        continue
                    if data.startswith(b"HTTP/1.1 "):
                        code = data[9:12].decode()
                        answered[code] = answered.get(code, 0) + 1
                    held.append(time.monotonic() - start)
                    break
            except (OSError, ConnectionError):
                held.append(time.monotonic() - start)
            finally:
                writer.close()

    # Start them over a second, as a real attack ramps up.
    tasks = []
    for _ in range(args.clients):
        tasks.append(asyncio.create_task(client()))
        await asyncio.sleep(1.0 / args.clients)
    await asyncio.gather(*tasks)
    return {
        "clients": args.clients,
        "connections_opened": opened[0],
        "connect_failures": refused[0],
        "cut_off": len(held),
        "held_p50_s": round(sorted(held)[len(held) // 2], 1) if held else None,
        "held_max_s": round(max(held), 1) if held else None,
        "answers": answered,
    }


# --- sign-in flood -----------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


async def login_form(conn):
    """GET /login: the double-submit cookie and the form's masked token."""
    r = await conn.ask("GET", "/login")
    cookie = ""
    for c in r.headers.get("set-cookie", []):
        if c.startswith("rectrack_login_csrf="):
            cookie = c.split(";")[0]
    m = CSRF_RE.search(r.body.decode("utf-8", "replace"))
    return cookie, (m.group(1) if m else "")


async def sign_in(conn, name, password):
    cookie, token = await login_form(conn)
    body = urllib.parse.urlencode({"name": name, "password": password, "csrf": token}).encode()
    return await conn.ask("POST", "/login", [("Cookie", cookie),
                                             ("Content-Type", "application/x-www-form-urlencoded")], body)


async def signin_flood(args):
    """Failed sign-ins from many names and many loopback addresses at once;
    meanwhile, from an address of its own, a legitimate user signs in with the
    right password on an account nobody attacks, every few seconds."""
    deadline = time.monotonic() + args.seconds
    addresses = [f"127.0.{1 + i // 250}.{2 + i % 250}" for i in range(args.addresses)]
    names = [f"victim-{i}" for i in range(args.names)]  # abuse.sh makes victim-0..19
    statuses, latencies = {}, []
    sent = [0]
    legit = []
    checked_by_name, checked_by_address = {}, {}
    password = open(args.legit_password_file).read().strip()

    async def attacker(k):
        conn = Connection(args.port, args.host, local_addr=addresses[k % len(addresses)])
        while time.monotonic() < deadline and sent[0] < args.attempts:
            sent[0] += 1
            name = random.choice(names)
            t0 = time.monotonic()
            try:
                r = await sign_in(conn, name, f"wrong-{random.randrange(10**9)}")
                code = str(r.status)
                if r.status == 429 and "problem+json" in r.header("content-type"):
                    code = "429 busy"  # another of this address's sign-ins was under way
                if r.status == 401:  # a password checked and found wrong
                    checked_by_name[name] = checked_by_name.get(name, 0) + 1
                    address = conn.local_addr
                    checked_by_address[address] = checked_by_address.get(address, 0) + 1
            except asyncio.TimeoutError:
                # Queued behind everyone else's sign-ins for longer than the
                # client waits: what the queue is for.
                conn.close()
                code = "no answer in 30 s"
            except (OSError, asyncio.IncompleteReadError, ValueError) as e:
                conn.close()
                code = f"error: {type(e).__name__}"
            latencies.append(time.monotonic() - t0)
            statuses[code] = statuses.get(code, 0) + 1

    async def legitimate():
        await asyncio.sleep(min(5.0, args.seconds / 4))
        while time.monotonic() < deadline:
            conn = Connection(args.port, args.host, local_addr="127.0.200.1", timeout=60)
            t0 = time.monotonic()
            try:
                r = await sign_in(conn, args.legit, password)
                ok = r.status == 303 and any(c.startswith("rectrack_session=") for c in r.headers.get("set-cookie", []))
                legit.append((ok, r.status, time.monotonic() - t0))
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
                legit.append((False, type(e).__name__, time.monotonic() - t0))
            conn.close()
            await asyncio.sleep(3.0)

    await asyncio.gather(legitimate(), *(attacker(k) for k in range(args.concurrency)))
    return {
        "attempts": sent[0],
        "addresses": len(addresses),
        "names": len(names),
        "statuses": statuses,
        "most_checked_per_name": max(checked_by_name.values(), default=0),
        "most_checked_per_address": max(checked_by_address.values(), default=0),
        "attempt_p50_ms": percentile(latencies, 50),
        "attempt_p99_ms": percentile(latencies, 99),
        "legit_tries": len(legit),
        "legit_signed_in": sum(1 for ok, _, _ in legit if ok),
        "legit_statuses": sorted({str(s) for _, s, _ in legit}),
        "legit_max_ms": round(max((t for _, _, t in legit), default=0) * 1000, 1),
    }


# --- write storm -------------------------------------------------------------

ETAG_RE = re.compile(r'"asg-(\d+)-v(\d+)"')


async def write_storm(args):
    """Editors (one API token each, lines "TOKEN ASSIGNMENT ASSIGNMENT" in the
    file) each write updates to one of their two assignments, neighbours
    sharing one, with the ETag they read: a 412 is read again and retried.
    Afterwards every acknowledged update is read back, and each assignment's
    version has moved by exactly the number of updates acknowledged on it."""
    editors = [line.split() for line in open(args.editors) if line.strip()]
    deadline = time.monotonic() + args.seconds
    staff = Connection(args.port, args.host)
    auth = lambda token: ("Authorization", f"Bearer {token}")

    async def version(conn, token, asg):
        r = await conn.ask("GET", f"/api/v1/assignments/{asg}", [auth(token)])
        if r.status != 200:
            raise RuntimeError(f"GET assignment {asg}: {r.status}")
        return int(ETAG_RE.match(r.header("etag")).group(2)), r.header("etag")

    assignments = sorted({int(a) for e in editors for a in e[1:]})
    before = {a: (await version(staff, args.reader_token, a))[0] for a in assignments}
    acked = []  # (assignment, update id, narrative)
    statuses, latencies = {}, []

    async def editor(i, token, mine):
        conn = Connection(args.port, args.host)
        k = 0
        while time.monotonic() < deadline:
            asg = int(random.choice(mine))
            k += 1
            narrative = f"storm: editor {i}, write {k}"
            t0 = time.monotonic()
            try:
                _, etag = await version(conn, token, asg)
                body = json.dumps({"narrative": narrative, "implementation": "in_progress"}).encode()
                r = await conn.ask("POST", f"/api/v1/assignments/{asg}/updates",
                                   [auth(token), ("If-Match", etag), ("Content-Type", "application/json")], body)
                code = str(r.status)
                if r.status == 201:
                    acked.append((asg, json.loads(r.body)["id"], narrative))
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, RuntimeError) as e:
                conn.close()
                code = f"error: {e}"[:60]
            latencies.append(time.monotonic() - t0)
            statuses[code] = statuses.get(code, 0) + 1

    await asyncio.gather(*(editor(i, e[0], e[1:]) for i, e in enumerate(editors)))

    # Read back: every acknowledged update as written.
    missing = wrong = 0
    for asg, uid, narrative in acked:
        r = await staff.ask("GET", f"/api/v1/updates/{uid}", [auth(args.reader_token)])
        if r.status != 200:
            missing += 1
        elif json.loads(r.body).get("narrative") != narrative:
            wrong += 1
    moved_wrong = 0
    for a in assignments:
        after = (await version(staff, args.reader_token, a))[0]
        if after - before[a] != sum(1 for x in acked if x[0] == a):
            moved_wrong += 1
    return {
        "editors": len(editors),
        "assignments": len(assignments),
        "writes_tried": sum(statuses.values()),
        "statuses": statuses,
        "acknowledged": len(acked),
        "acknowledged_missing": missing,
        "acknowledged_changed": wrong,
        "assignments_with_a_lost_or_extra_update": moved_wrong,
        "write_p50_ms": percentile(latencies, 50),
        "write_p99_ms": percentile(latencies, 99),
    }


# --- malformed requests mixed into normal traffic ---------------------------

def malformed_requests(host):
    """(label, raw bytes): what a hostile or broken client sends."""
    big = "a" * 20000
    return [
        ("garbage request line", b"GARBAGE\r\n\r\n"),
        ("header over 16 KiB", f"GET / HTTP/1.1\r\nHost: {host}\r\nX-Big: {big}\r\n\r\n".encode()),
        ("10,000 small headers", (f"GET / HTTP/1.1\r\nHost: {host}\r\n" + "X-A: b\r\n" * 10000 + "\r\n").encode()),
        ("target of 100 KB", f"GET /{'x' * 100000} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()),
        ("body over 2 MiB", f"POST /api/v1/search HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3000000\r\n\r\n".encode()
         + b"x" * 3000000),
        ("invalid UTF-8 in the query", f"GET /api/v1/search?q=%ff%fe HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()),
        ("bad percent escape", f"GET /sources/%zz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()),
        ("NUL in the target", f"GET /sources/a%00b HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()),
        ("a stranger's Host", b"GET /download/harris-2016.csv HTTP/1.1\r\nHost: evil.example\r\n\r\n"),
        ("HTTP/1.1 without Host", b"GET / HTTP/1.1\r\n\r\n"),
        ("unknown method", f"BREW /pot HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()),
        ("negative Content-Length", f"POST /login HTTP/1.1\r\nHost: {host}\r\nContent-Length: -5\r\n\r\n".encode()),
        ("Content-Length and chunked", f"POST /login HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\n"
         "Transfer-Encoding: chunked\r\n\r\nzz\r\n".encode()),
        ("broken chunked body", f"POST /login HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".encode()),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        ("HTTP/9.9", f"GET / HTTP/9.9\r\nHost: {host}\r\n\r\n".encode()),
        ("JSON write, no token", f"POST /api/v1/assignments/1/updates HTTP/1.1\r\nHost: {host}\r\n"
         "Content-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"a\": [1".encode()),
        ("sign-in without CSRF", f"POST /login HTTP/1.1\r\nHost: {host}\r\nContent-Type: "
         "application/x-www-form-urlencoded\r\nContent-Length: 17\r\n\r\nname=a&password=b".encode()),
        ("bearer token of junk", f"GET /api/v1/review HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer \xff\xfe\r\n\r\n".encode("latin-1")),
        ("cookie of 8 KiB junk", f"GET /review HTTP/1.1\r\nHost: {host}\r\nCookie: rectrack_session={'%' * 8000}\r\n\r\n".encode()),
        ("request cut off midway", f"GET /sources HTTP/1.1\r\nHost: {host}\r\nAcc".encode()),
    ]


async def mixed(args):
    """C connections send normal GETs; a share (bad-ratio) of the requests are
    malformed ones, each on a connection of its own (the server may close it).
    Normal answers must be 2xx or 3xx, malformed ones 4xx (or the connection
    closed), never 5xx."""
    paths = [p.strip() for p in open(args.paths) if p.strip()]
    bad = malformed_requests(args.host)
    deadline = time.monotonic() + args.seconds
    normal_lat, normal_status, bad_status = [], {}, {}
    by_label = {}

    async def one_bad():
        label, raw = random.choice(bad)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
        except OSError:
            return "connect failed", label
        try:
            writer.write(raw)
            await writer.drain()
            if label == "request cut off midway":
                return "closed by us", label
            r = await asyncio.wait_for(read_reply(reader), 15)
            return str(r.status), label
        except (ConnectionError, asyncio.IncompleteReadError):
            return "closed by the server", label
        except asyncio.TimeoutError:
            return "no answer in 15 s", label
        finally:
            writer.close()

    async def worker():
        conn = Connection(args.port, args.host)
        while time.monotonic() < deadline and sum(normal_status.values()) + sum(bad_status.values()) < args.max_requests:
            if random.random() < args.bad_ratio:
                code, label = await one_bad()
                bad_status[code] = bad_status.get(code, 0) + 1
                by_label.setdefault(label, {}).setdefault(code, 0)
                by_label[label][code] += 1
                continue
            t0 = time.monotonic()
            try:
                r = await conn.ask("GET", random.choice(paths), [("Accept-Encoding", "gzip")])
                code = str(r.status)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                conn.close()
                code = "error"
            normal_lat.append(time.monotonic() - t0)
            normal_status[code] = normal_status.get(code, 0) + 1

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(args.connections)))
    elapsed = time.monotonic() - t0
    n = sum(normal_status.values()) + sum(bad_status.values())
    return {
        "requests": n,
        "seconds": round(elapsed, 1),
        "requests_per_s": round(n / elapsed),
        "normal": sum(normal_status.values()),
        "normal_statuses": normal_status,
        "normal_p50_ms": percentile(normal_lat, 50),
        "normal_p99_ms": percentile(normal_lat, 99),
        "malformed": sum(bad_status.values()),
        "malformed_statuses": bad_status,
        "malformed_by_kind": by_label,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["slowloris", "signin", "writes", "mixed"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1", help="the Host header to send")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--tls", action="store_true", help="slowloris: over TLS (nginx in front)")
    ap.add_argument("--interval", type=float, default=2.0, help="slowloris: seconds between header lines")
    ap.add_argument("--addresses", type=int, default=40)
    ap.add_argument("--names", type=int, default=100)
    ap.add_argument("--attempts", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--legit", default="legit")
    ap.add_argument("--legit-password-file")
    ap.add_argument("--editors")
    ap.add_argument("--reader-token")
    ap.add_argument("--paths")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--bad-ratio", type=float, default=0.1)
    ap.add_argument("--max-requests", type=int, default=10**7)
    args = ap.parse_args()
    mode = {"slowloris": slowloris, "signin": signin_flood, "writes": write_storm, "mixed": mixed}[args.mode]
    out = asyncio.run(mode(args))
    json.dump(out, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
