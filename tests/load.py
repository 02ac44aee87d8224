"""A small steady load for tests that change a running stack under traffic (a rolling deploy)."""

from __future__ import annotations

import threading

import httpx


class SteadyLoad:
    """Two clients requesting the feed back to back until stopped; every answer is recorded."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.statuses: list[int | str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(2)]

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                try:
                    self.statuses.append(client.get(self.url).status_code)
                except httpx.TransportError as exc:
                    self.statuses.append(type(exc).__name__)

    def __enter__(self) -> SteadyLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
