"""tier3's tests run after tier2's in this pass, and tier2's stop and restart the standby: for a
moment after, its PgBouncer still refuses logins (``server_login_retry``). Each module here starts
once a read through the replica's pooler succeeds again.

The probe is a plain psycopg connection, not Django's: it runs before tests that forbid the
replica alias, and before browser tests whose event loop makes Django's ORM refuse to run."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.conf import settings
from django.db import connections

# The app's real workers, relay and (tier3) media service on the test database, as tier1's tests use them.
from tests.tier1.conftest import drained, sentry_ingest, workers  # noqa: F401 - fixtures


@pytest.fixture(scope="module", autouse=True)
def _replica_answering(django_db_setup, tier_services):
    if not settings.REPLICA_ROUTING:
        return
    from app.platform.db import replica_health

    params = connections[settings.REPLICA_ROUTING["ALIAS"]].settings_dict
    deadline = time.monotonic() + 20
    while True:
        try:
            with psycopg.connect(
                host=params["HOST"],
                port=params["PORT"],
                dbname=params["NAME"],
                user=params["USER"],
                password=params["PASSWORD"],
                connect_timeout=2,
            ) as probe:
                probe.execute("SELECT 1")
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    replica_health.reset()
