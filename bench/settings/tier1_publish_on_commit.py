"""tier1 without the transactional outbox: jobs are only published after commit.

The baseline ``make bench S=checkout-latency`` measures the outbox's cost against. It
loses jobs when the broker does; never run it for real.
"""

from config.settings.tier1 import *  # noqa: F403

JOBS_BACKEND = "app.platform.jobs.celery_tasks.PublishOnCommitBackend"
RUNNER_SERVICES = [name for name in RUNNER_SERVICES if name != "relay"]  # noqa: F405
