"""Start a tier's real services through the project's runner, on free ports in a fresh folder."""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.runner.stack import Stack
from config.env import DEFAULT_PORTS


def free_port() -> int:
    """A free port below the ephemeral range (see config/env.py for why)."""
    for _ in range(200):
        port = random.randint(20000, 30000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 30000")


@contextmanager
def running_stack(tier: str, var_dir: Path, **extra_env: str) -> Iterator[Stack]:
    environ = dict(os.environ, MILESTONES_VAR=str(var_dir), **extra_env)
    for name in DEFAULT_PORTS:
        environ[name] = str(free_port())
    stack = Stack(tier, environ=environ)
    stack.up()
    try:
        yield stack
    finally:
        stack.down(quiet=True)
