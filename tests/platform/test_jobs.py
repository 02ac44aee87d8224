"""The jobs seam: after-commit enqueueing, once-only deliveries, recorded failures."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from app.platform import jobs, tenancy
from app.platform.jobs import enqueue, execute, job
from app.platform.models import JobRun

# The inline backend and the bookkeeping every backend shares; Celery delivery is in tests/tier1/.
pytestmark = pytest.mark.usefixtures("inline_jobs")

calls: list[dict] = []


@job(queue="default")
def remember(*, value: int) -> None:
    calls.append({"value": value})


@job(queue="default")
def explode(*, value: int) -> None:
    raise RuntimeError(f"boom {value}")


@job(queue="default")
def remember_team(*, value: int) -> None:
    calls.append({"value": value, "team_id": tenancy.current_team_id()})


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()


@pytest.mark.django_db(transaction=True)
def test_a_job_runs_only_after_its_transaction_commits():
    with transaction.atomic():
        enqueue(remember, value=1)
        assert calls == []
    assert calls == [{"value": 1}]
    assert JobRun.objects.get().status == JobRun.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_enqueues_nothing():
    def checkout_that_fails() -> None:
        with transaction.atomic():
            enqueue(remember, value=2)
            raise ValueError("abort")

    with pytest.raises(ValueError, match="abort"):
        checkout_that_fails()
    assert calls == []
    assert not JobRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_running_the_same_delivery_twice_does_the_work_once():
    execute(remember.name, {"value": 3}, "d" * 32)
    execute(remember.name, {"value": 3}, "d" * 32)
    assert calls == [{"value": 3}]
    assert JobRun.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_an_inline_failure_is_recorded_and_does_not_reach_the_caller():
    enqueue(explode, value=4)
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.FAILED
    assert "boom 4" in run.last_error


@pytest.mark.django_db(transaction=True)
def test_a_failed_attempt_that_will_be_retried_is_marked_retrying():
    with pytest.raises(RuntimeError):
        execute(explode.name, {"value": 5}, "e" * 32, final_attempt=False)
    assert JobRun.objects.get().status == JobRun.Status.RETRYING


def test_arguments_a_broker_could_not_carry_are_refused_at_every_tier():
    with pytest.raises(TypeError):
        enqueue(remember, value=object())


def test_every_job_is_registered_by_name_for_workers_to_find():
    assert jobs.registry["app.shop.jobs.send_order_confirmation"].queue == "critical"
    assert jobs.registry["app.analytics.jobs.record_page_view"].queue == "bulk"
    assert jobs.registry[remember.name] is remember


@pytest.mark.django_db(transaction=True)
def test_the_backend_is_chosen_in_settings():
    with override_settings(JOBS_BACKEND="tests.platform.test_jobs.RecorderBackend"):
        RecorderBackend.seen = []
        enqueue(remember, value=6)
    assert RecorderBackend.seen == [(remember.name, {"value": 6})]
    assert calls == []


class RecorderBackend:
    seen: list = []

    def enqueue(self, calls, using):
        self.seen.extend((call.job.name, call.kwargs) for call in calls)

    def resend(self, runs):
        raise NotImplementedError


@job(queue="default")
def look_around(*, value: int) -> None:
    """Records whether a transaction is open while the job runs, and the job's own row."""
    from django.db import connection

    run = JobRun.objects.get(arguments__value=value)
    calls.append({"in_transaction": connection.in_atomic_block, "status": run.status, "lease": run.lease_until})


@pytest.mark.django_db(transaction=True)
def test_a_job_runs_with_no_transaction_open_under_its_lease():
    """Nothing a job does (a slow webhook, a slow mail server) may hold a lock others wait on."""
    with transaction.atomic():
        enqueue(look_around, value=7)
    assert calls[0]["in_transaction"] is False
    assert calls[0]["status"] == JobRun.Status.RUNNING
    assert calls[0]["lease"] is not None
    run = JobRun.objects.get()
    assert (run.status, run.lease_until, run.attempts) == (JobRun.Status.SUCCEEDED, None, 1)


def _running(delivery_id: str, *, lease_seconds: float, holder: str) -> JobRun:
    return JobRun.objects.create(
        delivery_id=delivery_id,
        name=remember.name,
        queue="default",
        arguments={"value": 8},
        status=JobRun.Status.RUNNING,
        attempts=1,
        lease_token="t" * 32,
        lease_until=timezone.now() + dt.timedelta(seconds=lease_seconds),
        lease_holder=holder,
    )


@pytest.mark.django_db(transaction=True)
def test_a_copy_of_a_delivery_that_is_running_elsewhere_is_skipped():
    _running("a" * 32, lease_seconds=60, holder="another-host:1")
    execute(remember.name, {"value": 8}, "a" * 32)
    assert calls == []
    assert JobRun.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_an_attempt_whose_lease_ran_out_is_taken_over():
    _running("b" * 32, lease_seconds=-1, holder="another-host:1")
    execute(remember.name, {"value": 8}, "b" * 32)
    assert calls == [{"value": 8}]
    run = JobRun.objects.get()
    assert (run.status, run.attempts) == (JobRun.Status.SUCCEEDED, 2)


@pytest.mark.django_db(transaction=True)
def test_an_attempt_whose_process_died_on_this_host_is_taken_over_at_once():
    dead = subprocess.Popen(["true"])
    dead.wait()
    _running("c" * 32, lease_seconds=60, holder=f"{socket.gethostname()}:{dead.pid}")
    execute(remember.name, {"value": 8}, "c" * 32)
    assert calls == [{"value": 8}]
    assert JobRun.objects.get().status == JobRun.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_an_attempt_that_lost_its_lease_does_not_overwrite_the_one_that_took_over():
    run = _running("d" * 32, lease_seconds=60, holder="another-host:1")
    jobs._finish(run.delivery_id, "x" * 32, status="failed", error="late")
    assert JobRun.objects.get().status == JobRun.Status.RUNNING


@pytest.mark.django_db(transaction=True)
def test_a_failed_job_sent_again_from_the_admin_runs_inline_at_tier0():
    enqueue(explode, value=9)
    run = JobRun.objects.get()
    assert jobs.resubmit([run.pk]) == 1
    assert JobRun.objects.get().attempts == 2


def test_the_queues_command_says_tier0_has_no_queues(capsys):
    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(CELERY_BROKER_URL=""):
        call_command("queues")
    assert "no queues to watch" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_a_job_runs_for_the_team_it_was_enqueued_for_and_its_record_says_so():
    """What tier4's router will read to pick a team's shard: set from enqueue to the job's run."""
    enqueue(remember_team, value=1, team_id=42)
    enqueue(remember_team, value=2)
    assert calls == [{"value": 1, "team_id": 42}, {"value": 2, "team_id": None}]
    assert sorted(JobRun.objects.values_list("team_id", flat=True), key=str) == [42, None]
    assert tenancy.current_team_id() is None  # the context ends with the job
