"""A background thread that samples something during a load (connection counts, replication lag)."""

from __future__ import annotations

import threading


class Sampler:
    """``start()`` before the load, ``stop()`` after it; subclasses loop in ``sample()`` until ``stopping``."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.sample, daemon=True)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        raise NotImplementedError
