#!/usr/bin/python3
"""A real SMTP server for kc-notify's e-mail tests (python3-aiosmtpd).

Usage: smtp_sink.py PORT LOG_FILE

Every message received is appended to LOG_FILE (envelope recipients, then
the message as sent, then a separator line), flushed at once. The server
names itself "localhost": left to itself aiosmtpd asks the resolver for
the machine's name on every connection, which on a machine without DNS
takes longer than a delivery may.
"""
import asyncio
import sys

from aiosmtpd.smtp import SMTP

PORT = int(sys.argv[1])
LOG = sys.argv[2]


class Sink:
    async def handle_DATA(self, server, session, envelope):
        with open(LOG, "a", encoding="utf-8", errors="replace") as log:
            log.write("RCPT: " + ", ".join(envelope.rcpt_tos) + "\n")
            log.write(envelope.content.decode("utf-8", errors="replace").replace("\r\n", "\n"))
            log.write("\n---------- END OF MESSAGE ----------\n")
        return "250 OK"


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Sink(), hostname="localhost"), "127.0.0.1", PORT, reuse_address=True
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
