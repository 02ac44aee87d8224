"""A real HTTP server on 127.0.0.1 that records webhook deliveries and can be told to fail."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Receiver:
    url: str
    deliveries: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    #: Answer 500 to this many deliveries before accepting.
    fail_next: int = 0
    #: Hold the first delivery this many seconds before answering (a slow receiver).
    delay_first: float = 0.0
    #: Answer one byte every ``trickle_every`` seconds, forever: "headers" trickles the status
    #: line itself, "body" sends headers at once and trickles the body; "silent" never answers.
    trickle: str = ""
    trickle_every: float = 0.5


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if receiver.delay_first and len(receiver.deliveries) == 1:
                time.sleep(receiver.delay_first)
            if receiver.trickle:
                self._trickle()
                return
            status = 500 if receiver.fail_next > 0 else 204
            receiver.fail_next = max(0, receiver.fail_next - 1)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _trickle(self) -> None:
            """Hold the caller as an attacker would: never idle long enough to trip a per-read timeout."""
            if receiver.trickle == "silent":
                time.sleep(120)
                return
            head = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
            if receiver.trickle == "body":
                self.wfile.write(head)
                head = b"x" * 100000
            try:
                for byte in head:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(receiver.trickle_every)
            except OSError:
                return  # the caller gave up, as it should

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/orders"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
