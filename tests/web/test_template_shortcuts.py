"""The pages' faster template tags say exactly what Django's own filters would."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template
from django.template.defaultfilters import truncatewords
from hypothesis import given, settings
from hypothesis import strategies as st

from app.web.templatetags.words import first_words


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=400), count=st.integers(1, 60))
def test_first_words_is_truncatewords(text: str, count: int):
    assert first_words(text, count) == truncatewords(text, count)


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(
        min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
    ),
    display=st.sampled_from(["M j, Y", "M j, Y H:i", "M j, H:i", "D M j"]),
)
def test_time_of_is_the_two_date_filters(moment: dt.datetime, display: str):
    context = Context({"moment": moment, "display": display})
    fast = Template("{% load dates %}{% time_of moment display %}").render(context)
    slow = Template("<time datetime=\"{{ moment|date:'c' }}\">{{ moment|date:display }}</time>").render(context)
    assert fast == slow


def test_time_of_shows_nothing_for_no_time():
    assert Template("{% load dates %}{% time_of moment 'M j' %}").render(Context({"moment": None})) == ""
