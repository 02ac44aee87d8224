"""tier3's tests run after tier2's in this pass, and tier2's stop and restart the standby: for a
moment after, its PgBouncer still refuses logins (``server_login_retry``). Each test here starts
once a read through the replica's pooler succeeds again."""

from __future__ import annotations

import time

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _replica_answering(django_db_blocker, tier_services):
    if not settings.REPLICA_ROUTING:
        return
    from django.db import OperationalError, connections

    from app.platform.db import replica_health

    alias = settings.REPLICA_ROUTING["ALIAS"]
    deadline = time.monotonic() + 20
    with django_db_blocker.unblock():
        while True:
            try:
                with connections[alias].cursor() as cursor:
                    cursor.execute("SELECT 1")
                break
            except OperationalError:
                connections[alias].close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        connections[alias].close()
    replica_health.reset()
