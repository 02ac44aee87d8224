"""tier4's tests use the app's real workers, relay and media service, as tier1's to tier3's do."""

from tests.tier1.conftest import drained, sentry_ingest, workers  # noqa: F401 - fixtures
