"""tier3 keeps uploads, thumbnails and invoices in SeaweedFS through its S3 API, and nothing on
the instance's disk: avatars and product pictures at public URLs, invoices only through the app."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import httpx
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from app.runner.units.object_store import ObjectStore
from app.shop.services import order_checkout
from tests.factories import ProductFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def picture(size: tuple[int, int] = (900, 700), *, noisy: bool = False, name: str = "photo.png") -> SimpleUploadedFile:
    image = Image.effect_noise(size, 90).convert("RGB") if noisy else Image.new("RGB", size, (30, 120, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def bucket(tier_services):
    """The object store's own view of a bucket (boto3 with the app's key)."""
    store = tier_services.unit(ObjectStore)
    client = store.client(tier_services.ctx)

    def keys(name: str, prefix: str) -> set[str]:
        listing = client.list_objects_v2(Bucket=name, Prefix=prefix)
        return {item["Key"] for item in listing.get("Contents", [])}

    return keys


def test_an_avatar_goes_to_the_public_bucket_and_is_served_from_its_url(
    client, inline_jobs, bucket, django_capture_on_commit_callbacks
):
    user = UserFactory()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/profile/", {"avatar": picture()}).status_code == 302
    user.refresh_from_db()
    public = django_settings.OBJECT_STORE["PUBLIC_BUCKET"]
    assert {user.avatar.name, user.avatar_thumbnail.name} <= bucket(public, "avatars/")
    url = user.avatar_thumbnail.url
    assert url.startswith(django_settings.MEDIA_PUBLIC_URL)
    answer = httpx.get(url, timeout=10)  # as a browser fetches it: no key, no signature
    assert answer.status_code == 200
    with Image.open(io.BytesIO(answer.content)) as thumb:
        assert max(thumb.size) <= 256


def test_an_invoice_is_private_and_reaches_only_its_owner(
    client, inline_jobs, bucket, django_capture_on_commit_callbacks
):
    buyer = UserFactory()
    product = ProductFactory(team=TeamFactory(), stock=3)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_checkout(user=buyer, product_id=product.pk, quantity=1)
    order.refresh_from_db()
    private = django_settings.OBJECT_STORE["PRIVATE_BUCKET"]
    assert order.invoice.name in bucket(private, "invoices/")
    base = django_settings.OBJECT_STORE["URL"]
    assert httpx.get(f"{base}/{private}/{order.invoice.name}", timeout=10).status_code == 403
    assert httpx.get(f"{base}/{django_settings.OBJECT_STORE['PUBLIC_BUCKET']}/{order.invoice.name}").status_code != 200
    client.force_login(buyer)
    answer = client.get(f"/orders/{order.pk}/invoice.pdf")
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"%PDF")
    client.force_login(UserFactory())
    assert client.get(f"/orders/{order.pk}/invoice.pdf").status_code == 404


def test_requests_write_nothing_to_the_instances_disk(
    client, inline_jobs, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    media, scratch = tmp_path / "media", tmp_path / "tmp"
    media.mkdir()
    scratch.mkdir()
    settings.MEDIA_ROOT = media
    # Where Django would spill an upload over 2.5 MB, and any other temporary file.
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    owner = UserFactory()
    team = TeamFactory(owner=owner)
    client.force_login(owner)
    big = picture((1400, 1000), noisy=True, name="big.png")
    assert big.size > 2_621_440, "larger than Django's in-memory upload threshold"
    with django_capture_on_commit_callbacks(execute=True):  # the thumbnails and the invoice, made inline
        assert client.post("/accounts/profile/", {"avatar": big}).status_code == 302
        listed = client.post(
            f"/shop/{team.slug}/new/", {"name": "Poster", "price": "9.50", "stock": 4, "image": picture()}
        )
        assert listed.status_code == 302
        product = team.products.get()
        assert client.post(f"/shop/{team.slug}/{product.slug}/", {"quantity": 1, "once": "x1"}).status_code == 302
    assert client.get("/").status_code == 200
    assert list(Path(media).rglob("*")) == []
    assert list(Path(scratch).rglob("*")) == []


def test_an_upload_past_the_memory_limit_is_a_form_error_not_a_lost_file(client, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1_100_000
    settings.MAX_IMAGE_UPLOAD_BYTES = 1024 * 1024
    user = UserFactory()
    client.force_login(user)
    upload = picture((900, 700), noisy=True)
    assert upload.size > 1_100_000
    response = client.post("/accounts/profile/", {"avatar": upload})
    assert response.status_code == 200
    assert "The image is larger than 1 MB." in response.content.decode()


def test_what_was_stored_is_there_after_the_store_is_stopped_and_started(tier_services):
    """The runner does not wait out SeaweedFS's 15 s graceful stop (``ObjectStore.stop_grace``):
    every object an upload was answered for must still be there after a restart on its folder."""
    store = tier_services.unit(ObjectStore)
    ctx = tier_services.ctx
    private = django_settings.OBJECT_STORE["PRIVATE_BUCKET"]
    contents = {f"restart-check/{n}": f"object {n} ".encode() * (50 * n + 1) for n in range(20)}
    client = store.client(ctx)
    for key, body in contents.items():
        client.put_object(Bucket=private, Key=key, Body=body)
    try:
        assert store.stop(ctx)
    finally:
        store.start(ctx)
    client = store.client(ctx)
    for key, body in contents.items():
        assert client.get_object(Bucket=private, Key=key)["Body"].read() == body
        client.delete_object(Bucket=private, Key=key)
