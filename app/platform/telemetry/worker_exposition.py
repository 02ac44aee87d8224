"""A Celery worker's metrics (tier3): its prefork children count jobs in the worker's multiprocess
directory, and the worker's main process serves their sum on ``METRICS_PORT`` for Prometheus.

The runner gives each worker its own port and directory (emptied at each start); without
``METRICS_PORT`` nothing is served. It listens on ``METRICS_ADDRESS`` (loopback by default):
Prometheus' exposition server has no access control of its own.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery.signals import worker_init, worker_process_shutdown

logger = logging.getLogger(__name__)


@worker_init.connect
def _serve_metrics(**kwargs: Any) -> None:
    port = os.environ.get("METRICS_PORT")
    if not port:
        return
    from prometheus_client import start_http_server

    from app.platform.telemetry.exposition import registry

    address = os.environ.get("METRICS_ADDRESS", "127.0.0.1")
    start_http_server(int(port), addr=address, registry=registry(backlog=False))
    logger.info("metrics on http://%s:%s/metrics", address, port)


@worker_process_shutdown.connect
def _forget_child(pid: int | None = None, **kwargs: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
