#!/usr/bin/env python
"""Django's command-line utility. ``TIER`` (default ``tier0``) picks the settings profile."""

import os
import sys


def main() -> None:
    tier = os.environ.get("TIER", "tier0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"config.settings.{tier}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
