"""Loaded first (``-p tests.testenv``), before Django reads its settings.

Tests write under ``var/test`` and use their own ports, so a ``make up`` stack that
is running on the same checkout is never touched by ``make test``.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("MILESTONES_VAR", str(ROOT / "var" / "test"))
os.environ.setdefault("WEB_PORT", "18000")
os.environ.setdefault("SMTP_PORT", "18025")
os.environ.setdefault("PG_PORT", "25432")
os.environ.setdefault("PGBOUNCER_PORT", "25433")
os.environ.setdefault("REDIS_PORT", "26379")
os.environ.setdefault("CACHE_REDIS_PORT", "26380")
os.environ.setdefault("OBJECT_STORE_PORT", "18333")
os.environ.setdefault("REPLICA_PORT", "25434")
os.environ.setdefault("REPLICA_PGBOUNCER_PORT", "25435")
os.environ.setdefault("TLS_PORT", "18443")
os.environ.setdefault("PROMETHEUS_PORT", "18090")
os.environ.setdefault("ALERTMANAGER_PORT", "18093")
os.environ.setdefault("EXPORTER_PORT", "18100")  # and the 23 after it
os.environ.setdefault("SHARD_PORT", "25440")  # and the 7 after it
os.environ.setdefault("FAILOVER_PORT", "25460")  # and the 15 after it
os.environ.setdefault("REGION_PORT", "25480")  # and the 31 after it
# collectstatic (this pass's and every stack's it starts) reuses the compressed copies made before.
os.environ.setdefault(
    "STATIC_COMPRESSION_CACHE", os.path.join(os.environ["MILESTONES_VAR"], "cache", "static-compression")
)
# The suite runs locally; the production environment is tested by name (tests/test_environment.py).
os.environ.setdefault("MILESTONES_ENV", "local")
# The tests' webhook receivers listen on loopback, which the app otherwise refuses to call.
os.environ.setdefault("OUTBOUND_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
# TIER=tier1 make test … runs the suite against that tier's settings (and its real services).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"config.settings.{os.environ.get('TIER', 'tier0')}")

Path(os.environ["MILESTONES_VAR"]).mkdir(parents=True, exist_ok=True)
(Path(os.environ["MILESTONES_VAR"]) / "static").mkdir(exist_ok=True)
