"""Each process's page-view sender: the request hands its view over and goes on; a thread
pushes what has gathered to the Redis buffer (``app.analytics.buffer``) every ``SEND_SECONDS``.

A view then costs the request an append to a queue in memory (microseconds), and Redis one
pipelined command per batch instead of one round trip per view: on this machine the per-view
round trip, and the thread switches it forced on a busy gunicorn worker, were a fifth of an
API feed request. What this trades: a process killed outright loses the views it held, at
most ``SEND_SECONDS`` of them (a worker that exits normally sends them first); a queue that
grows past ``QUEUE_LIMIT`` because Redis is unreachable drops, and counts, the newest.
Analytics are the one thing this product may lose.
"""

from __future__ import annotations

import atexit
import collections
import logging
import os
import threading
import time

from app.analytics.buffer import Buffer
from app.analytics.recorders import View

logger = logging.getLogger(__name__)


class Sender:
    """A bounded in-memory queue of views and the daemon thread that empties it into ``buffer``."""

    def __init__(self, buffer: Buffer, *, interval_seconds: float, queue_limit: int) -> None:
        self.buffer = buffer
        self.interval_seconds = interval_seconds
        self.queue_limit = queue_limit
        self._queue: collections.deque[View] = collections.deque()
        self._sending = threading.Lock()
        self._owner_pid = 0  # the process whose thread runs; a forked child starts its own

    def add(self, view: View) -> None:
        """Queue ``view`` for the next send; never blocks, never raises."""
        if self._owner_pid != os.getpid():
            self._start()
        if len(self._queue) >= self.queue_limit:
            self.buffer.drop()
            return
        self._queue.append(view)

    def send_now(self) -> int:
        """Push everything queued so far, now, in this thread; returns how many reached Redis.
        (The thread does this every ``interval_seconds``; tests and process exit call it directly.)"""
        with self._sending:
            sent = 0
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), self.buffer.batch))]
                sent += self.buffer.push_many(batch)
            return sent

    def _start(self) -> None:
        self._owner_pid = os.getpid()
        self._queue.clear()  # a child forked with views in the queue: the parent sends those
        thread = threading.Thread(target=self._run, name="page-view-sender", daemon=True)
        thread.start()
        atexit.register(self.send_now)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval_seconds)
            try:
                self.send_now()
            except Exception:  # never let the thread die: views would pile up unsent
                logger.exception("page views: sending a batch failed")
