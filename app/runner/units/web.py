"""The app's gunicorn instances."""

from __future__ import annotations

from app.runner import processes
from app.runner.units.kinds import Context, Daemon, Group
from app.runner.units.monitoring import fresh_metrics_folder


class AppInstance(Daemon):
    """One gunicorn serving ``config.wsgi`` on one port, sized by the tier's ``WEB_SERVER``."""

    def __init__(self, name: str = "web", port_name: str = "WEB_PORT", offset: int = 0) -> None:
        self.name = name
        self.port_name = port_name
        self.offset = offset

    def port(self, ctx: Context) -> int:
        return ctx.port(self.port_name) + self.offset

    def ports(self, ctx: Context) -> list[int]:
        return [self.port(ctx)]

    def command(self, ctx: Context) -> list[str]:
        # WEB_WORKERS / WEB_THREADS resize a tier's gunicorn for one run (the pooling benchmark).
        sizing = {
            "workers": ctx.env.get("WEB_WORKERS", ctx.settings.WEB_SERVER["workers"]),
            "threads": ctx.env.get("WEB_THREADS", ctx.settings.WEB_SERVER["threads"]),
        }
        command = [
            ctx.bin("gunicorn"),
            "config.wsgi:application",
            "--config",
            "python:config.gunicorn",
            "--bind",
            f"127.0.0.1:{self.port(ctx)}",
            "--workers",
            str(sizing["workers"]),
            "--threads",
            str(sizing["threads"]),
            # On SIGTERM, workers finish the requests they hold for up to this long.
            "--graceful-timeout",
            "20",
            "--timeout",
            "60",
            "--no-control-socket",
            "--error-logfile",
            "-",
        ]
        # The access log (on below tier3, where the app has no request line) is config.gunicorn's.
        return command

    def prepare(self, ctx: Context) -> None:
        if ctx.settings.METRICS:
            fresh_metrics_folder(ctx, self)

    def environment(self, ctx: Context) -> dict[str, str]:
        # Every gunicorn worker of the instance counts in one folder; /metrics adds them up.
        if ctx.settings.METRICS:
            return {**ctx.env, "PROMETHEUS_MULTIPROC_DIR": str(ctx.var_dir / "metrics" / self.name)}
        return ctx.env

    def ready(self, ctx: Context) -> bool:
        return processes.http_ok(f"http://127.0.0.1:{self.port(ctx)}/healthz")

    def address(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{self.port(ctx)}/"


class Web(Group):
    """The app's gunicorn instances: one on ``WEB_PORT``, or, where the tier's ``WEB_SERVER`` asks
    for several, ``web-1`` … ``web-N`` on ``WEB_INSTANCE_PORT`` and up, behind the load balancer."""

    name = "web"
    start_together = True

    def instances(self, ctx: Context) -> list[AppInstance]:
        # WEB_INSTANCES resizes a tier for one run (the scale-out benchmark), as WEB_WORKERS does.
        count = int(ctx.env.get("WEB_INSTANCES", ctx.settings.WEB_SERVER.get("instances", 1)))
        if count == 1 and "loadbalancer" not in ctx.settings.RUNNER_SERVICES:
            return [AppInstance()]
        return [AppInstance(f"web-{n}", "WEB_INSTANCE_PORT", n - 1) for n in range(1, count + 1)]

    def members(self, ctx: Context) -> list[Daemon]:
        return list(self.instances(ctx))
