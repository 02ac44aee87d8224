"""The pages' faster template tags say exactly what Django's own filters would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.template.defaultfilters import truncatewords
from django.test import override_settings
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


@settings(max_examples=200, deadline=None)
@given(count=st.integers(0, 10**7))
def test_counted_is_thousands_and_pluralize(count: int):
    context = Context({"count": count})
    fast = Template('{% load numbers %}{{ count|counted:"comment" }}').render(context)
    slow = Template("{% load numbers %}{{ count|thousands }} comment{{ count|pluralize }}").render(context)
    assert fast == slow


def test_the_memoised_url_tag_says_what_djangos_says():
    plain = "{% url 'post_detail' 7 %} {% url 'team_detail' 'a-team' %} {% url 'feed' %}"
    expected = "/posts/7/ /teams/a-team/ /"
    assert Template(plain).render(Context()) == expected
    assert Template(plain).render(Context()) == expected  # from the memo
    assert Template("{% url 'feed' as home %}[{{ home }}]").render(Context()) == "[/]"
    # A different URL configuration is a different memo, not a stale answer.
    with override_settings(ROOT_URLCONF="tests.web.urls_elsewhere"):
        assert Template("{% url 'post_detail' 7 %}").render(Context()) == "/elsewhere/posts/7/"
    assert Template("{% url 'post_detail' 7 %}").render(Context()) == "/posts/7/"


def test_the_url_tag_still_refuses_what_does_not_reverse():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        Template("{% url 'post_detail' 'not-an-id' %}").render(Context())
