"""The services a tier can ask for, by name (``RUNNER_SERVICES`` in its settings).

A ``Daemon`` is a long-running process with a readiness probe; a ``Task`` is a
one-shot step (migrate, collectstatic, seeding) that must succeed before the next
service starts. Later tiers add PostgreSQL, Redis, workers and a load balancer here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from app.runner import processes
from app.runner.processes import RunnerError


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

    def command(self, ctx: Context) -> list[str]:
        raise NotImplementedError

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
        if self.binary and shutil.which(self.binary) is None and not Path(self.binary).exists():
            raise RunnerError(f"{self.binary} is not installed: `sudo apt-get install {self.package}` brings it.")
        for port in self.ports(ctx):
            if processes.port_open(port):
                raise RunnerError(
                    f"port {port} is already in use, so {self.name} cannot start there; "
                    f"stop whatever holds it or set another port in the environment."
                )
        pid = processes.spawn(
            self.command(ctx), log=self.log(ctx), pidfile=self.pidfile(ctx), env=ctx.env, cwd=ctx.base_dir
        )
        processes.wait_until(
            lambda: self.ready(ctx), timeout=self.ready_timeout, what=self.name, pid=pid, log=self.log(ctx)
        )

    def stop(self, ctx: Context) -> bool:
        return processes.terminate(self.pidfile(ctx))

    def status(self, ctx: Context) -> str:
        pid = processes.read_pid(self.pidfile(ctx))
        if pid is None:
            return "stopped"
        return f"running (pid {pid})" + ("" if self.ready(ctx) else ", not ready")


class Task(Service):
    """A one-shot ``manage.py`` step that must succeed before the stack goes on."""

    arguments: list[str] = []

    def start(self, ctx: Context) -> None:
        log = ctx.log_dir / "setup.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        command = [ctx.python, str(ctx.base_dir / "manage.py"), *self.arguments]
        result = subprocess.run(command, env=ctx.env, cwd=ctx.base_dir, capture_output=True, text=True)
        with log.open("a") as out:
            out.write(f"$ manage.py {' '.join(self.arguments)}\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            raise RunnerError(f"`manage.py {' '.join(self.arguments)}` failed:\n{result.stdout}{result.stderr}")
        for line in result.stdout.splitlines():
            if line.startswith(("Seeded", "Demo login")):
                print(f"  {line}")

    def status(self, ctx: Context) -> str:
        return "one-shot"


class Migrate(Task):
    name = "migrate"
    arguments = ["migrate", "--noinput"]


class CollectStatic(Task):
    name = "collectstatic"
    arguments = ["collectstatic", "--noinput", "-v0"]


class SeedDemo(Task):
    name = "seed-demo"
    arguments = ["seed", "--demo", "--if-empty"]


class SmtpSink(Daemon):
    """A local SMTP server that stores every message as a file, after an optional delay.

    The delay (``SMTP_DELAY_MS``) stands in for a real provider's latency, so the
    cost of sending mail inside a request shows up in development and benchmarks.
    """

    name = "smtp"

    def ports(self, ctx: Context) -> list[int]:
        return [ctx.port("SMTP_PORT")]

    def command(self, ctx: Context) -> list[str]:
        return [
            ctx.python,
            "-m",
            "app.runner.smtp_sink",
            "--port",
            str(ctx.port("SMTP_PORT")),
            "--maildir",
            str(ctx.var_dir / "mail"),
            "--delay-ms",
            ctx.env.get("SMTP_DELAY_MS", "0"),
        ]

    def ready(self, ctx: Context) -> bool:
        return processes.port_open(ctx.port("SMTP_PORT"))

    def address(self, ctx: Context) -> str:
        return f"smtp://127.0.0.1:{ctx.port('SMTP_PORT')} → {ctx.var_dir / 'mail'}"


class Web(Daemon):
    """gunicorn serving ``config.wsgi``, sized by the tier's ``WEB_SERVER``."""

    name = "web"

    def ports(self, ctx: Context) -> list[int]:
        return [ctx.port("WEB_PORT")]

    def command(self, ctx: Context) -> list[str]:
        sizing = ctx.settings.WEB_SERVER
        command = [
            ctx.bin("gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{ctx.port('WEB_PORT')}",
            "--workers",
            str(sizing["workers"]),
            "--threads",
            str(sizing["threads"]),
            "--graceful-timeout",
            "20",
            "--timeout",
            "60",
            "--no-control-socket",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
        ]
        return command

    def ready(self, ctx: Context) -> bool:
        return processes.http_ok(f"http://127.0.0.1:{ctx.port('WEB_PORT')}/ping")

    def address(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{ctx.port('WEB_PORT')}/"


#: Every service a tier may name in ``RUNNER_SERVICES``.
SERVICES: dict[str, type[Service]] = {cls.name: cls for cls in (SmtpSink, Migrate, CollectStatic, SeedDemo, Web)}
