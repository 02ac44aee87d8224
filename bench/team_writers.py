"""Threads that keep publishing posts for one team, counting what was acknowledged and refused:
the write load ``move_team`` is measured under (``make bench S=move-team``, tests/tier4)."""

from __future__ import annotations

import threading
import time
from typing import Any


class PostWriters:
    """``with PostWriters(author, team, 3, body="…") as writers:`` publishes until the block ends."""

    def __init__(self, author: Any, team: Any, count: int, *, body: str) -> None:
        self.author, self.team, self.body = author, team, body
        self.acknowledged: list[str] = []
        self.refused = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write, args=(n,)) for n in range(count)]

    def __enter__(self) -> PostWriters:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _write(self, worker: int) -> None:
        from django.db import connections

        from app.platform.db.routing import primary
        from app.platform.sharding.moving import TeamMoving
        from app.posts.services import post_publish

        number = 0
        try:
            while not self._stop.is_set():
                title = f"{self.body} {worker}-{number}"
                try:
                    with primary():  # the membership check reads what was just written
                        post_publish(author=self.author, team=self.team, title=title, body=self.body)
                except TeamMoving:  # the move's write pause: a 503 a client would retry
                    with self._lock:
                        self.refused += 1
                    time.sleep(0.05)
                    continue
                with self._lock:
                    self.acknowledged.append(title)
                number += 1
        finally:
            for connection in connections.all():
                connection.close()
