"""The link between the two simulated regions (app/runner/latency_proxy.py): it delays, it does
not throttle, and it delivers every byte in order."""

from __future__ import annotations

import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from app.runner import processes
from app.runner.processes import free_port

DELAY_MS = 50


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def link() -> Iterator[int]:
    """An echo server behind the proxy; yields the proxy's port."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = free_port()
    route = f"{port}:{server.server_address[1]}"
    proxy = subprocess.Popen(
        [sys.executable, "-m", "app.runner.latency_proxy", "--delay-ms", str(DELAY_MS), "--route", route]
    )
    try:
        processes.wait_until(lambda: processes.port_open(port), timeout=10, what="the latency proxy")
        yield port
    finally:
        proxy.kill()
        proxy.wait()
        server.shutdown()
        server.server_close()


def round_trip(connection: socket.socket, payload: bytes) -> float:
    started = time.monotonic()
    connection.sendall(payload)
    received = b""
    while len(received) < len(payload):
        received += connection.recv(65536)
    assert received == payload
    return time.monotonic() - started


def test_each_round_trip_costs_twice_the_delay(link):
    with socket.create_connection(("127.0.0.1", link)) as connection:
        round_trip(connection, b"hello")  # the connection's own round trip is paid here
        trips = [round_trip(connection, f"ping {n}".encode()) for n in range(5)]
    assert min(trips) >= 2 * DELAY_MS / 1000
    assert sorted(trips)[2] < 2 * DELAY_MS / 1000 + 0.05, trips


def test_a_stream_arrives_whole_and_in_order_delayed_not_throttled(link):
    """4 MiB is 64 of the proxy's chunks each way: delayed one by one, they would take 6 s; in
    flight together, as on a long link, about one round trip more than the bytes themselves."""
    payload = bytes(range(256)) * (4 * 4096)
    with socket.create_connection(("127.0.0.1", link)) as connection:
        round_trip(connection, b"hello")
        sending = threading.Thread(target=connection.sendall, args=(payload,))
        started = time.monotonic()
        sending.start()
        received = bytearray()
        while len(received) < len(payload):
            received += connection.recv(1 << 20)
        took = time.monotonic() - started
        sending.join()
    assert bytes(received) == payload
    assert 2 * DELAY_MS / 1000 <= took < 2.0, took
