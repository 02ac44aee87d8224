"""Redis, the Celery broker (tier1 on)."""

from __future__ import annotations

import socket

from app.runner.units.kinds import Context, Daemon


class Redis(Daemon):
    """A private Redis for the Celery broker: ``noeviction``, because an evicted queue key is a
    lost job (Celery's Redis caveats), and an append-only file in ``var/redis``."""

    name = "redis"
    binary = "redis-server"
    package = "redis-server"
    infrastructure = True

    def ports(self, ctx: Context) -> list[int]:
        return [ctx.port("REDIS_PORT")]

    def command(self, ctx: Context) -> list[str]:
        folder = ctx.var_dir / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        return [
            "redis-server",
            "--port",
            str(ctx.port("REDIS_PORT")),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            # The append-only file, fsynced every second: a broker that crashes or restarts keeps
            # its queued jobs (at most the last second's are lost, and the outbox re-sends those).
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--maxmemory-policy",
            "noeviction",
            "--dir",
            str(folder),
        ]

    def ready(self, ctx: Context) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", ctx.port("REDIS_PORT")), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def address(self, ctx: Context) -> str:
        return f"redis://127.0.0.1:{ctx.port('REDIS_PORT')}"
