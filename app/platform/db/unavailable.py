"""Telling a database server that does not answer from a query that is wrong.

A query can fail because of what it asks (a constraint, a syntax error, a serialization
failure: the request's fault or a retry's business) or because the server is not there (refused
connection, server shut down, a pooler that cannot reach it). Only the second is an outage: the
page says so with a 503 (``app.platform.outages``), and the shard backend (tier4) narrows it to
the teams on that shard. Only PostgreSQL's errors are judged here: SQLite (tier0) has no server
to lose.
"""

from __future__ import annotations

import psycopg
from django.db import InterfaceError, OperationalError

#: SQLSTATE classes that mean the server, not the statement, failed: connection exceptions
#: (PgBouncer reports a server it cannot reach as 08P01) and shutdowns.
UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03")


def server_failed(error: BaseException) -> bool:
    """Whether ``error`` (psycopg's, or Django's wrapping it) says the server failed, not the statement."""
    cause = error.__cause__ if isinstance(error, OperationalError | InterfaceError) else error
    if not isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    state = getattr(cause, "sqlstate", None)
    closed = getattr(getattr(cause, "pgconn", None), "status", 0) != 0  # 0: CONNECTION_OK
    return state is None or state.startswith(UNAVAILABLE_STATES) or closed
