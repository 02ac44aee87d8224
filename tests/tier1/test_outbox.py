"""Nothing lost: a job whose transaction committed runs once, whatever happens to the broker or the app.

Real services throughout: the tier's Redis is killed with SIGKILL (and, to prove the outbox
rather than Redis's own file, restarted empty), real workers and the relay process deliver,
and an app process is killed between its commit and its publish.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from app.platform.jobs import outbox
from app.platform.jobs.celery_tasks import publish
from app.platform.models import JobRun
from app.shop.jobs import send_order_confirmation
from app.shop.models import Order
from app.shop.services import order_checkout
from app.teams.services import team_set_webhook
from tests.factories import PostFactory, ProductFactory, TeamFactory, UserFactory
from tests.tier1.conftest import REDELIVER_AFTER, eventually, mails
from tests.webhook_receiver import start_receiver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("drained")]

CHECKOUTS = 6


@pytest.fixture
def shop():
    """A team with a webhook receiver on 127.0.0.1 and a product with plenty of stock."""
    receiver, server = start_receiver()
    owner = UserFactory()
    team = team_set_webhook(actor=owner, team=TeamFactory(owner=owner), url=receiver.url)
    yield receiver, ProductFactory(team=team, stock=1000)
    server.shutdown()


def checkouts(product, count: int = CHECKOUTS) -> list[Order]:
    buyers = UserFactory.create_batch(count)
    return [order_checkout(user=buyer, product_id=product.pk, quantity=1) for buyer in buyers]


def assert_delivered_exactly_once(workers, receiver, orders: list[Order]) -> None:
    """Every order's email and webhook arrive, and (given time for duplicates to show) only once."""
    subjects = [f"Subject: Your order #{order.pk} " for order in orders]

    def emails_for(subject: str) -> int:
        return sum(subject in message for message in mails(workers))

    eventually(lambda: all(emails_for(s) >= 1 for s in subjects), timeout=60, what="every order's email")
    eventually(lambda: len(receiver.deliveries) >= len(orders), timeout=60, what="every order's webhook")
    time.sleep(REDELIVER_AFTER + 2)  # past the sweeper's bound: a duplicate would have been sent by now
    assert [emails_for(s) for s in subjects] == [1] * len(orders)
    delivered = sorted(headers["x-milestones-delivery"] for headers, _ in receiver.deliveries)
    assert delivered == sorted(f"order-{order.pk}" for order in orders)
    assert not JobRun.objects.exclude(status=JobRun.Status.SUCCEEDED).exists()


def test_jobs_queued_when_the_broker_crashed_and_came_back_empty_are_delivered_once(workers, broker, shop):
    crash, start = broker
    receiver, product = shop
    workers.service("workers").stop(workers.ctx)
    orders = checkouts(product)
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert (
        sum(client.llen(q) for q in settings.JOB_QUEUES) == CHECKOUTS * 3
    )  # email, invoice, webhook: all on the broker
    client.close()
    crash(wipe=True)
    start()
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert sum(client.llen(q) for q in settings.JOB_QUEUES) == 0  # every message is gone with the broker
    client.close()
    workers.service("workers").start(workers.ctx)
    assert_delivered_exactly_once(workers, receiver, orders)
    assert JobRun.objects.filter(sends__gte=2).count() == CHECKOUTS * 3  # each was sent again by the sweeper


def test_jobs_enqueued_while_the_broker_is_down_wait_and_go_out_when_it_is_back(workers, broker, shop):
    crash, start = broker
    receiver, product = shop
    crash(wipe=False)
    began = time.monotonic()
    orders = checkouts(product)
    took = time.monotonic() - began
    # The first publish waits out the broker's connect timeout (2 s); the rest do not wait at all.
    assert took < 2 * settings.CELERY_BROKER_CONNECTION_TIMEOUT + 1, took
    # The relay keeps trying meanwhile (each try claims rows, fails, and puts them back), so poll.
    held = eventually(lambda: (b := outbox.backlog()).unsent == CHECKOUTS * 3 and b, what="every job held unsent")
    assert held.oldest_unsent_age_seconds > 0
    assert not JobRun.objects.filter(status=JobRun.Status.SUCCEEDED).exists()
    start()
    assert_delivered_exactly_once(workers, receiver, orders)
    assert outbox.backlog().unsent == 0


def test_page_views_while_the_broker_is_down_are_dropped_without_a_trace(workers, broker, client):
    """Page views are untracked (best effort by design): no outbox row, no failed record, a served page."""
    crash, _ = broker
    crash(wipe=False)
    post = PostFactory()
    for path in ("/", f"/posts/{post.pk}/", "/"):
        assert client.get(path).status_code == 200
    assert not JobRun.objects.exists()


def test_the_queues_command_shows_the_outbox_backlog(workers, capsys):
    relay = workers.service("relay")
    relay.stop(workers.ctx)  # so the unsent job stays unsent while we look
    try:
        JobRun.objects.create(delivery_id="9" * 32, name=send_order_confirmation.name, queue="critical")
        call_command("queues")
        line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("outbox"))
        assert line.split()[1] == "1"
        JobRun.objects.all().delete()
    finally:
        relay.start(workers.ctx)


CRASH_AFTER_COMMIT = """
import os, django
django.setup()
from django.db import transaction
from app.accounts.models import User
from app.shop.services import order_checkout
with transaction.atomic():
    # Registered first, so it runs first once the transaction commits: the process dies right
    # after its commit and before the outbox's own after-commit hook could publish anything.
    transaction.on_commit(lambda: os._exit(9))
    order = order_checkout(user=User.objects.get(pk={user}), product_id={product}, quantity=1)
    print(order.pk, flush=True)
"""


def test_an_app_process_killed_between_commit_and_publish_loses_nothing(workers, shop):
    receiver, product = shop
    buyer = UserFactory()
    script = CRASH_AFTER_COMMIT.replace("{user}", str(buyer.pk)).replace("{product}", str(product.pk))
    died = subprocess.run(
        [sys.executable, "-c", script], env=workers.ctx.env, cwd=workers.ctx.base_dir, capture_output=True, text=True
    )
    assert died.returncode == 9, died.stderr
    order = Order.objects.get(user=buyer)
    assert JobRun.objects.filter(arguments__order_id=order.pk).count() == 3  # committed with the order
    assert_delivered_exactly_once(workers, receiver, [order])


def test_the_broker_itself_keeps_queued_jobs_across_a_crash(workers, broker):
    """Defence in depth: Redis's append-only file (fsync every second) survives a SIGKILL."""
    crash, start = broker
    workers.service("workers").stop(workers.ctx)
    try:
        for n in range(5):
            publish(send_order_confirmation, {"order_id": 0}, f"{n:032x}")
        time.sleep(1.5)  # appendfsync everysec
        crash(wipe=False)
        start()
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        assert client.llen("critical") == 5
        client.delete("critical")
        client.close()
    finally:
        workers.service("workers").start(workers.ctx)
