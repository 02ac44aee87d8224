"""Error tracking with Sentry, started once in each process that runs the app.

Settings only say where events go (``SENTRY_DSN`` and friends, from tier1); this starts the
SDK when Django is set up (``PlatformConfig.ready``: web processes, workers, the relay, any
``manage.py`` command), not when a settings module is imported. Two reasons: a settings
module is imported by tools that are not the app (the runner, ``make diff``), which must not
report as the app; and a later tier's settings import the earlier tier's, so a tag set there
would name the earlier tier — here the tag is the tier that is actually running.
"""

from __future__ import annotations

from django.conf import LazySettings


def start(settings: LazySettings) -> bool:
    """Start Sentry if ``SENTRY_DSN`` is set; True if it was."""
    dsn = getattr(settings, "SENTRY_DSN", "")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=settings.SENTRY_ENVIRONMENT,
        traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        # Who the user is and what they posted (passwords, addresses) stay here; the rest is
        # collected with the SDK's denylist scrubbing sensitive values.
        data_collection={"user_info": False, "http_bodies": []},
    )
    sentry_sdk.set_tag("tier", settings.TIER)
    return True
