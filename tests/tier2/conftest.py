"""tier2 tests use tier1's real workers (now three, one per queue) and Sentry stand-in."""

from tests.tier1.conftest import sentry_ingest, workers  # noqa: F401 - fixtures, registered by import
