"""The log-in page says why you are there when a page that needs an account sent you."""

from __future__ import annotations

import pytest

from app.accounts.login_reasons import DEFAULT, login_reason

pytestmark = pytest.mark.django_db


def test_a_protected_page_sends_you_to_log_in_with_a_reason(client):
    response = client.get("/orders/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=/orders/"
    assert "Log in to see your orders." in response.content.decode()


@pytest.mark.parametrize(
    ("next_url", "reason"),
    [
        ("/orders/", "Log in to see your orders."),
        ("/orders/12/", "Log in to see your order."),
        ("/posts/new/", "Log in to write a post."),
        ("/accounts/profile/", "Log in to see your profile."),
        ("/teams/night-owls/dashboard/", "Log in to see your team's dashboard."),
        ("/orders/?page=2", "Log in to see your orders."),
        ("/no/such/page/", DEFAULT),
        ("", ""),
    ],
)
def test_the_reason_names_what_you_were_doing(next_url, reason):
    assert login_reason(next_url) == reason


def test_no_reason_without_next_or_for_another_site(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'class="flash"' not in html
    html = client.get("/accounts/login/", {"next": "https://elsewhere.example/orders/"}).content.decode()
    assert 'class="flash"' not in html
