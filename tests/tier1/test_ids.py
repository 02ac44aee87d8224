"""Bulk writers take their ids from the table's own sequence (``reserve_ids``), never ``MAX(id) + 1``:
a block reserved is never handed to the app's own inserts, before or after, used or fresh."""

from __future__ import annotations

import pytest
from django.db import connection

from app.platform.db.bulk import reserve_ids
from app.teams.models import Team
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_a_reserved_block_never_meets_the_apps_own_ids():
    before = TeamFactory()
    block = reserve_ids(Team, 5)
    after = TeamFactory()
    assert len(block) == 5
    assert before.pk < block.start
    assert after.pk > block[-1], "the app's next insert comes after the block"
    assert reserve_ids(Team, 3).start > after.pk


def test_a_sequence_never_used_gives_its_first_block_from_the_start():
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('teams_team', 'id'), 1, false)")
    block = reserve_ids(Team, 4)
    assert block == range(1, 5)
    assert TeamFactory().pk == 5
