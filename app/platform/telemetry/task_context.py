"""The request id travels with every Celery task: sent in the message's headers, bound while
the task runs, so a checkout's request, its jobs and their outcome share one id in the logs.

``before_task_publish`` adds the current id (a request's, or a job's that enqueues another) to
the headers unless the sender set one (the outbox relay sends the id the row was written with).
``task_prerun`` binds it with the task's name and id; ``task_postrun`` unbinds them, so a
worker process's next task starts clean.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery.signals import before_task_publish, task_postrun, task_prerun

from app.platform.telemetry import request_id

BOUND = (request_id.KEY, "task", "task_id")


@before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is not None and not headers.get(request_id.KEY) and (current := request_id.current()):
        headers[request_id.KEY] = current


@task_prerun.connect
def _bind_request_id(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    sent = header_of(task, request_id.KEY) if task is not None else None
    values: dict[str, Any] = {"task": getattr(task, "name", None), "task_id": task_id}
    if sent:
        values[request_id.KEY] = request_id.accept(str(sent))
    structlog.contextvars.bind_contextvars(**values)


@task_postrun.connect
def _unbind_request_id(**kwargs: Any) -> None:
    structlog.contextvars.unbind_contextvars(*BOUND)


def header_of(task: Any, name: str) -> Any:
    """A header the sender set: Celery keeps custom headers on ``request.headers`` or, depending
    on the message protocol, as attributes of the request itself."""
    context = task.request
    return (getattr(context, "headers", None) or {}).get(name) or getattr(context, name, None)
