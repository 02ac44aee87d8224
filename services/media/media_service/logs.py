"""The service's log lines: Celery's plain text, or with ``MEDIA_LOG_FORMAT=json`` one JSON object
per line, as the application writes them from tier3 (structlog's formatter, the same fields).

Either way, a request's lines carry the id of the application request that caused it: the app
sends it in the message's ``request_id`` header, the service binds it while rendering and sends
it back with the result, so one id finds the checkout, the render and the result being applied.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import structlog
from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun

KEY = "request_id"


def current_request_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get(KEY)
    return value if isinstance(value, str) else None


def json_formatter() -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ],
    )


@after_setup_logger.connect
@after_setup_task_logger.connect
def _format_as_json(logger: logging.Logger | None = None, **kwargs: Any) -> None:
    if logger is None or os.environ.get("MEDIA_LOG_FORMAT", "text") != "json":
        return
    for handler in logger.handlers:
        handler.setFormatter(json_formatter())


@task_prerun.connect
def _bind(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    sent = (getattr(request, "headers", None) or {}).get(KEY) or getattr(request, KEY, None)
    values: dict[str, Any] = {"task": getattr(task, "name", None), "task_id": task_id}
    if isinstance(sent, str) and sent:
        values[KEY] = sent[:64]
    structlog.contextvars.bind_contextvars(**values)


@task_postrun.connect
def _unbind(**kwargs: Any) -> None:
    structlog.contextvars.unbind_contextvars(KEY, "task", "task_id")
