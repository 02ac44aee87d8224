"""The scaling doctor on every tier: it names an N+1 from the pages themselves, says which tier
fixes what it finds, keeps going when a source fails, and is for staff only at /ops/doctor.

The problems provoked on real servers (a dropped index, a stopped worker, connections used up)
are in tests/tier1/test_doctor.py.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from app.platform.db.routing import primary
from app.platform.doctor import Finding, Status, examine
from app.platform.doctor.index_hint import likely_index
from app.platform.doctor.pages import normalized
from tests.factories import PostFactory, ProductFactory, UserFactory

LAZY = "app.platform.db.loading.LazyLoading"
EAGER = "app.platform.db.loading.EagerLoading"
PAGES = ["app.platform.doctor.pages.queries_per_request"]
#: The sampled pages only (tier3 would add Prometheus' view by route, which tests/tier3/test_doctor.py reads).
SAMPLED = {"CHECKS": PAGES, "PROMETHEUS_URL": ""}


@pytest.fixture
def listed(db, settings):
    """A feed and a catalogue of 8 rows each, every row by its own author or team, measured
    without the application cache (a cached page would hide the queries behind it)."""
    settings.APP_CACHE = "app.platform.caching.NoCache"
    for _ in range(8):
        PostFactory()
        ProductFactory()


def findings(report, check: str) -> list[Finding]:
    return [f for f in report.findings if f.check == check]


def test_lazy_loading_is_named_an_n_plus_one_with_the_statement_it_repeats(listed, settings):
    settings.LOADING_STRATEGY = LAZY
    with primary():
        report = examine(SAMPLED)
    by_page = {f.summary.split()[0]: f for f in findings(report, "queries per request")}
    assert set(by_page) == {"/", "/shop/", "/api/v1/feed", "/api/v1/products"}
    feed = by_page["/"]
    assert feed.status == Status.PROBLEM
    assert feed.problem == "n-plus-one"
    assert "one statement 8 times" in feed.summary
    assert feed.evidence == ['repeated: SELECT … FROM "accounts_user" WHERE "accounts_user"."id" = ? LIMIT ?']
    assert by_page["/shop/"].status == Status.PROBLEM
    assert '"teams_team"' in by_page["/shop/"].evidence[0]
    assert len(report.problems) == 4


def test_eager_loading_on_the_same_pages_is_healthy(listed, settings):
    settings.LOADING_STRATEGY = EAGER
    with primary():
        report = examine(SAMPLED)
    assert [f.status for f in report.findings] == [Status.OK] * 4
    assert all(int(f.summary.split(": ")[1].split()[0]) <= 3 for f in report.findings)


def test_the_advice_names_the_tier_that_fixes_it_and_what_not_to_do_yet():
    finding = Finding("queries per request", Status.PROBLEM, "/ runs 42 queries", problem="n-plus-one")
    below = finding.advice("tier0")
    assert below is not None
    assert below["fix"].startswith("tier1 fixes it (you are on tier0): eager loading")
    assert below["not_yet"].startswith("do not cache the page")
    above = finding.advice("tier3")
    assert above is not None
    assert above["fix"].startswith("tier1's milestone is already on (tier3): a code path loads lazily")
    assert Finding("x", Status.OK, "fine", problem="n-plus-one").advice("tier0") is None


def test_a_check_that_fails_is_reported_and_the_others_still_run(db, settings):
    checks = ["app.platform.doctor.nowhere.check", "app.platform.doctor.jobs.outbox"]
    report = examine({"CHECKS": checks})
    assert next(f.status for f in report.findings) == Status.SKIPPED
    assert "could not be checked: ModuleNotFoundError" in report.findings[0].summary
    assert len(report.findings) == 2


def test_the_command_exits_1_on_a_problem_and_prints_json(listed, settings, capsys):
    settings.LOADING_STRATEGY = LAZY
    settings.DOCTOR = {**settings.DOCTOR, **SAMPLED}
    with primary(), pytest.raises(SystemExit) as exited:
        call_command("doctor", "--json")
    assert exited.value.code == 1
    body = json.loads(capsys.readouterr().out)
    assert body["problems"] == 4
    assert body["findings"][0]["advice"]["problem"] == "queries per request grow with the page (N+1)"
    settings.LOADING_STRATEGY = EAGER
    with primary():
        call_command("doctor")
    assert "No problems found." in capsys.readouterr().out


def test_the_page_is_for_staff_and_shows_the_report(client, listed, settings):
    settings.LOADING_STRATEGY = LAZY
    settings.DOCTOR = {**settings.DOCTOR, **SAMPLED}
    assert client.get("/ops/doctor").status_code == 403
    client.force_login(UserFactory())
    assert client.get("/ops/doctor").status_code == 403
    client.force_login(UserFactory(is_staff=True))
    with primary():
        page = client.get("/ops/doctor")
        body = client.get("/ops/doctor?format=json").json()
    assert page.status_code == 200
    assert b"Scaling doctor" in page.content
    assert b"queries per request grow with the page (N+1)" in page.content
    assert body["problems"] == 4


@pytest.mark.tier_independent
@pytest.mark.parametrize(
    ("statement", "table", "index"),
    [
        (
            'SELECT … FROM "posts_comment" WHERE "posts_comment"."post_id" IN ($1) '
            'ORDER BY "posts_comment"."created_at" ASC, "posts_comment"."id" ASC',
            "posts_comment",
            "posts_comment (post_id, created_at, id)",
        ),
        (
            'SELECT … FROM "shop_order" WHERE ("shop_order"."team_id" = $1 AND "shop_order"."created_at" >= $2) '
            'ORDER BY "shop_order"."created_at" DESC LIMIT $3',
            "shop_order",
            "shop_order (team_id, created_at)",
        ),
        # The filter is on another table of the join; the primary key has its index.
        ('SELECT … FROM "x" INNER JOIN "shop_order" ON … WHERE "x"."a" = $1', "shop_order", None),
        ('SELECT … FROM "shop_order" WHERE "shop_order"."id" = $1', "shop_order", None),
    ],
)
def test_a_likely_index_puts_equality_then_range_then_order(statement, table, index):
    hint = likely_index(statement, table, [])
    assert (hint.split(" ON ")[1] if hint else None) == index


@pytest.mark.tier_independent
def test_no_index_is_suggested_when_one_already_leads_with_the_column():
    statement = 'SELECT … FROM "posts_comment" WHERE "posts_comment"."post_id" = $1'
    assert likely_index(statement, "posts_comment", [["post_id", "created_at", "id"]]) is None
    assert likely_index(statement, "posts_comment", [["author_id"]]) is not None


@pytest.mark.tier_independent
def test_one_statement_per_row_normalizes_to_one():
    rows = [f'SELECT "u"."id" FROM "u" WHERE "u"."id" = {n} AND "u"."name" = \'a{n}\'' for n in range(3)]  # noqa: S608 - literals to normalise, never run
    assert len({normalized(sql) for sql in rows}) == 1
    assert normalized('SELECT 1 FROM "t" WHERE "t"."id" IN (1, 2, 3)') == normalized(
        'SELECT 1 FROM "t" WHERE "t"."id" IN (4)'
    )
