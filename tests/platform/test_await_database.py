"""``manage.py await_database``: what every app container runs before it serves (docker/entrypoint.sh)."""

from __future__ import annotations

import io
import time

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import OperationalError

from app.platform.management.commands import await_database

#: Where migrations run: ``default``, or from tier2 the ``direct`` connection past the pooler
#: (and in tier4 each shard's too, after it).
ALIAS = settings.MIGRATION_DATABASE
ALIASES = list(getattr(settings, "MIGRATION_DATABASES", [ALIAS]))
#: With the databases they mirror in tests (tier4's shards), so that those are set up too.
MIRRORED = {settings.DATABASES[alias].get("TEST", {}).get("MIRROR") for alias in ALIASES} - {None}
pytestmark = pytest.mark.django_db(transaction=True, databases={"default", *ALIASES, *MIRRORED})
READY = f"database{'s' if len(ALIASES) > 1 else ''} {', '.join(map(repr, ALIASES))} ready, every migration applied"


def test_a_migrated_database_is_ready_at_once():
    out = io.StringIO()
    started = time.monotonic()
    call_command("await_database", "--migrated", "--timeout", "5", stdout=out)
    assert time.monotonic() - started < 5
    assert READY in out.getvalue()


def test_a_database_that_never_answers_fails_after_the_timeout_saying_why(monkeypatch):
    def refused(alias):
        raise OperationalError("connection refused\nmore detail")

    monkeypatch.setattr(await_database.Command, "pending", staticmethod(refused))
    out = io.StringIO()
    started = time.monotonic()
    said = rf"gave up after 1.5 s: database '{ALIAS}' does not answer: connection refused$"
    with pytest.raises(CommandError, match=said):
        call_command("await_database", "--timeout", "1.5", stdout=out)
    assert 1.5 <= time.monotonic() - started < 4
    assert f"waiting: database '{ALIAS}' does not answer" in out.getvalue()


def test_pending_migrations_are_waited_for_then_the_wait_ends(monkeypatch):
    answers = [["0002_pending"], ["0002_pending"], []]
    # The last database's answers: every other one is migrated already.
    monkeypatch.setattr(
        await_database.Command, "pending", staticmethod(lambda alias: answers.pop(0) if alias == ALIASES[-1] else [])
    )
    out = io.StringIO()
    call_command("await_database", "--migrated", "--timeout", "10", stdout=out)
    assert out.getvalue().count("1 migrations not applied yet") == 2
    assert READY in out.getvalue()
