"""gunicorn's settings that are the app's concern, for the runner and the container image alike
(``gunicorn -c python:config.gunicorn``); sizes and addresses come on the command line.

Whether a request came over HTTPS is decided by Django alone (``SECURE_PROXY_SSL_HEADER``,
believed only from ``TRUSTED_PROXIES``: app.platform.http.proxies). gunicorn would otherwise read
``X-Forwarded-Proto`` itself, trusting anyone on 127.0.0.1, and mark a forged request secure.
"""

secure_scheme_headers: dict[str, str] = {}
forwarded_allow_ips = ""


def _access_log() -> str | None:
    """gunicorn's access line on standard output, where the tier has no line of its own: from
    tier3 the app writes one per request (app.platform.telemetry) and a second would double the
    log (``WEB_SERVER["access_log"]``). Decided here so the runner, compose and Kubernetes agree."""
    import importlib
    import os

    module = os.environ.get("DJANGO_SETTINGS_MODULE") or f"config.settings.{os.environ.get('TIER', 'tier0')}"
    web_server = getattr(importlib.import_module(module), "WEB_SERVER", {})
    return "-" if web_server.get("access_log", True) else None


accesslog = _access_log()


def child_exit(server: object, worker: object) -> None:
    """A worker that exits leaves its metric files behind; prometheus-client's multiprocess mode
    then drops its live gauges (``livemax``/``livemin``) and keeps its counters (tier3)."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
