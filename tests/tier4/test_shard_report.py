"""The staff's report across shards (/ops/shards, manage.py shards): explicit fan-out, exact
largest teams, a fixed cost in queries whatever the number of teams, and a shard that is down
reported rather than failing the report."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connections

from app.platform.sharding import directory
from app.platform.tenancy import team
from tests.factories import CommentFactory, OrderFactory, PostFactory, TeamFactory, UserFactory
from tests.tier4.test_pages import AllQueries
from tests.tier4.test_sharding import answering, two_teams

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True))
    return client


def fill(teams_rows: dict) -> None:
    for placed, posts in teams_rows.items():
        with team(placed.pk):
            for post in PostFactory.create_batch(posts, team=placed):
                CommentFactory(post=post)


def test_the_report_counts_each_shards_teams_and_the_largest_teams_exactly(staff):
    a, b = two_teams()
    fill({a: 3, b: 1})
    with team(b.pk):
        OrderFactory(team=b)  # with one item, of a product of its own
    report = staff.get("/ops/shards").json()
    by_alias = {shard["alias"]: shard for shard in report["shards"]}
    assert set(by_alias) == set(directory.shards())
    assert by_alias[directory.shard_of(a.pk)]["teams"] == 1
    assert by_alias[directory.shard_of(b.pk)]["teams"] == 1
    assert all(shard["up"] and shard["bytes"] > 0 for shard in report["shards"])
    assert report["teams"] == 2
    # Exact: a's 3 posts and 3 comments; b's post, comment, product, order and its item.
    assert [(t["team_id"], t["shard"], t["rows"]) for t in report["largest_teams"]] == [
        (a.pk, directory.shard_of(a.pk), 6),
        (b.pk, directory.shard_of(b.pk), 5),
    ]
    assert report["largest_teams"][0]["name"] == str(a)


def test_the_report_costs_the_same_queries_for_2_teams_or_12(staff):
    def cost(teams: int) -> dict[str, int]:
        for _ in range(teams):
            placed = TeamFactory()
            fill({placed: 1})
        with AllQueries() as queries:
            assert staff.get("/ops/shards").status_code == 200
        return {alias: queries.on(alias) for alias in queries.captured}

    assert cost(2) == cost(10)


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_only_staff_read_the_report(client, who):
    if who == "member":
        client.force_login(UserFactory())
    assert client.get("/ops/shards").status_code == 403


def test_a_bad_largest_is_a_clear_400(staff):
    response = staff.get("/ops/shards?largest=lots")
    assert response.status_code == 400
    assert "largest" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_a_shard_that_is_down_is_reported_and_the_others_still_are(staff, tier_services):
    a, b = two_teams()
    fill({a: 2, b: 1})
    shards = tier_services.service("shards")
    down = next(s for s in shards.servers(tier_services.ctx) if s.name == directory.shard_of(b.pk))
    down.stop(tier_services.ctx)
    try:
        connections[down.name].close()
        response = staff.get("/ops/shards")
        assert response.status_code == 200
        by_alias = {shard["alias"]: shard for shard in response.json()["shards"]}
        assert by_alias[down.name]["up"] is False
        assert by_alias[down.name]["error"]
        assert by_alias[directory.shard_of(a.pk)]["up"] is True
        assert [t["team_id"] for t in response.json()["largest_teams"]] == [a.pk]
    finally:
        down.start(tier_services.ctx)
        answering(down.name)


def test_manage_py_shards_prints_the_same_report():
    a, b = two_teams()
    fill({a: 2, b: 1})
    out = io.StringIO()
    call_command("shards", "--largest", "1", stdout=out)
    text = out.getvalue()
    for alias in directory.shards():
        assert alias in text
    assert "2 teams" in text
    assert str(a) in text
    assert str(b) not in text.split("largest teams:")[1]
