#!/usr/bin/python3
"""A real SMTP server on loopback for the chase tests (Debian python3-aiosmtpd).

Writes every message it accepts to OUT/NNNN.eml and its envelope to
OUT/NNNN.json, and the port it listens on to OUT/port once it listens.
  --delay S        wait S seconds before accepting each message's data
  --reject ADDR    answer 550 to this recipient (repeatable)
  --tempfail N     answer 451 to the first N messages
Run with /usr/bin/python3: a pyenv python earlier on PATH lacks aiosmtpd.
"""
import argparse
import asyncio
import json
import os
import signal

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out, delay, reject, tempfail):
        self.out, self.delay, self.reject, self.tempfail = out, delay, set(reject), tempfail
        self.count = 0
        self.seen = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.seen <= self.tempfail:
            return "451 4.3.0 try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        self.count += 1
        base = os.path.join(self.out, "%04d" % self.count)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        return "250 2.0.0 accepted"


async def main(args):
    os.makedirs(args.out, exist_ok=True)
    sink = Sink(args.out, args.delay, args.reject, args.tempfail)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, decode_data=False, enable_SMTPUTF8=True), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(os.path.join(args.out, "port.tmp"), "w") as f:
        f.write(str(port))
    os.rename(os.path.join(args.out, "port.tmp"), os.path.join(args.out, "port"))
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--reject", action="append", default=[])
    p.add_argument("--tempfail", type=int, default=0)
    asyncio.run(main(p.parse_args()))
