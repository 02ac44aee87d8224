"""A decompression bomb is refused from its header, before any pixel is decoded."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from app.accounts.forms import AvatarForm

pytestmark = pytest.mark.tier_independent


def png(width: int, height: int) -> bytes:
    """A blank image of that size: mode "1" keeps it a few hundred KB on disk whatever the pixels."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return png(12_000, 12_000)


def test_the_bomb_is_small_on_disk(bomb):
    assert len(bomb) < 1_000_000  # past the bytes limit it would be refused for that already


def test_the_avatar_form_refuses_it_with_a_message(bomb):
    form = AvatarForm(files={"avatar": SimpleUploadedFile("bomb.png", bomb, content_type="image/png")})
    assert not form.is_valid()
    assert "The image has 144 megapixels; the most we take is 16 megapixels" in str(form.errors["avatar"])


def test_an_image_just_past_the_limit_is_refused_from_its_header():
    form = AvatarForm(files={"avatar": SimpleUploadedFile("big.png", png(5000, 4000), content_type="image/png")})
    assert not form.is_valid()
    assert "The image has 20 megapixels" in str(form.errors["avatar"])


def test_an_ordinary_photo_is_taken():
    form = AvatarForm(files={"avatar": SimpleUploadedFile("me.png", png(1200, 900), content_type="image/png")})
    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_the_profile_page_answers_a_form_error_and_stores_nothing(signed_in, user, bomb):
    upload = SimpleUploadedFile("bomb.png", bomb, content_type="image/png")
    response = signed_in.post(reverse("profile"), {"avatar": upload})
    assert response.status_code == 200
    assert "megapixels" in response.content.decode()
    user.refresh_from_db()
    assert not user.avatar


CHECK_IN_A_FRESH_PROCESS = """
import io, resource, sys, django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from app.accounts.forms import AvatarForm
data = sys.stdin.buffer.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
form = AvatarForm(files={"avatar": SimpleUploadedFile("bomb.png", data, content_type="image/png")})
assert not form.is_valid()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_refusing_it_costs_no_memory(bomb):
    """Measured in a process of its own: the peak resident size grows by less than 50 MB (decoding: ~550 MB)."""
    result = subprocess.run(
        [sys.executable, "-c", CHECK_IN_A_FRESH_PROCESS], input=bomb, capture_output=True, check=True
    )
    grew_kb = int(result.stdout.decode().split()[-1])
    assert grew_kb < 50_000, grew_kb
