"""Stacks for benchmarks: each in a fresh folder under var/bench, on free ports, stopped afterwards."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.runner.stack import Stack, private_stack
from config.env import VAR_DIR


@contextmanager
def bench_stack(
    tier: str, name: str, *, only: set[str] | None = None, settings_module: str | None = None, **env: str
) -> Iterator[Stack]:
    """``tier`` in a fresh ``var/bench/<name>`` on free ports (``only``: just those services;
    ``settings_module``: a variant of the tier's settings, for a before/after comparison)."""
    folder = VAR_DIR / "bench" / name
    shutil.rmtree(folder, ignore_errors=True)
    with private_stack(tier, folder, only=only, settings_module=settings_module, **env) as stack:
        yield stack


def probe(stack: Stack, *args: str) -> Any:
    """Run ``bench.probe`` inside Django with the stack's settings and addresses."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.probe", *args],
        env=stack.ctx.env,
        cwd=stack.ctx.base_dir,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.probe {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def token_for(stack: Stack, username: str = "demo", password: str = "demo12345") -> str:  # noqa: S107 - the demo login
    import httpx

    response = httpx.post(
        stack.url() + "api/v1/auth/token", json={"username": username, "password": password}, timeout=30
    )
    response.raise_for_status()
    return response.json()["token"]


def session_cookie(stack: Stack, username: str = "demo", password: str = "demo12345") -> str:  # noqa: S107 - the demo login
    """A ``Cookie`` header value for a signed-in session, logged in through the log-in form."""
    import re

    import httpx

    with httpx.Client(base_url=stack.url(), timeout=30) as client:
        page = client.get("accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the log-in page"
        answer = client.post(
            "accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": stack.url() + "accounts/login/"},
        )
        assert answer.status_code == 302, f"log-in failed: {answer.status_code}"
        return "; ".join(f"{name}={client.cookies[name]}" for name in ("csrftoken", "sessionid"))
