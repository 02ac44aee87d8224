"""Names: any script, one look, one owner; and none that takes a word the site's own URLs use."""

from __future__ import annotations

import pytest
from django.urls import reverse

from app.accounts.models import User
from app.platform.errors import DomainError
from app.shop.services import product_create
from app.teams.models import Team
from app.teams.services import team_create
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORDS = {"password1": "an-unguessable-pass", "password2": "an-unguessable-pass"}


@pytest.mark.parametrize("name", ["new", "New", "NEW"])
def test_a_team_cannot_take_a_word_its_urls_use(user, name):
    with pytest.raises(DomainError, match="site itself uses"):
        team_create(owner=user, name=name)


@pytest.mark.parametrize("name", ["東京スタジオ", "Привет мир", "مرحبا", "Ελληνικά", "Ｆｕｌｌ Ｗｉｄｔｈ"])
def test_a_team_in_any_script_gets_a_page_that_can_be_reached(client, user, name):
    team = team_create(owner=user, name=name)
    assert team.slug
    response = client.get(reverse("team_detail", args=[team.slug]))
    assert response.status_code == 200
    assert team.name in response.content.decode()


def test_full_width_names_are_stored_normalised(user):
    assert team_create(owner=user, name="Ｆｕｌｌ Ｗｉｄｔｈ").name == "Full Width"


@pytest.mark.parametrize("name", ["\u200b\u200b", " \ufeff ", "\u3164"])
def test_an_invisible_team_name_is_empty(user, name):
    with pytest.raises(DomainError, match="letters or digits"):
        team_create(owner=user, name=name)


def test_a_mixed_script_look_alike_is_refused(user):
    with pytest.raises(DomainError, match="one alphabet"):
        team_create(owner=user, name="D\u0435mo Studio")  # a Cyrillic e among Latin letters


def test_product_names_follow_the_same_rules(user):
    team = TeamFactory(owner=user)
    assert product_create(actor=user, team=team, name="茶碗", price=10, stock=1).slug == "茶碗"
    with pytest.raises(DomainError):
        product_create(actor=user, team=team, name="new", price=10, stock=1)
    with pytest.raises(DomainError):
        product_create(actor=user, team=team, name="\u200b", price=10, stock=1)


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("ｄｅｍｏ", "already exists"),  # full-width: the same name once normalised
        ("DEMO", "already exists"),
        ("d\u0435mo", "one alphabet"),  # a Cyrillic e among Latin letters
        ("\u200b", ""),
    ],
)
def test_a_username_that_imitates_or_repeats_another_is_a_plain_form_error(client, username, message):
    UserFactory(username="demo", email="demo@example.com")
    response = client.post(reverse("signup"), {"username": username, "email": "x@example.com", **PASSWORDS})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get("username", []))
    assert errors
    assert message in errors
    assert "Constraint" not in response.content.decode()
    assert User.objects.count() == 1


def test_a_username_in_one_other_script_is_welcome(client):
    response = client.post(reverse("signup"), {"username": "Дмитрий", "email": "d@example.com", **PASSWORDS})
    assert response.status_code == 200
    assert User.objects.filter(username="Дмитрий").exists()


def test_a_new_team_page_is_still_the_form(signed_in):
    TeamFactory()
    assert Team.objects.count() == 1
    response = signed_in.get(reverse("team_new"))
    assert response.status_code == 200
    assert "<form" in response.content.decode()
