"""Background processes with pid files and logs under ``VAR_DIR``, and readiness probes."""

from __future__ import annotations

import contextlib
import functools
import os
import pwd
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


class RunnerError(RuntimeError):
    """Something the user must fix (a missing binary, a busy port); the message says what."""


def spawn(
    command: Sequence[str], *, log: Path, pidfile: Path, env: dict[str, str], cwd: Path, user: str | None = None
) -> int:
    """Start ``command`` in its own session (so stopping it stops its children too); returns its pid.

    ``user``: run it as that account (PostgreSQL and PgBouncer refuse to run as root).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    if user:
        env = {**env, "HOME": pwd.getpwnam(user).pw_dir}
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
            **as_account(user),
        )
    pidfile.write_text(str(process.pid))
    return process.pid


def read_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if alive(pid) else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes; reap it if it is our child.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    status = Path(f"/proc/{pid}/stat")
    if status.exists():
        with contextlib.suppress(OSError, IndexError):
            return status.read_text().split(")")[-1].split()[0] != "Z"
    return True


def terminate(pidfile: Path, *, grace: float = 20.0, sig: signal.Signals = signal.SIGTERM, group: bool = True) -> bool:
    """Send ``sig`` (to the whole process group unless ``group`` is false), wait up to ``grace``
    seconds, then SIGKILL the group. True if it was running."""
    pid = read_pid(pidfile)
    pidfile.unlink(missing_ok=True)
    if pid is None:
        return False
    if group:
        _signal_group(pid, sig)
    else:
        os.kill(pid, sig)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.05)
    if alive(pid):
        _signal_group(pid, signal.SIGKILL)
        while alive(pid):
            time.sleep(0.05)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(os.getpgid(pid), sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


#: Where ``free_port`` looks, unless ``MILESTONES_FREE_PORTS`` ("low-high") says otherwise.
FREE_PORTS = (20000, 30000)


def free_port(width: int = 1) -> int:
    """A free port (and the ``width - 1`` after it) below the kernel's ephemeral range.

    Below that range a TIME_WAIT socket cannot hold it; every port of the range is tried,
    because a server that takes several (the object store takes eight) fails on any of them.
    A port is free when it is picked, not reserved: processes that start stacks at the same
    time are given ranges of their own (``MILESTONES_FREE_PORTS``), or two could pick one port.
    """
    import random

    low, high = FREE_PORTS
    if os.environ.get("MILESTONES_FREE_PORTS"):
        low, high = (int(bound) for bound in os.environ["MILESTONES_FREE_PORTS"].split("-", 1))

    for _ in range(200):
        port = random.randint(low, high - width + 1)  # noqa: S311 - spreading ports, not a secret
        if all(_bindable(candidate) for candidate in range(port, port + width)):
            return port
    raise RunnerError(f"no {width} free ports in a row between {low} and {high}")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def as_account(user: str | None) -> dict[str, Any]:
    """``subprocess`` keyword arguments that run a child as ``user`` (its own group, none of ours),
    or as ourselves when ``user`` is None."""
    return {"user": user, "group": user, "extra_groups": [] if user else None}


def run_as_needed() -> str | None:
    """The account to run database servers as: ``postgres`` when we are root, else ourselves."""
    return "postgres" if os.geteuid() == 0 else None


@functools.cache
def can_run_project(python: str, user: str, base_dir: Path) -> bool:
    """Whether ``user`` can start ``python`` and import the project, so an app process can drop root.

    A virtualenv built on an interpreter under /root (pyenv's, say) is out of other accounts'
    reach; the Makefile builds it on /usr/bin/python3 when root, but an older one may remain.
    """
    open_to(base_dir, user)
    try:
        result = subprocess.run(
            [python, "-c", "import django, celery, app"],
            cwd=base_dir,
            **as_account(user),
            env={"PATH": "/usr/bin:/bin", "HOME": pwd.getpwnam(user).pw_dir},
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def open_to(folder: Path, user: str) -> None:
    """Let ``user`` read ``folder`` (a checkout: Python lists the folders it imports from) and reach it."""
    make_traversable(folder.parent, user)
    info = folder.stat()
    wanted = stat.S_IROTH | stat.S_IXOTH
    if info.st_mode & wanted != wanted:
        folder.chmod(info.st_mode | wanted)
        print(f"  (made {folder} readable for {user}: the workers run as {user})", flush=True)


def make_traversable(folder: Path, user: str) -> None:
    """Let ``user`` reach ``folder``: add search (x) permission for others on each ancestor that lacks it.

    Only needed when we are root and run a server as ``user``; a checkout under a private
    folder (``mktemp -d`` makes them 0700) is otherwise out of its reach. Search permission
    lets it pass through a folder, not list it.
    """
    uid = pwd.getpwnam(user).pw_uid
    for ancestor in [folder, *folder.parents]:
        info = ancestor.stat()
        if info.st_uid != uid and not info.st_mode & stat.S_IXOTH:
            ancestor.chmod(info.st_mode | stat.S_IXOTH)
            print(f"  (made {ancestor} passable for {user}: it runs the database server)", flush=True)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_closed(ports: list[int], timeout: float = 10.0) -> bool:
    """Wait until nothing listens on ``ports`` any more: True, or False once ``timeout`` has passed
    (a start on them then says plainly which port is busy)."""
    deadline = time.monotonic() + timeout
    while any(port_open(port) for port in ports):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URLs built by the runner
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until(
    probe: Callable[[], bool], *, timeout: float, what: str, pid: int | None = None, log: Path | None = None
) -> None:
    """Poll ``probe`` until it is true; fail early if the process died, showing its log's tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        if pid is not None and not alive(pid):
            raise RunnerError(f"{what} exited while starting.{_tail(log)}")
        time.sleep(0.1)
    raise RunnerError(f"{what} was not ready after {timeout:.0f}s.{_tail(log)}")


def _tail(log: Path | None, lines: int = 15) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return f"\n--- last lines of {log} ---\n" + "\n".join(text)
