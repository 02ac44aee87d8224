"""Durable commits: the writes a failover must never lose ask for it, and only they pay for it.

Where a database is a Patroni cluster (tier4, being built: ``app.runner.units.failover``), its
``synchronous_commit`` is ``local``: a commit is acknowledged once it is on the leader's disk,
and what the synchronous standby has not yet received when the leader dies is lost with it
(milliseconds of writes: a comment, a page view). An order is money taken: its transaction calls
``durable_commit()``, which asks for ``settings.DURABLE_COMMIT`` (``"on"``: acknowledged once the
synchronous standby, the only member Patroni will promote, also has it on disk). So an
acknowledged order survives the leader's death (RPO 0 for orders), and every other write keeps
the leader's speed.

What asking costs: the commit waits for the standby's round trip. What it cannot promise: a
commit cancelled while it waits (the client gave up, the leader died) may still be committed on
the leader and so on the standby, so the caller does not know whether the order exists; the
checkout's idempotency key makes trying again safe (the retry returns the order if it was placed).

``DURABLE_COMMIT`` unset (tier0 to tier3, where the server's default, ``on``, already applies and
no standby is synchronous) or SQLite (which has no such setting): nothing is asked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections


def durable_commit(using: str) -> None:
    """Have the caller's transaction on ``using`` acknowledged only as durably as the tier says
    orders must be (``settings.DURABLE_COMMIT``); for that transaction only."""
    level: str | None = getattr(settings, "DURABLE_COMMIT", None)
    connection = connections[using]
    if level is None or connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("durable_commit() is for one transaction: call it inside transaction.atomic()")
    with connection.cursor() as cursor:
        # set_config(..., true) is SET LOCAL with a bound value: it ends with the transaction.
        cursor.execute("SELECT set_config('synchronous_commit', %s, true)", [level])
