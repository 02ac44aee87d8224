"""The cache's lookups on a connection of their own per thread, without redis-py's client path.

**Why.** Every cached page and value costs one ``MGET`` (``SharedCache._lookup``): it is the
hottest call in the product, and a cached page costs little else. Measured on this machine,
redis-py 8's client path around that command (checking a connection out of the pool and back,
the retry wrapper, inspecting the call's arguments, recording connection counts) took about
145 µs of CPU a call, against about 55 µs for sending the command and parsing its reply on a
connection already in hand: a sixth of a cached page's whole cost in its worker. So each thread
keeps one ``redis.Connection``, built by the alias's own pool (same address, database, timeouts,
credentials), and lookups go straight to it.

**What is kept from the client.** The timeouts are the pool's. A reply that fails half-way
(a timeout, a reset) closes the connection, so the next lookup cannot read the old reply. A
connection that was already open when the command failed with a connection error is tried once
more on a new one, as redis-py's default retry would: Redis restarted since it was opened, and
``MGET`` only reads. Errors are redis-py's own (``RedisError``), which the cache already treats as
"down for a while". A forked child opens its own connection instead of sharing its parent's socket.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from redis.connection import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError


class LookupConnection:
    """``mget`` on this thread's own connection, made by (not taken from) ``pool``."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._local = threading.local()

    def mget(self, keys: list[str]) -> list[bytes | None]:
        connection, fresh = self._connection()
        try:
            return self._send(connection, keys)
        except RedisConnectionError:
            if fresh:
                raise
        connection, _ = self._connection()  # the one that failed was closed: a new one
        return self._send(connection, keys)

    def close(self) -> None:
        """Close this thread's connection (tests, and a process about to exit)."""
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held[0] == os.getpid():
            held[1].disconnect()

    def _send(self, connection: Any, keys: list[str]) -> list[bytes | None]:
        try:
            connection.send_command("MGET", *keys)
            reply: list[bytes | None] = connection.read_response()
        except ResponseError:
            raise  # Redis answered: the connection is still in step
        except BaseException:
            self.close()  # a reply may still be on its way: never read it as the next one's
            raise
        return reply

    def _connection(self) -> tuple[Any, bool]:
        """This thread's connection, and whether it is new (not yet used for a command)."""
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1], False
        connection = self._pool.connection_class(**self._pool.connection_kwargs)
        self._local.held = (os.getpid(), connection)
        return connection, True
