"""Django's PostgreSQL backend with one change: health checks for connections that may have
gone stale, not for ones in constant use.

With ``CONN_HEALTH_CHECKS`` Django pings a reused connection (``SELECT 1``) before the first
query of every request, so that one a restarted server or a firewall cut is replaced rather
than failing the request. Under load that is one round trip more per request (a tenth of a
feed request on this machine) spent on a connection that answered a moment ago.

``DB_HEALTH_CHECK_IDLE_SECONDS`` keeps the check where it earns its cost: a connection last
used that recently is not pinged; one idle longer is, as Django would. What this trades: a
server restarted within that window fails one request per connection that was busy at the
time (Django then closes it, and the next request connects afresh), as requests in flight
during a restart fail anyway. ``None`` (the default) checks before every request, Django's way.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    last_used: float | None = None

    def close_if_health_check_failed(self) -> None:
        window: float | None = getattr(settings, "DB_HEALTH_CHECK_IDLE_SECONDS", None)
        if (
            window is not None
            and self.connection is not None
            and self.last_used is not None
            and time.monotonic() - self.last_used < window
        ):
            self.health_check_done = True
        super().close_if_health_check_failed()

    def _cursor(self, name: str | None = None) -> Any:
        cursor = super()._cursor(name)  # type: ignore[misc]
        self.last_used = time.monotonic()
        return cursor

    def connect(self) -> None:
        super().connect()
        self.last_used = time.monotonic()
