"""tier1's readiness follows the broker, and errors in views reach Sentry."""

from __future__ import annotations

import os

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from app.runner.processes import free_port
from app.runner.stack import Stack
from app.runner.units.redis import Redis
from tests.conftest import stack_folder


@pytest.fixture
def own_redis(settings):
    """A Redis of the test's own, so stopping it harms no other test."""
    environ = dict(os.environ, MILESTONES_VAR=str(stack_folder("redis")), REDIS_PORT=str(free_port()))
    stack = Stack(settings.TIER, environ=environ)
    redis = Redis()
    redis.start(stack.ctx)
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{stack.ctx.port('REDIS_PORT')}/0"
    yield redis, stack.ctx
    redis.stop(stack.ctx)


@pytest.mark.django_db
def test_readyz_is_503_while_the_broker_is_down_and_recovers(client, own_redis):
    redis, ctx = own_redis
    assert client.get("/readyz").json()["checks"]["broker"]["ok"] is True
    redis.stop(ctx)
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.json()["checks"]["broker"]["ok"] is False
    assert "Connection" in down.json()["checks"]["broker"]["error"]
    assert down.json()["checks"]["database"]["ok"] is True
    redis.start(ctx)
    assert client.get("/readyz").status_code == 200


class Captured(Transport):
    """Keeps envelopes in memory: a local transport, no network."""

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self.envelopes: list = []

    def capture_envelope(self, envelope) -> None:
        self.envelopes.append(envelope)


@pytest.mark.django_db
def test_an_exception_in_a_view_becomes_a_sentry_event(client, monkeypatch):
    from sentry_sdk.integrations.django import DjangoIntegration

    transport = Captured()
    sentry_sdk.init(dsn="http://key@127.0.0.1:9/1", transport=transport, integrations=[DjangoIntegration()])
    try:
        monkeypatch.setattr("app.posts.views.feed_page", _explode)
        client.raise_request_exception = False
        assert client.get("/").status_code == 500
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)
    events = [item.payload.json for env in transport.envelopes for item in env.items if item.type == "event"]
    assert [e["exception"]["values"][-1]["value"] for e in events] == ["the feed is on fire"]


def _explode(**kwargs: object) -> None:
    raise RuntimeError("the feed is on fire")


@pytest.mark.django_db
def test_sentry_starts_with_the_app_tagged_with_the_tier_that_runs(settings, sentry_ingest):
    from app.platform import error_tracking

    settings.SENTRY_DSN = sentry_ingest.dsn
    try:
        assert error_tracking.start(settings)
        sentry_sdk.capture_message("which tier am I")
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)
    (event,) = sentry_ingest.events_mentioning("which tier am I")
    assert f'"tier":"{settings.TIER}"' in event.replace(" ", "")  # tier2's pass says tier2, not tier1


def test_importing_a_settings_module_starts_no_sentry(sentry_ingest):
    """The runner and `make diff` import settings modules; they are not the app and report nothing."""
    import subprocess
    import sys

    code = "import config.settings.tier2, sentry_sdk; print(sentry_sdk.get_client().is_active())"
    environ = dict(os.environ, SENTRY_DSN=sentry_ingest.dsn, MILESTONES_ENV="local")
    result = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
