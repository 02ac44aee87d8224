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


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if receiver.delay_first and len(receiver.deliveries) == 1:
                time.sleep(receiver.delay_first)
            status = 500 if receiver.fail_next > 0 else 204
            receiver.fail_next = max(0, receiver.fail_next - 1)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/orders"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
