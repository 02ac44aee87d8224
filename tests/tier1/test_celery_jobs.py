"""Jobs leave the request for real Celery workers: after commit, once, retried, never lost."""

from __future__ import annotations

import os
import pwd
import signal
import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.db import transaction

from app.accounts.services import user_sign_up
from app.platform.jobs.celery_tasks import run_job
from app.platform.models import JobRun
from app.runner import processes
from app.shop.services import order_checkout
from app.teams.services import team_set_webhook
from tests.factories import ProductFactory, TeamFactory, UserFactory
from tests.tier1.conftest import children_of, eventually, mails
from tests.webhook_receiver import start_receiver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("drained")]

WEBHOOK = "app.shop.jobs.deliver_order_webhook"


def run_of(name: str) -> JobRun | None:
    return JobRun.objects.filter(name=name).first()


def webhook_order(receiver_url: str):
    owner = UserFactory()
    team = team_set_webhook(actor=owner, team=TeamFactory(owner=owner), url=receiver_url)
    return order_checkout(user=UserFactory(), product_id=ProductFactory(team=team).pk, quantity=1)


def test_the_welcome_email_is_sent_by_a_worker_not_by_the_request(workers):
    before = len(mails(workers))
    user_sign_up(
        username="queued",
        email="queued@example.com",
        password="a-long-enough-pass",
        confirm_url=lambda user: "https://example.com/confirm",
    )
    assert mail.outbox == []  # nothing was sent in this process
    eventually(lambda: len(mails(workers)) > before, what="the welcome email")
    assert "To: queued@example.com" in mails(workers)[-1]
    assert eventually(lambda: run_of("app.accounts.jobs.send_welcome_email").status == JobRun.Status.SUCCEEDED)


def test_a_rolled_back_checkout_enqueues_nothing(workers):
    product = ProductFactory(stock=5)
    buyer = UserFactory()
    before = len(mails(workers))

    def checkout_then_fail() -> None:
        with transaction.atomic():
            order_checkout(user=buyer, product_id=product.pk, quantity=1)
            raise RuntimeError("payment declined")

    with pytest.raises(RuntimeError):
        checkout_then_fail()
    # A committed checkout right after proves the worker is listening: its email arrives, and only it.
    order = order_checkout(user=buyer, product_id=product.pk, quantity=2)
    eventually(lambda: len(mails(workers)) == before + 1, what="the committed order's email")
    assert f"Your order #{order.pk}" in mails(workers)[-1]
    assert not JobRun.objects.exclude(arguments__order_id=order.pk).exists()


def test_a_webhook_refused_twice_is_delivered_on_the_third_try(workers):
    receiver, server = start_receiver()
    receiver.fail_next = 2
    try:
        order = webhook_order(receiver.url)
        run = eventually(
            lambda: JobRun.objects.filter(name=WEBHOOK, status=JobRun.Status.SUCCEEDED).first(), what="delivery"
        )
    finally:
        server.shutdown()
    assert run.attempts == 3
    assert [headers["x-milestones-delivery"] for headers, _ in receiver.deliveries] == [f"order-{order.pk}"] * 3
    # The team travelled with the job, on its record and in each message the worker ran (retries too).
    assert run.team_id == order.team_id
    log = "".join(path.read_text() for path in workers.ctx.log_dir.glob("worker-*.log"))
    assert log.count(f"job {WEBHOOK} delivery {run.delivery_id} for team {order.team_id}") == 3


def test_a_job_that_keeps_failing_ends_failed_and_is_reported_to_sentry(workers, sentry_ingest):
    receiver, server = start_receiver()
    receiver.fail_next = 1000
    try:
        webhook_order(receiver.url)
        run = eventually(
            lambda: JobRun.objects.filter(name=WEBHOOK, status=JobRun.Status.FAILED).first(), timeout=40, what="failure"
        )
    finally:
        server.shutdown()
    assert run.attempts == 6  # the first try and max_retries=5 more, with exponential backoff between
    assert "answered 500" in run.last_error
    eventually(lambda: sentry_ingest.events_mentioning("WebhookDeliveryError"), what="the Sentry event")


def test_killing_the_worker_mid_job_does_not_lose_the_job(workers):
    receiver, server = start_receiver()
    receiver.delay_first = 3
    try:
        webhook_order(receiver.url)
        eventually(lambda: receiver.deliveries, what="the first delivery to start")
        members = workers.service("workers").members(workers.ctx)
        worker = next(w for w in members if "default" in w.queues)  # the queue webhooks go to
        main = processes.read_pid(worker.pidfile(workers.ctx))
        for child in children_of(main):
            os.kill(child, signal.SIGKILL)  # the pool process running the job dies mid-request
        run = eventually(
            lambda: JobRun.objects.filter(name=WEBHOOK, status=JobRun.Status.SUCCEEDED).first(),
            timeout=30,
            what="the job to run again on a new pool process",
        )
    finally:
        server.shutdown()
    # The killed attempt never finished, so only the successful one is counted; the
    # receiver saw both (it dedupes on X-Milestones-Delivery, which is the same).
    assert len(receiver.deliveries) >= 2
    assert {h["x-milestones-delivery"] for h, _ in receiver.deliveries} == {f"order-{run.arguments['order_id']}"}


def test_the_same_delivery_twice_sends_one_email(workers):
    user = UserFactory(email="twice@example.com")

    def to_user() -> int:
        return sum("To: twice@example.com" in m for m in mails(workers))

    for _ in range(2):
        run_job.apply_async(
            args=["app.accounts.jobs.send_welcome_email", {"user_id": user.pk}, "f" * 32], queue="critical"
        )
    eventually(to_user, what="the email")
    eventually(lambda: JobRun.objects.get(delivery_id="f" * 32).status == JobRun.Status.SUCCEEDED)
    time.sleep(2)  # long enough for the second message to have been taken and skipped
    assert to_user() == 1
    assert JobRun.objects.get(delivery_id="f" * 32).attempts == 1


def _uids(pid: int) -> set[int]:
    """The real, effective, saved and filesystem uids of a process, from /proc."""
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        if line.startswith("Uid:"):
            return {int(uid) for uid in line.split()[1:]}
    raise AssertionError(f"no Uid line for {pid}")


def test_workers_and_the_relay_never_run_as_root_and_still_write_media(workers):
    """Run as root (as CI does), every app process the jobs use drops to ``postgres``; run as
    anyone else, they run as that account. Either way the invoice a worker renders is stored (on
    disk, owned by that account, where the tier keeps media on disk)."""
    expected = pwd.getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()
    leaders = [
        processes.read_pid(pidfile)
        for pidfile in workers.ctx.run_dir.glob("*.pid")
        if pidfile.stem.startswith(("worker-", "relay", "media-"))
    ]
    assert len(leaders) >= 2
    assert None not in leaders
    for pid in leaders + [child for leader in leaders for child in children_of(leader)]:
        assert _uids(pid) == {expected}, f"process {pid} runs as {_uids(pid)}"
    for log in workers.ctx.log_dir.glob("worker-*.log"):
        assert "superuser privileges" not in log.read_text()

    order = order_checkout(user=UserFactory(), product_id=ProductFactory().pk, quantity=1)
    name = eventually(
        lambda: type(order).objects.filter(pk=order.pk).exclude(invoice="").values_list("invoice", flat=True).first(),
        what="the invoice",
    )
    stored = type(order).objects.get(pk=order.pk).invoice
    if isinstance(stored.storage, FileSystemStorage):  # to tier2: on the workers' disk, as their account
        invoice = workers.ctx.var_dir / "media" / name
        assert invoice.read_bytes().startswith(b"%PDF-")
        assert invoice.stat().st_uid == expected
    else:  # tier3: in the object store
        with stored.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"
