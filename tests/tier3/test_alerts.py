"""An alert fired for real on a running tier3 stack: the critical queue's worker stopped, a job
enqueued, Prometheus sees the queue back up (QueueBackingUp), Alertmanager receives it and mails
the operators (the stack's SMTP sink)."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from app.runner.units.monitoring import Alertmanager
from app.runner.units.smtp import SmtpSink
from app.runner.units.workers import Workers
from tests.tier1.conftest import eventually

pytestmark = pytest.mark.stack

ENQUEUE = (
    "from app.accounts.jobs import deliver_email; from app.platform.jobs import enqueue; "
    "enqueue(deliver_email, to='someone@example.com', subject='waits for its worker', body='-')"
)


def firing(url: str, name: str) -> list[dict]:
    found = httpx.get(f"{url}/api/v2/alerts", params={"active": "true"}, timeout=5).json()
    return [alert for alert in found if alert["labels"]["alertname"] == name]


def test_a_queue_whose_worker_is_stopped_reaches_alertmanager_and_the_operators(tier_stack):
    ctx = tier_stack.ctx
    [critical] = [w for w in tier_stack.unit(Workers).members(ctx) if w.name == "worker-critical"]
    manager = Alertmanager().url(ctx)
    critical.stop(ctx)
    try:
        # Enqueued by the app's own code, in the stack's environment (its database and broker).
        subprocess.run([ctx.python, "manage.py", "shell", "-c", ENQUEUE], env=ctx.env, cwd=ctx.base_dir, check=True)
        [alert] = eventually(
            lambda: firing(manager, "QueueBackingUp"), timeout=150, what="QueueBackingUp in Alertmanager"
        )
        assert alert["labels"]["queue"] == "critical"
        assert alert["labels"]["severity"] == "page"
        assert alert["annotations"]["runbook_url"] == "docs/runbooks/QueueBackingUp.md"
        mail = eventually(
            lambda: [m for m in SmtpSink.messages(ctx) if "QueueBackingUp" in m], timeout=60, what="the operators' mail"
        )
        assert "operators@localhost" in mail[0]
    finally:
        critical.start(ctx)
