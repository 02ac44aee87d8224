"""The jobs seam: after-commit enqueueing, once-only deliveries, recorded failures."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from app.platform import jobs
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
    submitted = []

    class Recorder:
        def submit(self, job, kwargs, delivery_id):
            submitted.append((job.name, kwargs))

    with override_settings(JOBS_BACKEND="tests.platform.test_jobs.RecorderBackend"):
        RecorderBackend.seen = submitted
        enqueue(remember, value=6)
    assert submitted == [(remember.name, {"value": 6})]
    assert calls == []


class RecorderBackend:
    seen: list = []

    def submit(self, job, kwargs, delivery_id):
        self.seen.append((job.name, kwargs))
