"""A tier's compose profile run under podman-compose: ``make up|down|ps|logs|deploy RUNTIME=containers``.

``up`` builds the profile's images (``podman.py``), runs ``podman-compose --profile TIER up -d``
on docker-compose.yml, the same file Docker users run, and waits until every container that
has a health check passes it and the published port answers ``/readyz``. podman runs health
checks only through systemd timers, which a container host without systemd (this one, CI) does
not have, and podman-compose then skips ``depends_on: condition: service_healthy``: so this
module runs each check itself (``podman healthcheck run``), and the app's entrypoint waits for
its database (``manage.py await_database``) instead of relying on the start order.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from app.runner import processes, tiers, tls
from app.runner.containers.podman import Image, Podman
from app.runner.processes import RunnerError
from app.runner.units.loadbalancer import AdminSocket
from config import env as project_env

COMPOSE_FILE = project_env.BASE_DIR / "docker-compose.yml"
PROJECT = "milestones"
#: How long ``up`` waits for the profile to be healthy: a container without a health check counts
#: once it runs, a one-shot job (``migrate-…``) once it exited 0.
HEALTH_TIMEOUT = 300.0
#: The settings every compose service's host side reads (docker-compose.yml's ``${…}``).
FORWARDED = ("WEB_PORT", "TLS_PORT", "OBJECT_STORE_PORT")
STATE = "containers.json"


class ComposeStack:
    """One tier's profile of docker-compose.yml, as a project of containers under podman."""

    def __init__(self, tier: str, *, environ: dict[str, str] | None = None, project: str = PROJECT) -> None:
        self.environ = dict(os.environ if environ is None else environ)
        self.var_dir = Path(self.environ.get("MILESTONES_VAR", project_env.VAR_DIR)).resolve()
        self.tier = tier
        self.project = project
        self.podman = Podman(self.var_dir, project_env.BASE_DIR, self.environ)
        self.file = yaml.safe_load(COMPOSE_FILE.read_text())
        self.services = {
            name: service for name, service in self.file["services"].items() if tier in service.get("profiles", [])
        }
        if not self.services:
            raise RunnerError(tiers.NOT_IN_CONTAINERS.get(tier, f"docker-compose.yml has no profile {tier!r}"))

    # What the profile holds ----------------------------------------------------------------

    def port(self, name: str) -> int:
        return int(self.environ.get(name, project_env.DEFAULT_PORTS[name]))

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port('WEB_PORT')}/"

    def https_url(self) -> str | None:
        return f"https://127.0.0.1:{self.port('TLS_PORT')}/" if self.balancer else None

    def images(self, base: str) -> list[Image]:
        """The images the profile builds, each once (services may share one, as the app's do)."""
        found: dict[str, Image] = {}
        for service in self.services.values():
            if "build" in service:
                build = service["build"]
                image = Image(service["image"], build.get("dockerfile", "Dockerfile"), base, build.get("context", "."))
                found.setdefault(service["image"], image)
        return list(found.values())

    @property
    def balancer(self) -> str | None:
        """The profile's load balancer service (``loadbalancer``, ``loadbalancer-tier3``), if it has one."""
        return next((name for name in self.services if name.startswith("loadbalancer")), None)

    def instances(self) -> list[str]:
        """The app instances behind the load balancer (its servers, by service name: ``web-1``, ``web-tier3-1``)."""
        if not self.balancer:
            return []
        return [name for name in self.services if re.fullmatch(r"web(-tier\d+)?-\d+", name)]

    @property
    def tls_dir(self) -> Path:
        return self.var_dir / "tls"

    @property
    def admin_dir(self) -> Path:
        """Mounted into the load balancer's container: its admin socket, reachable from here."""
        return self.var_dir / "run" / "loadbalancer"

    # Running podman-compose ------------------------------------------------------------------

    def compose_env(self) -> dict[str, str]:
        env = self.podman.env()
        for name in FORWARDED:
            env[name] = str(self.port(name))
        env.update(TLS_DIR=str(self.tls_dir), LOAD_BALANCER_ADMIN=str(self.admin_dir))
        return env

    def compose(self, *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
        command = [
            str(Path(sys.executable).with_name("podman-compose")),
            "--file",
            str(COMPOSE_FILE),
            "--project-name",
            self.project,
            "--profile",
            self.tier,
            *args,
        ]
        return subprocess.run(
            command,
            env=self.compose_env(),
            cwd=project_env.BASE_DIR,
            text=True,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if capture else None,
        )

    # up / down -----------------------------------------------------------------------------

    def up(self, *, say: Callable[[str], None] = print) -> None:
        """Build, start, wait until healthy; on failure, the failing container's log and a stop."""
        base = self.podman.base_image()
        self.podman.build(self.images(base))
        if self.balancer:
            tls.ensure(self.tls_dir)
            self.admin_dir.mkdir(parents=True, exist_ok=True)
        self.save_state()
        say(f"  podman-compose --profile {self.tier} up -d …")
        started = time.monotonic()
        try:
            # --no-deps: podman 4.3 cannot start a chain of `--requires` containers (podman-compose's
            # way of depends_on); the services start in depends_on order all the same, and the
            # app's entrypoint waits for what it needs.
            result = self.compose("up", "--detach", "--no-deps", capture=True)
            if result.returncode != 0:
                raise RunnerError(f"podman-compose up failed:\n{result.stdout.strip()[-2000:]}")
            self.wait_healthy()
        except BaseException:
            self.down(quiet=True)
            raise
        say(f"  healthy in {time.monotonic() - started:.0f}s")

    def down(self, *, volumes: bool = False, quiet: bool = False) -> None:
        """Stop and remove the containers (and, with ``volumes``, their data)."""
        # podman-compose stops every container at once, then removes them one by one: a worker then
        # waits out its whole grace period for a broker that is stopping too. Here the containers
        # go in waves, each once whatever depends on it has gone, side by side within a wave, each
        # after its own stop_grace_period; compose is left the network and the volumes.
        containers = self.containers()
        for wave in self.stop_waves():
            by_grace: dict[int, list[str]] = {}
            for row in containers:
                service = row.get("Labels", {}).get("com.docker.compose.service", "")
                if service in wave:
                    by_grace.setdefault(self.stop_grace(service), []).append(row["Names"][0])
            with ThreadPoolExecutor(max_workers=max(len(by_grace), 1)) as pool:
                removals = [
                    pool.submit(self.podman.run, "rm", "--force", "--time", str(grace), *names, check=False)
                    for grace, names in by_grace.items()
                ]
                for removal in removals:
                    removal.result()
        args = ["down", "--timeout", "20", *(["--volumes"] if volumes else [])]
        result = self.compose(*args, capture=True)
        if result.returncode != 0 and not quiet:
            raise RunnerError(f"podman-compose down failed:\n{result.stdout.strip()[-2000:]}")
        self.state_file.unlink(missing_ok=True)

    def stop_waves(self) -> list[set[str]]:
        """The profile's services in the order they stop: first those nothing depends on (the load
        balancer, the workers), then those only the first depended on, and so on to the databases."""
        left = set(self.services)
        waves = []
        while left:
            needed = {dependency for name in left for dependency in self.services[name].get("depends_on", {})}
            wave = (left - needed) or left  # a cycle (compose refuses one) would stop all at once
            waves.append(wave)
            left -= wave
        return waves

    def stop_grace(self, service: str) -> int:
        """Seconds between SIGTERM and SIGKILL for the service (its ``stop_grace_period``, else 10)."""
        period = str(self.services.get(service, {}).get("stop_grace_period", "10s"))
        return int(period.removesuffix("s"))

    @property
    def state_file(self) -> Path:
        return self.var_dir / "run" / STATE

    def save_state(self) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        ports = {name: str(self.port(name)) for name in FORWARDED}
        self.state_file.write_text(json.dumps({"tier": self.tier, "project": self.project, "ports": ports}))

    # Health ----------------------------------------------------------------------------------

    def containers(self) -> list[dict[str, Any]]:
        """The project's containers (running or not), as ``podman ps --format json`` rows."""
        label = f"label=io.podman.compose.project={self.project}"
        out = self.podman.run("ps", "--all", "--format", "json", "--filter", label)
        return json.loads(out or "[]")

    def container(self, service: str) -> str:
        for row in self.containers():
            if row.get("Labels", {}).get("com.docker.compose.service") == service:
                return str(row["Names"][0])
        raise RunnerError(f"no container runs the service {service!r}")

    def healthy(self, name: str) -> bool:
        """Runs the container's health check now: podman exits 0 healthy, 1 unhealthy, 125 without one."""
        result = subprocess.run(["podman", "healthcheck", "run", name], env=self.podman.env(), capture_output=True)
        return result.returncode == 0 or b"no defined healthcheck" in result.stderr

    def wait_healthy(self, *, timeout: float = HEALTH_TIMEOUT) -> None:
        """Until every container passes its health check (run here: podman cannot schedule them
        without systemd), every one-shot job has exited 0, the published port answers ``/readyz``
        and, where there is one, the load balancer sees every instance up."""
        deadline = time.monotonic() + timeout
        passed: set[str] = set()
        while True:
            rows = self.containers()
            waiting = []
            for row in rows:
                name, service = row["Names"][0], row.get("Labels", {}).get("com.docker.compose.service", "")
                if service.startswith("migrate"):  # the one-shot job: done once it exited 0
                    if row["State"] == "running" or row["State"] == "created":
                        waiting.append(service)
                    elif row.get("ExitCode") != 0:
                        raise RunnerError(f"{service} failed (exit {row.get('ExitCode')}):\n{self.tail(name)}")
                    continue
                if row["State"] != "running":
                    raise RunnerError(f"{service} stopped (exit {row.get('ExitCode')}):\n{self.tail(name)}")
                if name not in passed:
                    if self.healthy(name):
                        passed.add(name)
                    else:
                        waiting.append(service)
            if rows and not waiting and processes.http_ok(f"{self.url()}readyz") and self.pool_up():
                return
            if time.monotonic() > deadline:
                stuck = waiting or ["the published port's /readyz, and every instance up in the load balancer"]
                logs = "\n".join(self.tail(self.container(s)) for s in waiting[:2])
                raise RunnerError(f"not healthy after {timeout:.0f}s: {', '.join(stuck)}\n{logs}")
            time.sleep(1)

    def log(self, name: str, lines: int = 20) -> str:
        return self.podman.logs(name, lines)

    def pool_up(self) -> bool:
        """Where a load balancer fronts the instances: it sees every one of them up."""
        if not self.instances():
            return True
        try:
            servers = self.pool().servers()
        except OSError:  # its admin socket is not there yet
            return False
        return sorted(servers) == sorted(self.instances()) and all(row["status"] == "UP" for row in servers.values())

    def tail(self, name: str, lines: int = 20) -> str:
        return f"--- last lines of {name} ---\n{self.log(name, lines)}"

    # ps / logs / deploy ------------------------------------------------------------------------

    def status(self) -> list[tuple[str, str, str]]:
        rows = []
        for row in sorted(self.containers(), key=lambda r: r.get("Labels", {}).get("com.docker.compose.service", "")):
            service = row.get("Labels", {}).get("com.docker.compose.service", row["Names"][0])
            ports = ", ".join(f"127.0.0.1:{p['host_port']}" for p in row.get("Ports") or [])
            rows.append((service, str(row.get("Status") or row["State"]), ports or row["Names"][0]))
        return rows

    def logs(self, *, lines: int, follow: bool) -> None:
        names = [row["Names"][0] for row in self.containers()]
        for name in names:
            print(self.tail(name, lines))
        if follow and names:
            sys.stdout.flush()
            self.compose("logs", "--follow", "--tail", "0", capture=False)

    def pool(self) -> AdminSocket:
        """The load balancer's pool of app instances, through its admin socket (mounted from var/)."""
        return AdminSocket(self.admin_dir / "admin.sock")

    def deploy(self, *, say: Callable[[str], None] = print) -> None:
        """Restart the app instances one by one behind HAProxy (app.runner.deploy's steps)."""
        from app.runner.deploy import roll

        if not self.instances():
            raise RunnerError(f"{self.tier} has no load balancer in front of its app instances: nothing to roll.")
        roll(self.pool(), [ContainerInstance(self, service) for service in self.instances()], say=say)


class ContainerInstance:
    """An app instance's container: stopped gracefully (gunicorn drains), started, health-checked."""

    def __init__(self, stack: ComposeStack, service: str) -> None:
        self.stack, self.name = stack, service
        self.container = stack.container(service)

    def stop(self) -> None:
        self.stack.podman.run("stop", "--time", "20", self.container)

    def start(self) -> None:
        self.stack.podman.run("start", self.container)

    def ready(self) -> bool:
        """Its own ``/readyz`` answers, from inside the container (curl is in the image)."""
        url = "http://127.0.0.1:8000/readyz"
        return self.stack.podman.ok("exec", self.container, "curl", "-fsS", "-o", "/dev/null", url)


def running(var_dir: Path) -> dict[str, Any]:
    """What ``make up RUNTIME=containers`` last started from this folder (tier, project, ports)."""
    try:
        state = json.loads((var_dir / "run" / STATE).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def remove_volumes(project: str) -> None:
    """Delete a stopped project's volumes (``make clean``), if podman is here at all."""
    if shutil.which("podman") is None:
        return
    podman = Podman(project_env.VAR_DIR, project_env.BASE_DIR)
    label = f"label=io.podman.compose.project={project}"
    names = podman.run("volume", "ls", "--quiet", "--filter", label, check=False).split()
    if names:
        podman.run("volume", "rm", "--force", *names)
        print(f"Removed the volumes of {project}: {', '.join(names)}")
