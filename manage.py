#!/usr/bin/env python
"""Django's command-line utility. ``TIER`` (default ``tier0``) picks the settings profile,
``MILESTONES_ENV`` (default ``production``) the environment: ``local`` for work on a laptop."""

import os
import sys


def main() -> None:
    tier = os.environ.get("TIER", "tier0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"config.settings.{tier}")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 — load the settings here, to report what is missing plainly
    except ImproperlyConfigured as exc:
        sys.exit(f"error: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
