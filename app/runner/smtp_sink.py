"""A development SMTP server (aiosmtpd) that writes each message to a file after a delay.

It speaks real SMTP, so the app sends mail exactly as it would to a provider; the
``--delay-ms`` wait before answering DATA stands in for that provider's latency.
Messages land in ``--maildir`` as ``<time>-<uuid>.eml``, so tests and benchmarks
count deliveries by counting files. The container image's mail service runs this same file
(``--host 0.0.0.0``), with only the standard library and aiosmtpd.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class FileSink:
    def __init__(self, maildir: Path, delay: float, *, log: bool = False) -> None:
        self.maildir = maildir
        self.delay = delay
        self.log = log

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.delay:
            await asyncio.sleep(self.delay)
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        partial = self.maildir / f".{name}.part"
        partial.write_bytes(envelope.original_content or envelope.content)
        partial.rename(self.maildir / name)  # atomic: a reader never sees half a message
        if self.log:
            print(f"received {name}: from {envelope.mail_from} to {', '.join(envelope.rcpt_tos)}", flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    parser.add_argument("--delay-ms", type=float, default=0)
    parser.add_argument("--log", action="store_true", help="print a line for each message received")
    args = parser.parse_args()
    args.maildir.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        FileSink(args.maildir, args.delay_ms / 1000, log=args.log), hostname=args.host, port=args.port
    )
    controller.start()
    print(f"SMTP sink on {args.host}:{args.port}, delay {args.delay_ms:.0f} ms, writing to {args.maildir}", flush=True)
    stop = False

    def request_stop(*_: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    while not stop:
        time.sleep(0.2)
    controller.stop()


if __name__ == "__main__":
    main()
