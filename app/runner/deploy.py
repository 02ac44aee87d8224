"""``make deploy``: restart the app instances one at a time behind the load balancer.

For each instance: take it out of the pool (HAProxy ``maint``: no new requests, those in
flight finish), wait until none is in flight, stop it (gunicorn's SIGTERM lets workers
finish), start it on the new code, wait until its ``/readyz`` answers, put it back and
wait until HAProxy's own checks see it up; then the next. The other instance serves
meanwhile, so a client never notices. Schema changes must suit both versions running
side by side: see "Deploying without downtime" in the README (expand, deploy, contract).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from app.runner import processes
from app.runner.processes import RunnerError
from app.runner.stack import Stack
from app.runner.units.kinds import Context
from app.runner.units.loadbalancer import LoadBalancer
from app.runner.units.web import AppInstance, Web

DRAIN_TIMEOUT = 30.0
READY_TIMEOUT = 60.0


def rolling_restart(stack: Stack, *, say: Callable[[str], None] = print) -> None:
    ctx = stack.ctx
    balancer, web = stack.service(LoadBalancer), stack.service(Web)
    if not isinstance(balancer, LoadBalancer) or not isinstance(web, Web):
        raise RunnerError(f"{ctx.tier} has no load balancer in front of its app instances: nothing to roll.")
    if processes.read_pid(balancer.pidfile(ctx)) is None:
        raise RunnerError(f"{ctx.tier} is not running: `make up TIER={ctx.tier}` first.")
    instances = web.instances(ctx)
    if len(instances) < 2:
        raise RunnerError("a rolling restart needs at least two instances, so one serves while the other restarts.")
    started = time.monotonic()
    for instance in instances:
        _roll(balancer, instance, ctx, say)
    say(f"Rolled {len(instances)} instances in {time.monotonic() - started:.1f}s.")


def _roll(balancer: LoadBalancer, instance: AppInstance, ctx: Context, say: Callable[[str], None]) -> None:
    """Out of the pool, drained, restarted, ready, back in the pool and seen up."""
    url = f"http://127.0.0.1:{instance.port(ctx)}/readyz"
    # Only take one out while every other one is serving and passing its checks ("UP", not "UP 1/3").
    processes.wait_until(
        lambda: all(row["status"] == "UP" for name, row in balancer.servers(ctx).items() if name != instance.name),
        timeout=READY_TIMEOUT,
        what=f"every instance but {instance.name} to be up",
    )
    say(f"  {instance.name}: out of the pool …")
    balancer.set_state(ctx, instance.name, "maint")
    try:
        processes.wait_until(
            lambda: int(balancer.servers(ctx)[instance.name]["scur"] or 0) == 0,
            timeout=DRAIN_TIMEOUT,
            what=f"{instance.name} to finish its requests",
        )
    except RunnerError:
        balancer.set_state(ctx, instance.name, "ready")  # still the old code, still serving: keep it
        raise
    say(f"  {instance.name}: drained; restarting …")
    instance.stop(ctx)
    try:
        instance.start(ctx)
        processes.wait_until(lambda: processes.http_ok(url), timeout=READY_TIMEOUT, what=f"{instance.name} to be ready")
    except RunnerError as exc:
        # The new code does not come up: it stays out of the pool; the others serve meanwhile.
        raise RunnerError(f"{instance.name} stays out of the load balancer's pool: {exc}") from exc
    balancer.set_state(ctx, instance.name, "ready")
    processes.wait_until(
        lambda: balancer.servers(ctx)[instance.name]["status"] == "UP",
        timeout=READY_TIMEOUT,
        what=f"the load balancer to see {instance.name} up",
    )
    say(f"  {instance.name}: back in the pool")
