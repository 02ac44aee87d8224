"""The Celery application (tier1 and up), for ``celery -A config.celery worker``: the runner starts
one worker for each entry in the tier's ``WORKERS``.

The application itself is the platform's (``app.platform.jobs.celery_tasks``), next to the one
task it runs, ``milestones.run_job``, which runs any job declared with ``@job`` by name; this
module only names the settings to load first.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"config.settings.{os.environ.get('TIER', 'tier1')}")

from app.platform.jobs.celery_tasks import app
from app.platform.media import results  # noqa: F401 - the media service's results task

__all__ = ["app"]
