"""Redis: the Celery broker (tier1 on) and, from tier3, a second one for the application cache."""

from __future__ import annotations

import socket

from app.runner.units.kinds import Context, Daemon


class Redis(Daemon):
    """A private Redis for the Celery broker: ``noeviction``, because an evicted queue key is a
    lost job (Celery's Redis caveats), and an append-only file in ``var/redis``. From tier3 it
    also keeps the sessions and the rate limits' counters, for the same two reasons: a session
    must never be evicted to make room, and it must survive a restart."""

    name = "redis"
    binary = "redis-server"
    package = "redis-server"
    infrastructure = True
    port_name = "REDIS_PORT"

    def port(self, ctx: Context) -> int:
        return ctx.port(self.port_name)

    def ports(self, ctx: Context) -> list[int]:
        return [self.port(ctx)]

    def policy(self) -> list[str]:
        """What it keeps and what it may throw away."""
        return [
            # The append-only file, fsynced every second: a broker that crashes or restarts keeps
            # its queued jobs (at most the last second's are lost, and the outbox re-sends those).
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--maxmemory-policy",
            "noeviction",
        ]

    def command(self, ctx: Context) -> list[str]:
        folder = ctx.var_dir / self.name
        folder.mkdir(parents=True, exist_ok=True)
        return [
            "redis-server",
            "--port",
            str(self.port(ctx)),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            *self.policy(),
            "--dir",
            str(folder),
        ]

    def ready(self, ctx: Context) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port(ctx)), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def address(self, ctx: Context) -> str:
        return f"redis://127.0.0.1:{self.port(ctx)}"


class CacheRedis(Redis):
    """tier3's application cache, apart from the broker: a bounded memory that forgets the least
    recently used keys when full (``allkeys-lru``) and keeps nothing on disk. Every entry can be
    computed again, so losing them all costs time, never data; the broker's ``noeviction`` would
    instead refuse writes when full."""

    name = "cache-redis"
    port_name = "CACHE_REDIS_PORT"
    #: The most memory the cache may hold before it evicts (tier3's settings say why this size).
    maxmemory = "256mb"

    def policy(self) -> list[str]:
        return ["--appendonly", "no", "--maxmemory", self.maxmemory, "--maxmemory-policy", "allkeys-lru"]
