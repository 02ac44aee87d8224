"""Paged lists: past the last page a 404 that says so, never "nothing here yet"; bad page input
is the first page, never a 500."""

from __future__ import annotations

import pytest

from tests.factories import OrderFactory, PostFactory, ProductFactory, TeamFactory

pytestmark = pytest.mark.django_db

NEVER_EMPTY_ON_PAGE_TWO = ["Nothing published yet", "No orders yet", "Nothing for sale yet", "No teams yet", "No posts"]


@pytest.fixture
def lists():
    """One row in every list, so only the first page has any."""
    team = TeamFactory()
    PostFactory(team=team)
    ProductFactory(team=team)
    return team


@pytest.mark.parametrize("url", ["/", "/shop/", "/teams/", "/teams/{team}/"])
@pytest.mark.parametrize("page", ["2", "999", "10000", "99999"])
def test_a_page_past_the_end_is_a_404_that_says_there_is_nothing_more(client, lists, url, page):
    response = client.get(url.format(team=lists.slug), {"page": page})
    html = response.content.decode()
    assert response.status_code == 404
    assert "There is nothing more" in html
    assert 'href="?page=1"' in html
    assert not [words for words in NEVER_EMPTY_ON_PAGE_TWO if words in html]


def test_my_orders_page_two_does_not_say_no_orders_yet(signed_in, user):
    OrderFactory(user=user)
    response = signed_in.get("/orders/?page=2")
    assert response.status_code == 404
    html = response.content.decode()
    assert "No orders yet" not in html
    assert "There is nothing more" in html


def test_an_empty_list_says_so_on_its_first_page(signed_in):
    assert "No orders yet" in signed_in.get("/orders/").content.decode()


@pytest.mark.parametrize("url", ["/", "/shop/", "/teams/", "/orders/"])
@pytest.mark.parametrize("page", ["abc", "0", "-1", "1e3", "1_0", "²", "", " 2", "9" * 20])
def test_a_page_that_is_not_a_number_is_the_first_page(signed_in, user, lists, url, page):
    OrderFactory(user=user)
    response = signed_in.get(url, {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == 1


def test_a_last_page_links_back_but_not_onwards(client):
    PostFactory.create_batch(21)
    html = client.get("/", {"page": "2"}).content.decode()
    assert 'rel="prev"' in html
    assert 'rel="next"' not in html
    assert "Page 2" in html
