"""Moving up from tier0: a seeded SQLite database arrives in PostgreSQL whole.

The copy runs as ``make migrate-data`` runs it, in its own process, into the test
database; it compares every row of every table (a digest read back through the ORM on
both sides), the counts and the id sequences, and fails if any differ.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.db import connection

from app.accounts.models import ApiToken, User
from app.platform.models import JobRun
from app.posts.models import Comment, Post
from app.shop.models import Order, OrderItem
from tests.conftest import stack_folder

ROOT = Path(__file__).resolve().parents[2]
MANAGE = [sys.executable, str(ROOT / "manage.py")]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def tier0_database() -> Path:
    """A tier0 SQLite database, migrated and seeded by tier0's own settings, plus a token and a job record."""
    folder = stack_folder("tier0-source")
    folder.mkdir(parents=True)
    env = dict(os.environ, TIER="tier0", DJANGO_SETTINGS_MODULE="config.settings.tier0", MILESTONES_VAR=str(folder))
    for command in (["migrate", "-v0"], ["seed", "--demo", "--users", "40", "--orders", "300"]):
        subprocess.run([*MANAGE, *command], env=env, cwd=ROOT, check=True, capture_output=True)
    script = (
        "import os; from django.test import Client;"
        "from app.platform.models import JobRun; from app.accounts.services import api_token_create;"
        "from app.accounts.models import User; from app.posts.models import Post;"
        "JobRun.objects.create(delivery_id='a'*32, name='x', queue='default',"
        " arguments={'order_id': 7, 'tags': ['a']});"
        "api_token_create(user=User.objects.get(username='demo'), name='cli');"
        # Someone signed in (a session: a table whose key is text, not a sequence) ...
        "assert Client().login(username='demo', password='demo12345');"
        # ... and wrote what COPY's text format must escape, and what is not ASCII.
        "Post.objects.filter(pk=Post.objects.order_by('pk').first().pk).update(body=os.environ['UNUSUAL'])"
    )
    subprocess.run(
        [*MANAGE, "shell", "-c", script], env={**env, "UNUSUAL": UNUSUAL}, cwd=ROOT, check=True, capture_output=True
    )
    return folder / "tier0.sqlite3"


#: Tabs, newlines, backslashes, COPY's own NULL marker, quotes, emoji, right-to-left, combining, zero-width.
UNUSUAL = "tab\there\nnew line \\ back\\slash \\N 'single' \"double\" 🎉 שלום e\u0301 zero\u200bwidth"


def copy(source: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PG_DB=connection.settings_dict["NAME"])
    return subprocess.run(
        [*MANAGE, "copy_data", "--from-sqlite", str(source), *extra], env=env, cwd=ROOT, capture_output=True, text=True
    )


def test_every_table_arrives_row_for_row_and_sequences_move_on(tier0_database):
    result = copy(tier0_database)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "counts and sequences verified" in result.stdout
    assert (User.objects.count(), Order.objects.count(), OrderItem.objects.count()) == (40, 300, 300)
    assert Post.objects.count() == 200
    assert Comment.objects.count() == 600
    assert JobRun.objects.get().arguments == {"order_id": 7, "tags": ["a"]}
    assert ApiToken.objects.get().user.username == "demo"
    assert Session.objects.count() == 1
    assert Post.objects.order_by("pk").first().body == UNUSUAL
    top = Order.objects.order_by("-pk").first()
    created = Order.objects.create(user=top.user, team=top.team, total=1)
    assert created.pk > top.pk


def test_a_non_empty_target_is_refused_without_force(tier0_database):
    assert copy(tier0_database).returncode == 0
    refused = copy(tier0_database)
    assert refused.returncode != 0
    assert "already holds data" in refused.stderr
    assert "FORCE=1" in refused.stderr, "make users are told the make way to force"
    forced = copy(tier0_database, "--force")
    assert forced.returncode == 0, forced.stderr
    assert Order.objects.count() == 300
