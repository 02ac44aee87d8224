"""The kinds of unit a tier's stack is made of.

A ``Daemon`` is a long-running process with a readiness probe; a ``Task`` is a one-shot
step (migrate, collectstatic, seeding) that must succeed before the next unit starts; a
``Group`` is several daemons of one kind started in order and stopped together. The
``Context`` says where a stack lives and what its processes are told.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from app.runner import processes
from app.runner.processes import RunnerError
from app.runner.system_packages import present

T = TypeVar("T")


@dataclass
class Context:
    """Where a stack lives and what its processes are told."""

    tier: str
    settings: ModuleType
    base_dir: Path
    var_dir: Path
    env: dict[str, str]
    python: str = field(default_factory=lambda: sys.executable)

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "logs"

    def port(self, name: str) -> int:
        return int(self.env[name])

    def bin(self, name: str) -> str:
        """A program from this virtualenv (gunicorn, celery), falling back to PATH."""
        local = Path(self.python).parent / name
        return str(local) if local.exists() else name


class Service:
    name = ""
    #: Infrastructure (databases, brokers) is what the test suite starts for a tier.
    infrastructure = False

    def start(self, ctx: Context) -> None:
        raise NotImplementedError

    def stop(self, ctx: Context) -> bool:
        return False

    def status(self, ctx: Context) -> str:
        return ""

    def address(self, ctx: Context) -> str:
        return ""


class Daemon(Service):
    """A background process: started once, probed until ready, stopped with SIGTERM."""

    #: The program that must be installed, and the Debian package that brings it.
    binary: str | None = None
    package: str | None = None
    ready_timeout = 30.0
    #: How to ask it to stop, and whether to signal its whole process group or only it.
    stop_signal = signal.SIGTERM
    stop_group = True
    #: Seconds it is given to exit after ``stop_signal``, before SIGKILL.
    stop_grace = 20.0
    #: Servers that refuse to run as root (PostgreSQL, PgBouncer) run as ``postgres`` when we are root.
    refuses_root = False
    #: App processes that should not run as root (Celery warns that a worker running pickled or
    #: injected code as root owns the machine) drop to the same account, when it can run our Python.
    drops_root = False

    def run_as(self, ctx: Context) -> str | None:
        user = processes.run_as_needed()
        if user is None or self.refuses_root:
            return user
        if self.drops_root:
            if processes.can_run_project(ctx.python, user, ctx.base_dir):
                return user
            _say_once(
                f"  (the workers run as root: {user} cannot run {Path(ctx.python).resolve()}; "
                "`rm -rf .venv && make install` rebuilds the virtualenv on /usr/bin/python3)"
            )
        return None

    def hand_over(self, ctx: Context, folder: Path, *files: Path) -> None:
        """Give the account it runs as (``postgres`` when we are root) a folder of its own and its files."""
        user = self.run_as(ctx)
        if user:
            processes.make_traversable(folder.parent, user)
            for path in [folder, *files]:
                shutil.chown(path, user, user)

    def hand_over_tree(self, ctx: Context, folder: Path) -> None:
        """Like ``hand_over``, for a folder and everything in it (files other processes made as root)."""
        self.hand_over(ctx, folder, *folder.rglob("*"))

    def command(self, ctx: Context) -> list[str]:
        raise NotImplementedError

    def requires(self, ctx: Context) -> dict[str, str]:
        """Other programs it runs (program → Debian package), beside its own ``binary``."""
        return {}

    def ready(self, ctx: Context) -> bool:
        raise NotImplementedError

    def pidfile(self, ctx: Context) -> Path:
        return ctx.run_dir / f"{self.name}.pid"

    def log(self, ctx: Context) -> Path:
        return ctx.log_dir / f"{self.name}.log"

    def ports(self, ctx: Context) -> list[int]:
        return []

    def start(self, ctx: Context) -> None:
        if processes.read_pid(self.pidfile(ctx)) is not None:
            return
        needed = {self.binary: self.package or "", **self.requires(ctx)} if self.binary else self.requires(ctx)
        for program, package in needed.items():
            if not present(program):
                raise RunnerError(f"{program} is not installed: `sudo apt-get install {package}` brings it.")
        for port in self.ports(ctx):
            if processes.port_open(port):
                raise RunnerError(
                    f"port {port} is already in use, so {self.name} cannot start there; "
                    f"stop whatever holds it or set another port in the environment."
                )
        self.prepare(ctx)
        pid = processes.spawn(
            self.command(ctx),
            log=self.log(ctx),
            pidfile=self.pidfile(ctx),
            env=self.environment(ctx),
            cwd=self.cwd(ctx),
            user=self.run_as(ctx),
        )
        processes.wait_until(
            lambda: self.ready(ctx), timeout=self.ready_timeout, what=self.name, pid=pid, log=self.log(ctx)
        )

        self.after_start(ctx)

    def environment(self, ctx: Context) -> dict[str, str]:
        """What the process is told: the stack's environment, unless it needs its own."""
        return ctx.env

    def cwd(self, ctx: Context) -> Path:
        return ctx.base_dir

    def prepare(self, ctx: Context) -> None:
        """Work before the first start (create a data folder, write a config file)."""

    def after_start(self, ctx: Context) -> None:
        """Work once it is ready (create a database)."""

    def stop(self, ctx: Context) -> bool:
        stopped = processes.terminate(
            self.pidfile(ctx), grace=self.stop_grace, sig=self.stop_signal, group=self.stop_group
        )
        if stopped:
            # A process SIGKILLed is reported gone (its main thread a zombie) a moment before its
            # other threads have exited and closed its sockets: a start at once would find them busy.
            processes.wait_closed(self.ports(ctx))
        return stopped

    def status(self, ctx: Context) -> str:
        pid = processes.read_pid(self.pidfile(ctx))
        if pid is None:
            return "stopped"
        return f"running (pid {pid})" + ("" if self.ready(ctx) else ", not ready")


class Task(Service):
    """A one-shot ``manage.py`` step that must succeed before the stack goes on."""

    arguments: list[str] = []

    def args(self, ctx: Context) -> list[str]:
        return self.arguments

    def start(self, ctx: Context) -> None:
        self.run(ctx, self.args(ctx))

    def run(self, ctx: Context, arguments: list[str]) -> None:
        log = ctx.log_dir / "setup.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        command = [ctx.python, str(ctx.base_dir / "manage.py"), *arguments]
        result = subprocess.run(command, env=ctx.env, cwd=ctx.base_dir, capture_output=True, text=True)
        with log.open("a") as out:
            out.write(f"$ manage.py {' '.join(arguments)}\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            raise RunnerError(f"`manage.py {' '.join(arguments)}` failed:\n{result.stdout}{result.stderr}")
        for line in result.stdout.splitlines():
            if line.startswith(("Seeded", "Demo login")):
                print(f"  {line}")

    def status(self, ctx: Context) -> str:
        return "one-shot"


class Group(Service):
    """Several daemons of one kind (app instances, workers), started in order and stopped together."""

    #: Whether the members may start side by side, each waited for until ready (no member needs
    #: another one up first). Most of a member's start is waiting for its process to be ready.
    start_together = False

    def members(self, ctx: Context) -> list[Daemon]:
        raise NotImplementedError

    def start(self, ctx: Context) -> None:
        members = self.members(ctx)
        if self.start_together:
            _at_once(lambda member: member.start(ctx), members)
            return
        for member in members:
            member.start(ctx)

    def stop(self, ctx: Context) -> bool:
        """Every member is asked at once: each takes a second or so to finish what it is doing
        and exit (a worker its tasks, an instance its requests), and they need not take turns."""
        return any(_at_once(lambda member: member.stop(ctx), self.members(ctx)))

    def status(self, ctx: Context) -> str:
        members = self.members(ctx)
        if len(members) == 1 and members[0].name == self.name:
            return members[0].status(ctx)
        return "; ".join(f"{m.name} {m.status(ctx)}" for m in members)

    def address(self, ctx: Context) -> str:
        return "; ".join(m.address(ctx) for m in self.members(ctx))


def _at_once(work: Callable[[Daemon], T], members: list[Daemon]) -> list[T]:
    """``work`` on every member, each in a thread of its own; the first error is raised once all are done."""
    if len(members) < 2:
        return [work(member) for member in members]
    with ThreadPoolExecutor(max_workers=len(members)) as pool:
        return list(pool.map(work, members))


class ReadyOnLogLine(Daemon):
    """A process that says in its log when it is ready (Celery's " ready.", the relay's banner)."""

    marker = b""
    _log_offset = 0

    def prepare(self, ctx: Context) -> None:
        log = self.log(ctx)
        self._log_offset = log.stat().st_size if log.exists() else 0

    def ready(self, ctx: Context) -> bool:
        log = self.log(ctx)
        if not log.exists():
            return False
        with log.open("rb") as handle:
            handle.seek(self._log_offset)
            return self.marker in handle.read()

    def status(self, ctx: Context) -> str:
        pid = processes.read_pid(self.pidfile(ctx))
        return "stopped" if pid is None else f"running (pid {pid})"


_said: set[str] = set()


def _say_once(message: str) -> None:
    if message not in _said:
        _said.add(message)
        print(message, flush=True)
