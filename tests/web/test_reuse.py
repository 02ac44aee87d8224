"""``{% reuse %}``: a fragment rendered once per distinct value, and never anything about the visitor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template, TemplateSyntaxError

from app.platform.db.loading import Row
from app.web.templatetags import reuse

CARD = (
    "<b>{{ post.title }}</b> by {{ post.author.username }} · {{ post.comment_count }} · {% url 'post_detail' post.pk %}"
)


def a_post(n: int, **fields: object) -> Row:
    author = Row(id=1, pk=1, username="ann")
    return Row({"id": n, "pk": n, "title": f"Post {n} <&>", "comment_count": n % 3, "author": author, **fields})


@pytest.fixture
def renders(monkeypatch) -> list[object]:
    """The fragments actually rendered (not served from the memo), in order."""
    reuse.fragments.clear()
    seen: list[object] = []
    real = reuse.ReuseNode._render

    def counting(self, context, values):
        seen.append(values)
        return real(self, context, values)

    monkeypatch.setattr(reuse.ReuseNode, "_render", counting)
    return seen


def test_a_reused_fragment_reads_exactly_as_the_plain_one(renders):
    posts = [a_post(n) for n in range(5)]
    plain = Template("{% for post in posts %}" + CARD + "{% endfor %}")
    reused = Template("{% load reuse %}{% for post in posts %}{% reuse post %}" + CARD + "{% endreuse %}{% endfor %}")
    expected = plain.render(Context({"posts": posts}))
    assert "Post 0 &lt;&amp;&gt;" in expected
    assert reused.render(Context({"posts": posts})) == expected
    assert reused.render(Context({"posts": posts})) == expected
    assert len(renders) == 5  # the second page came from the memo


def test_a_changed_value_renders_afresh(renders):
    page = Template("{% load reuse %}{% reuse post %}{{ post.comment_count }}{% endreuse %}")
    assert page.render(Context({"post": a_post(1)})) == "1"
    assert page.render(Context({"post": a_post(1, comment_count=7)})) == "7"
    assert page.render(Context({"post": a_post(1)})) == "1"
    assert len(renders) == 2


def test_values_that_compare_equal_but_read_apart_are_kept_apart(renders):
    page = Template("{% load reuse %}{% reuse v %}{{ v }}{% endreuse %}")
    assert [page.render(Context({"v": v})) for v in (Decimal("20.0"), Decimal("20.00"), 1, True)] == [
        "20.0",
        "20.00",
        "1",
        "True",
    ]
    exact = Template("{% load reuse %}{% reuse v %}{{ v|date:'c' }}{% endreuse %}")
    moment = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    assert exact.render(Context({"v": moment})) == "2026-11-28T12:00:00+00:00"
    assert exact.render(Context({"v": moment.replace(microsecond=1)})) == "2026-11-28T12:00:00.000001+00:00"


def test_the_fragment_sees_only_what_it_names(renders):
    page = Template(
        "{% load reuse %}{% reuse post %}[{{ user }}|{% csrf_token %}|{{ secret }}|{{ post.title }}]{% endreuse %}"
    )
    for visitor in ("ann", "bob"):
        context = Context({"post": a_post(2), "user": visitor, "csrf_token": "t0k3n", "secret": visitor})
        assert page.render(context) == "[|||Post 2 &lt;&amp;&gt;]"


def test_objects_that_are_not_plain_data_are_rendered_every_time(renders):
    class Lazy:
        title = "first"

    post = Lazy()
    page = Template("{% load reuse %}{% reuse post %}{{ post.title }}{% endreuse %}")
    assert page.render(Context({"post": post})) == "first"
    post.title = "second"
    assert page.render(Context({"post": post})) == "second"
    assert len(renders) == 2


def test_a_named_expression_and_the_mistakes_it_refuses(renders):
    page = Template("{% load reuse %}{% reuse who=post.author %}{{ who.username }}{{ post }}{% endreuse %}")
    assert page.render(Context({"post": a_post(3)})) == "ann"
    for wrong in ("{% reuse %}x{% endreuse %}", "{% reuse 1x=post %}x{% endreuse %}"):
        with pytest.raises(TemplateSyntaxError):
            Template("{% load reuse %}" + wrong)


def test_the_memo_is_bounded(renders, monkeypatch):
    monkeypatch.setattr(reuse.fragments, "limit", 3)
    page = Template("{% load reuse %}{% reuse n %}{{ n }}{% endreuse %}")
    for n in range(10):
        page.render(Context({"n": n}))
    assert len(reuse.fragments._items) == 3
