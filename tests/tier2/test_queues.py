"""tier2 keeps one queue per priority, watched for depth and age, each with its own worker."""

from __future__ import annotations

import time

import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from app.accounts.jobs import deliver_email
from app.analytics.jobs import record_page_view
from app.platform.jobs.celery_tasks import publish
from app.platform.jobs.queues import queue_depths
from tests.factories import UserFactory
from tests.tier1.conftest import eventually, mails


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*settings.JOB_QUEUES)
    yield client
    client.delete(*settings.JOB_QUEUES)
    client.close()


def flood(count: int) -> None:
    for n in range(count):
        kwargs = {"event_id": f"{n:032d}", "path": "/", "user_id": None, "post_id": None, "at": 1767225600.0}
        publish(record_page_view, kwargs, f"{n:032x}")


def test_depth_and_oldest_age_are_reported_per_queue(broker):
    flood(30)
    time.sleep(0.3)
    depths = {d.queue: d for d in queue_depths()}
    assert depths["bulk"].depth == 30
    assert depths["bulk"].oldest_age_seconds >= 0.3
    assert depths["critical"].depth == 0
    assert not any(d.backing_up for d in depths.values())


@pytest.mark.django_db  # the command also reads the outbox's backlog
def test_a_queue_past_its_threshold_is_backing_up(broker, settings, capsys):
    settings.QUEUE_ALERTS = {**settings.QUEUE_ALERTS, "bulk": {"depth": 10, "age_seconds": 900}}
    flood(11)
    assert [d.queue for d in queue_depths() if d.backing_up] == ["bulk"]
    with pytest.raises(SystemExit) as exited:
        call_command("queues")
    assert exited.value.code == 1
    assert "BACKING UP" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_operators_endpoint_is_for_staff(client, broker):
    flood(3)
    assert client.get("/ops/queues").status_code == 403
    client.force_login(UserFactory(is_staff=True))
    body = client.get("/ops/queues").json()
    assert {q["queue"]: q["depth"] for q in body["queues"]}["bulk"] == 3
    assert body["backing_up"] == []


def test_a_bulk_flood_does_not_hold_up_a_password_reset(broker, workers):
    """The reset is sent while thousands of bulk jobs still wait: no queue shares a worker with another."""
    flood(3000)
    publish(deliver_email, {"to": "reset@example.com", "subject": "Reset", "body": "link"}, "r" * 32)
    eventually(lambda: any("To: reset@example.com" in m for m in mails(workers)), what="the reset email")
    assert broker.llen("bulk") > 1000
