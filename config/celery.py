"""The Celery application (tier1 and up): configured from Django settings under ``CELERY_``.

Workers start with ``celery -A config.celery worker``; the runner does that for each
entry in the tier's ``WORKERS``. There is one task, ``milestones.run_job``, which runs
any job declared with ``@job`` by name (see ``app.platform.celery_jobs``).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"config.settings.{os.environ.get('TIER', 'tier1')}")

app = Celery("milestones")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.imports = ["app.platform.celery_jobs"]
