"""``DB_HEALTH_CHECK_IDLE_SECONDS`` (tier1's backend, ``app.platform.db.backends.postgresql``): a
connection idle past the window is checked before a request uses it (and replaced if the server
dropped it); one in constant use is not pinged each request. Real PostgreSQL: the server end of
the connection is terminated for real; requests are Django's own request signals."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.core.signals import request_finished, request_started
from django.db import OperationalError, connection, connections

pytestmark = [pytest.mark.django_db(transaction=True)]


def sever(conn) -> None:
    """What a restarted server does to open connections: every other backend on the test
    database is terminated (behind PgBouncer, the pooler's server connections)."""
    s = conn.settings_dict
    with psycopg.connect(
        host=s["HOST"], port=s["PORT"], user=s["USER"], password=s["PASSWORD"], dbname=s["NAME"], autocommit=True
    ) as other:
        other.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
    time.sleep(0.2)


def pooled() -> bool:
    """tier2 talks to PgBouncer in transaction mode (which is why server-side cursors are off)."""
    return bool(connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"))


def a_request_reads() -> int:
    request_started.send(sender=None)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0]
    finally:
        request_finished.send(sender=None)


def pings(monkeypatch) -> list[bool]:
    seen: list[bool] = []
    wrapper = connections["default"]
    real = wrapper.is_usable
    monkeypatch.setattr(wrapper, "is_usable", lambda: seen.append(True) or real())
    return seen


def test_a_connection_in_constant_use_is_not_pinged_before_each_request(settings, monkeypatch):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 1.0
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    a_request_reads()
    seen = pings(monkeypatch)
    for _ in range(5):
        assert a_request_reads() == 1
    assert seen == []


def test_a_connection_idle_past_the_window_is_checked_and_a_dead_one_replaced(settings, monkeypatch):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 0.3
    a_request_reads()
    before = connection.connection.info.backend_pid
    sever(connection)
    time.sleep(0.4)
    seen = pings(monkeypatch)
    assert a_request_reads() == 1  # the check found it dead; the request got a new connection
    assert seen == [True]
    if not pooled():  # behind PgBouncer the pid is the pooler's, and the client connection lived on
        assert connection.connection.info.backend_pid != before


def test_without_a_window_every_request_is_checked_as_django_does(settings, monkeypatch):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = None
    a_request_reads()
    seen = pings(monkeypatch)
    for _ in range(3):
        a_request_reads()
    assert seen == [True, True, True]


def test_what_the_window_trades_one_failed_request_per_busy_connection_a_restart_cut(settings):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 60
    a_request_reads()
    sever(connection)
    if pooled():
        # PgBouncer drops its dead server connection and keeps the client's: nothing fails.
        assert a_request_reads() == 1
        return
    with pytest.raises(OperationalError):
        a_request_reads()
    assert a_request_reads() == 1  # Django closed the failed connection; the next request reconnects
