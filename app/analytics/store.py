"""Writing page views to PostgreSQL (or SQLite at tier0): many rows, one statement, each view once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connections, router

if TYPE_CHECKING:
    from app.analytics.recorders import View

#: Rows per INSERT; 5 parameters each stays well under PostgreSQL's 65,535 per statement.
MAX_ROWS_PER_INSERT = 5000


def store_views(views: Sequence[View]) -> int:
    """Insert ``views`` in multi-row INSERTs; a view already stored (same ``event_id``) is skipped.

    ``ON CONFLICT DO NOTHING`` on the unique ``event_id`` is what makes a retried flush, or a
    redelivered job, count each view once. Returns the number of statements sent.
    """
    from app.analytics.models import PageView

    connection = connections[router.db_for_write(PageView)]
    table = connection.ops.quote_name(PageView._meta.db_table)
    statements = 0
    with connection.cursor() as cursor:
        for start in range(0, len(views), MAX_ROWS_PER_INSERT):
            chunk = views[start : start + MAX_ROWS_PER_INSERT]
            placeholders = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for view in chunk:
                at = connection.ops.adapt_datetimefield_value(dt.datetime.fromtimestamp(view.at, tz=dt.UTC))
                params += [view.event_id, view.path, view.user_id, view.post_id, at]
            cursor.execute(
                f"INSERT INTO {table} (event_id, path, user_id, post_id, created_at) "  # noqa: S608 - quoted name
                f"VALUES {placeholders} ON CONFLICT (event_id) DO NOTHING",
                params,
            )
            statements += 1
    return statements
