"""Log lines as JSON objects, one per line (tier3's ``LOGGING``), for a log pipeline to index.

Every line has ``timestamp`` (UTC, ISO 8601), ``level``, ``logger`` and ``event`` (the message),
the values bound in structlog's context variables (the request id; a job's name and delivery), and
a record's ``extra`` fields (the request line's method, status, duration …). Lines from the
standard ``logging`` module, Django's, Celery's and the app's own, all go through it.
"""

from __future__ import annotations

import structlog

#: What every line gets, whether structlog or the standard ``logging`` module wrote it.
SHARED_PROCESSORS: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    """A ``logging.Formatter`` for ``LOGGING`` (``"()": "app.platform.telemetry.json_logs.JsonFormatter"``)."""

    def __init__(self) -> None:
        super().__init__(
            foreign_pre_chain=SHARED_PROCESSORS,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.dict_tracebacks,
                structlog.processors.JSONRenderer(sort_keys=False),
            ],
        )
