"""Sign-up, log-in, password reset, avatars and API tokens, through the pages users see."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from app.accounts.models import ApiToken, User
from app.accounts.services import api_token_authenticate, user_sign_up
from app.platform.errors import DomainError
from tests.factories import PASSWORD, UserFactory

# What the jobs do is tested here; their delivery by Celery workers in tests/tier1/.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("inline_jobs")]

GOOD = {
    "username": "ada",
    "email": "ada@example.com",
    "password1": "an-unguessable-pass",
    "password2": "an-unguessable-pass",
}


def png(size: tuple[int, int] = (800, 600)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def confirm_link(message) -> str:
    return re.search(r"https?://\S+/accounts/signup/confirm/\S+/", message.body).group(0)


def test_signing_up_sends_a_link_that_confirms_and_signs_in(client):
    response = client.post(reverse("signup"), GOOD)
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    user = User.objects.get()
    assert (user.username, user.is_active) == ("ada", False)
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert "Welcome" in mail.outbox[0].subject
    link = confirm_link(mail.outbox[0])
    assert client.get(link).status_code == 302
    assert client.get(reverse("profile")).status_code == 200
    assert User.objects.get().is_active
    client.logout()
    assert client.get(link).status_code == 404  # single use


def test_an_unconfirmed_account_cannot_log_in(client):
    client.post(reverse("signup"), GOOD)
    response = client.post(reverse("login"), {"username": "ada", "password": GOOD["password1"]})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_known_email_gets_the_same_answer_and_its_owner_a_notice(client):
    """Nothing on the page, in the status or in the work done tells a known address from a new one."""
    UserFactory(username="ada", email="ada@example.com")
    known = client.post(reverse("signup"), {**GOOD, "username": "someone", "email": "ADA@example.com"})
    fresh = client.post(reverse("signup"), {**GOOD, "username": "other", "email": "other@example.com"})
    assert known.status_code == fresh.status_code == 200
    assert known.content.replace(b"ADA@example.com", b"X") == fresh.content.replace(b"other@example.com", b"X")
    assert [m.subject for m in mail.outbox] == [
        "Someone tried to sign up with your address",
        "Welcome to Milestones: confirm your address",
    ]
    assert mail.outbox[0].to == ["ada@example.com"]
    assert not User.objects.filter(username="someone").exists()


def test_usernames_are_unique_whatever_their_case(client):
    UserFactory(username="ada", email="ada@example.com")
    response = client.post(reverse("signup"), {**GOOD, "username": "ADA", "email": "o@example.com"})
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["username"][0]
    assert User.objects.count() == 1


def test_the_service_refuses_a_duplicate_username_even_without_the_form():
    def link(user: User) -> str:
        return "https://example.com/confirm"

    user_sign_up(username="bob", email="bob@example.com", password=PASSWORD, confirm_url=link)
    with pytest.raises(DomainError) as refused:
        user_sign_up(username="BOB", email="new@example.com", password=PASSWORD, confirm_url=link)
    assert refused.value.field == "username"


def test_a_weak_password_is_a_form_error_not_a_user(client):
    response = client.post(reverse("signup"), {**GOOD, "password1": "123", "password2": "123"})
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert not User.objects.exists()


def test_logging_in_and_out(client):
    UserFactory(username="carol")
    response = client.post(reverse("login"), {"username": "carol", "password": PASSWORD})
    assert response.status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("profile")).status_code == 302


def test_a_password_reset_emails_a_link_that_sets_a_new_password(client):
    UserFactory(username="dave", email="dave@example.com")
    client.post(reverse("password_reset"), {"email": "DAVE@example.com"})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line).strip()
    path = link[link.index("/accounts/reset/") :]
    form_page = client.get(path, follow=True)
    new = "a-brand-new-passphrase"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert User.objects.get(username="dave").check_password(new)


def test_an_avatar_upload_stores_it_and_makes_a_thumbnail(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("profile"), {"avatar": png()})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.avatar.name.startswith("avatars/")
    with user.avatar_thumbnail.open("rb") as stored, Image.open(stored) as thumb:
        assert max(thumb.size) <= 256


def test_an_avatar_that_is_not_an_image_is_a_form_error(client):
    client.force_login(UserFactory())
    response = client.post(reverse("profile"), {"avatar": SimpleUploadedFile("x.png", b"not an image")})
    assert response.status_code == 200
    assert response.context["avatar_form"].errors["avatar"]


def test_an_oversized_avatar_is_a_form_error(client, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 1000
    client.force_login(UserFactory())
    response = client.post(reverse("profile"), {"avatar": png((400, 400))})
    assert "larger than" in response.context["avatar_form"].errors["avatar"][0]


def test_a_token_is_shown_once_and_stored_only_as_a_hash(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("profile"), {"name": "laptop"})
    raw = response.context["new_token"]
    token = ApiToken.objects.get()
    assert raw not in token.key_hash
    assert api_token_authenticate(raw) == user
    assert api_token_authenticate(raw + "x") is None
