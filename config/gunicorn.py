"""gunicorn's settings that are the app's concern, for the runner and the container image alike
(``gunicorn -c python:config.gunicorn``); sizes and addresses come on the command line.

Whether a request came over HTTPS is decided by Django alone (``SECURE_PROXY_SSL_HEADER``,
believed only from ``TRUSTED_PROXIES``: app.platform.http.proxies). gunicorn would otherwise read
``X-Forwarded-Proto`` itself, trusting anyone on 127.0.0.1, and mark a forged request secure.
"""

secure_scheme_headers: dict[str, str] = {}
forwarded_allow_ips = ""


def child_exit(server: object, worker: object) -> None:
    """A worker that exits leaves its metric files behind; prometheus-client's multiprocess mode
    then drops its live gauges (``livemax``/``livemin``) and keeps its counters (tier3)."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
