"""``make deploy``: restart the app instances one at a time behind the load balancer.

For each instance: take it out of the pool (HAProxy ``maint``: no new requests, those in
flight finish), wait until none is in flight, stop it (gunicorn's SIGTERM lets workers
finish), start it on the new code, wait until it is ready, put it back and wait until
HAProxy's own checks see it up; then the next. The other instance serves meanwhile, so a
client never notices. Schema changes must suit both versions running side by side: see
"Deploying without downtime" in the README (expand, deploy, contract).

The same steps roll local processes (``rolling_restart``) and containers
(``app.runner.containers.compose``): only how an instance stops, starts and says it is ready differs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from app.runner import processes
from app.runner.processes import RunnerError
from app.runner.stack import Stack
from app.runner.units.kinds import Context
from app.runner.units.loadbalancer import AdminSocket, LoadBalancer
from app.runner.units.web import AppInstance, Web

DRAIN_TIMEOUT = 30.0
READY_TIMEOUT = 60.0


class Instance(Protocol):
    """One app instance behind the load balancer, as the rolling restart sees it."""

    @property
    def name(self) -> str: ...

    def stop(self) -> None: ...

    def start(self) -> None: ...

    def ready(self) -> bool: ...


class LocalInstance:
    """An app instance the runner started as a local process."""

    def __init__(self, instance: AppInstance, ctx: Context) -> None:
        self.instance, self.ctx = instance, ctx
        self.name = instance.name

    def stop(self) -> None:
        self.instance.stop(self.ctx)

    def start(self) -> None:
        self.instance.start(self.ctx)

    def ready(self) -> bool:
        return processes.http_ok(f"http://127.0.0.1:{self.instance.port(self.ctx)}/readyz")


def rolling_restart(stack: Stack, *, say: Callable[[str], None] = print) -> None:
    ctx = stack.ctx
    balancer, web = stack.service(LoadBalancer), stack.service(Web)
    if not isinstance(balancer, LoadBalancer) or not isinstance(web, Web):
        raise RunnerError(f"{ctx.tier} has no load balancer in front of its app instances: nothing to roll.")
    if processes.read_pid(balancer.pidfile(ctx)) is None:
        raise RunnerError(f"{ctx.tier} is not running: `make up TIER={ctx.tier}` first.")
    roll(balancer.pool(ctx), [LocalInstance(instance, ctx) for instance in web.instances(ctx)], say=say)


def roll(pool: AdminSocket, instances: Sequence[Instance], *, say: Callable[[str], None] = print) -> None:
    """Restart ``instances`` one by one, each out of ``pool`` while it restarts."""
    if len(instances) < 2:
        raise RunnerError("a rolling restart needs at least two instances, so one serves while the other restarts.")
    started = time.monotonic()
    for instance in instances:
        _roll(pool, instance, say)
    say(f"Rolled {len(instances)} instances in {time.monotonic() - started:.1f}s.")


def _roll(pool: AdminSocket, instance: Instance, say: Callable[[str], None]) -> None:
    """Out of the pool, drained, restarted, ready, back in the pool and seen up."""
    name = instance.name
    # Only take one out while every other one is serving and passing its checks ("UP", not "UP 1/3").
    processes.wait_until(
        lambda: all(row["status"] == "UP" for server, row in pool.servers().items() if server != name),
        timeout=READY_TIMEOUT,
        what=f"every instance but {name} to be up",
    )
    say(f"  {name}: out of the pool …")
    pool.set_state(name, "maint")
    try:
        processes.wait_until(
            lambda: int(pool.servers()[name]["scur"] or 0) == 0,
            timeout=DRAIN_TIMEOUT,
            what=f"{name} to finish its requests",
        )
    except RunnerError:
        pool.set_state(name, "ready")  # still the old code, still serving: keep it
        raise
    say(f"  {name}: drained; restarting …")
    instance.stop()
    try:
        instance.start()
        processes.wait_until(instance.ready, timeout=READY_TIMEOUT, what=f"{name} to be ready")
    except RunnerError as exc:
        # The new code does not come up: it stays out of the pool; the others serve meanwhile.
        raise RunnerError(f"{name} stays out of the load balancer's pool: {exc}") from exc
    pool.set_state(name, "ready")
    processes.wait_until(
        lambda: pool.servers()[name]["status"] == "UP",
        timeout=READY_TIMEOUT,
        what=f"the load balancer to see {name} up",
    )
    say(f"  {name}: back in the pool")
