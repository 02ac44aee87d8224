"""WSGI entry point for gunicorn. ``TIER`` (default ``tier0``) picks the settings profile."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"config.settings.{os.environ.get('TIER', 'tier0')}")

application = get_wsgi_application()
