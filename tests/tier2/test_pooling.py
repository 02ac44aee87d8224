"""tier2 reaches PostgreSQL through PgBouncer, and survives PgBouncer restarting."""

from __future__ import annotations

import httpx
import pytest

from tests.tier1.conftest import eventually

pytestmark = pytest.mark.stack


def test_the_app_talks_to_postgresql_through_the_pooler(tier_stack):
    assert httpx.get(tier_stack.url(), timeout=10).status_code == 200
    pools = tier_stack.service("pgbouncer").admin(tier_stack.ctx, "SHOW POOLS")
    assert any(row[0] == "milestones" for row in pools), pools


def test_the_app_recovers_from_a_pooler_restart_without_help(tier_stack):
    service, ctx = tier_stack.service("pgbouncer"), tier_stack.ctx
    assert httpx.get(tier_stack.url(), timeout=10).status_code == 200
    service.stop(ctx)
    try:
        down = httpx.get(tier_stack.url() + "readyz", timeout=10)
        assert down.status_code == 503
        assert down.json()["checks"]["database"]["ok"] is False
    finally:
        service.start(ctx)
    # Persistent connections to the old PgBouncer are dead; health checks replace them.
    eventually(lambda: httpx.get(tier_stack.url() + "readyz", timeout=10).status_code == 200, what="readiness")
    assert all(httpx.get(tier_stack.url(), timeout=10).status_code == 200 for _ in range(12))
