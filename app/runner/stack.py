"""A tier's services as one stack: up in order, down in reverse, and what is running now."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from app.runner import tiers
from app.runner.processes import RunnerError, free_port
from app.runner.registry import SERVICES
from app.runner.units.kinds import Context, Daemon, Group, Service
from config import env as project_env

U = TypeVar("U", bound=Service)


class Stack:
    def __init__(self, tier: str, *, environ: dict[str, str] | None = None, settings_module: str | None = None) -> None:
        """``settings_module``: run the tier under a variant of its settings (a module that imports
        the tier's and changes one thing), as a benchmark does to measure that one thing."""
        environ = dict(os.environ if environ is None else environ)
        settings_module = settings_module or f"config.settings.{tier}"
        try:
            settings = importlib.import_module(settings_module)
        except ModuleNotFoundError as exc:
            if exc.name != settings_module:
                raise
            raise RunnerError(tiers.unknown(tier)) from exc
        var_dir = Path(environ.get("MILESTONES_VAR", project_env.VAR_DIR)).resolve()
        environ.setdefault("MILESTONES_ENV", "local")  # a local stack, unless the caller says otherwise
        environ.update(
            TIER=tier,
            DJANGO_SETTINGS_MODULE=settings_module,
            MILESTONES_VAR=str(var_dir),
            PYTHONUNBUFFERED="1",
        )
        for name, default in project_env.DEFAULT_PORTS.items():
            environ.setdefault(name, str(default))
        # Shared by every stack started from here (each test's, each benchmark's): collectstatic
        # reuses the compressed copies an earlier one made (app.platform.http.static_compression).
        environ.setdefault("STATIC_COMPRESSION_CACHE", str(project_env.VAR_DIR / "cache" / "static-compression"))
        self.ctx = Context(tier=tier, settings=settings, base_dir=project_env.BASE_DIR, var_dir=var_dir, env=environ)
        unknown = [name for name in settings.RUNNER_SERVICES if name not in SERVICES]
        if unknown:
            raise RunnerError(f"{tier} names services the runner does not know: {', '.join(unknown)}")
        self.services: list[Service] = [SERVICES[name]() for name in settings.RUNNER_SERVICES]

    @property
    def state_file(self) -> Path:
        return self.ctx.run_dir / "stack.json"

    def up(self, *, infrastructure_only: bool = False, only: set[str] | None = None) -> None:
        """Start every service in order, each ready before the next; on failure stop what started.

        ``infrastructure_only``: just the databases and brokers (what the test suite needs);
        ``only``: just the services with these names.
        """
        chosen = [
            service
            for service in self.services
            if not (infrastructure_only and not service.infrastructure) and (only is None or service.name in only)
        ]
        running = running_tier(self.ctx.var_dir)
        if running and running != self.ctx.tier:
            print(f"Stopping {running} first …")
            Stack(running, environ={**self.ctx.env, **running_ports(self.ctx.var_dir)}).down()
        self.ctx.run_dir.mkdir(parents=True, exist_ok=True)
        # The tier and the ports it was started on, so `make ps`, `make logs`, `make down` and
        # `make deploy` in another shell (without WEB_PORT=… and friends) find this stack.
        ports = {name: self.ctx.env[name] for name in project_env.DEFAULT_PORTS}
        self.state_file.write_text(json.dumps({"tier": self.ctx.tier, "ports": ports}))
        for service in chosen:
            print(f"  starting {service.name} …", flush=True)
            try:
                service.start(self.ctx)
            except BaseException:
                self.down(quiet=True)
                raise

    def down(self, *, quiet: bool = False) -> None:
        for service in reversed(self.services):
            if service.stop(self.ctx) and not quiet:
                print(f"  stopped {service.name}")
        self.state_file.unlink(missing_ok=True)

    def service(self, kind: str | type[Service]) -> Service | None:
        """This tier's service with that name, or of that class (``None`` where the tier has none)."""
        for service in self.services:
            if service.name == kind if isinstance(kind, str) else isinstance(service, kind):
                return service
        return None

    def unit(self, kind: type[U]) -> U:
        """This tier's unit of that class; an error naming the tier where it has none."""
        found = self.service(kind)
        if not isinstance(found, kind):
            raise RunnerError(f"{self.ctx.tier} runs no {kind.__name__}")
        return found

    def programs(self, services: list[Service] | None = None) -> dict[str, str]:
        """Program → Debian package for the servers among ``services`` (default: all of this tier's).

        ``app.runner.system_packages`` installs them before the virtualenv exists, from a table a
        test keeps equal to this; a server still missing when a stack starts is one clear error
        from ``Daemon.start``.
        """
        found = {}
        for daemon in self.daemons(services):
            if daemon.binary and daemon.package:
                found[daemon.binary] = daemon.package
            found.update(daemon.requires(self.ctx))
        return found

    def daemons(self, services: list[Service] | None = None) -> list[Daemon]:
        """Every process among ``services`` (default: all of this tier's), groups opened up (a
        group's members are daemons): what a check, a sampler or a drill that kills a stack walks."""
        found: list[Daemon] = []
        for service in self.services if services is None else services:
            if isinstance(service, Group):
                found += service.members(self.ctx)
            elif isinstance(service, Daemon):
                found.append(service)
        return found

    def status(self) -> list[tuple[str, str, str]]:
        return [(s.name, s.status(self.ctx), s.address(self.ctx)) for s in self.services]

    def url(self) -> str:
        return f"http://127.0.0.1:{self.ctx.port('WEB_PORT')}/"

    def https_url(self) -> str | None:
        """Where the tier's load balancer terminates TLS (``None`` without one)."""
        return f"https://127.0.0.1:{self.ctx.port('TLS_PORT')}/" if self.service("loadbalancer") else None


def _state(var_dir: Path) -> dict:
    try:
        state = json.loads((var_dir / "run" / "stack.json").read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def running_tier(var_dir: Path) -> str | None:
    """The tier `make up` last started from this folder, if it has not been stopped."""
    return _state(var_dir).get("tier")


def running_ports(var_dir: Path) -> dict[str, str]:
    """The ports that stack was started on (``WEB_PORT`` → ``"8000"``, …)."""
    ports = _state(var_dir).get("ports", {})
    return {str(name): str(port) for name, port in ports.items()} if isinstance(ports, dict) else {}


#: Ports kept from these on, in a private stack: app instances from WEB_INSTANCE_PORT, the
#: object store's servers from OBJECT_STORE_PORT (app.runner.units.object_store), and tier4's
#: shards' servers and poolers from SHARD_PORT (up to four shards), and the failover block (etcd,
#: HAProxy, the Patroni members) from FAILOVER_PORT, and the second region's block from REGION_PORT.
PORT_RANGES = {
    "WEB_INSTANCE_PORT": 8,
    "OBJECT_STORE_PORT": 8,
    "EXPORTER_PORT": 24,
    "SHARD_PORT": 8,
    "FAILOVER_PORT": project_env.FAILOVER_WIDTH,
    "REGION_PORT": project_env.REGION_WIDTH,
}


@contextmanager
def private_stack(
    tier: str, var_dir: Path, *, only: set[str] | None = None, settings_module: str | None = None, **extra_env: str
) -> Iterator[Stack]:
    """``tier`` up in its own folder on free ports, for a test or a benchmark; stopped on exit.

    The folder must be one the ``postgres`` account can reach when we run as root
    (so under the checkout, not a private temporary folder).
    """
    environ = dict(os.environ, MILESTONES_VAR=str(var_dir), **extra_env)
    # Each port distinct from the others, and the ranges after WEB_INSTANCE_PORT (app instances
    # 2…N) and OBJECT_STORE_PORT clear of them too: two random picks can meet.
    taken = {int(extra_env[name]) for name in project_env.DEFAULT_PORTS if name in extra_env}
    for name in project_env.DEFAULT_PORTS:
        if name in extra_env:  # a port the caller chose (to name it in another variable) is kept
            continue
        width = PORT_RANGES.get(name, 1)
        port = free_port(width=width)
        while taken.intersection(range(port, port + width)):
            port = free_port(width=width)
        taken.update(range(port, port + width))
        environ[name] = str(port)
    stack = Stack(tier, environ=environ, settings_module=settings_module)
    stack.up(only=only)
    try:
        yield stack
    finally:
        stack.down(quiet=True)
