"""A webhook receiver that trickles its answer never stalls the site (every tier, over real HTTP).

The attack: any user can create a team, point its webhook at a server that answers one
byte at a time, and buy. At tier0 the delivery runs inside the checkout request, on SQLite;
it must hold no lock while it waits, and give up at its total deadline, so other users'
writes go through meanwhile. From tier1 a worker delivers it and the checkout is not held at all.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import httpx
import pytest
from django.conf import settings

from tests.webhook_receiver import start_receiver

pytestmark = pytest.mark.stack

SETUP = """
import django
django.setup()
from app.accounts.models import User
from app.accounts.services import api_token_create
from app.posts.models import Post
from app.shop.models import Product
product = Product.objects.select_related("team").filter(stock__gte=5).order_by("id").first()
product.team.webhook_url = "{url}"
product.team.save(update_fields=["webhook_url"])
buyer = User.objects.get(username="demo")
neighbour, _ = User.objects.get_or_create(username="neighbour", defaults={"email": "neighbour@example.com"})
print(product.pk, api_token_create(user=buyer, name="t")[1], api_token_create(user=neighbour, name="t")[1],
      Post.objects.order_by("id").values_list("id", flat=True).first())
"""


def test_a_trickling_webhook_receiver_does_not_hold_up_other_users_writes(tier_stack):
    receiver, server = start_receiver()
    receiver.trickle, receiver.trickle_every = "body", 0.5
    try:
        made = subprocess.run(
            [sys.executable, "-c", SETUP.replace("{url}", receiver.url)],
            env=tier_stack.ctx.env,
            cwd=tier_stack.ctx.base_dir,
            capture_output=True,
            text=True,
            check=True,
        )
        product, buyer_token, neighbour_token, post = made.stdout.split()
        base = tier_stack.url() + "api/v1/"
        checkout: dict[str, float | int] = {}

        def buy() -> None:
            began = time.monotonic()
            response = httpx.post(
                base + "orders",
                json={"product_id": int(product), "quantity": 1},
                headers={"Authorization": f"Bearer {buyer_token}"},
                timeout=60,
            )
            checkout.update(status=response.status_code, seconds=time.monotonic() - began)

        buyer = threading.Thread(target=buy)
        buyer.start()
        time.sleep(0.5)  # the checkout has committed and its delivery is trickling by now
        comments = []
        with httpx.Client(headers={"Authorization": f"Bearer {neighbour_token}"}, timeout=30) as neighbour:
            for n in range(5):
                began = time.monotonic()
                response = neighbour.post(base + f"posts/{post}/comments", json={"body": f"meanwhile {n}"})
                comments.append((response.status_code, time.monotonic() - began))
                time.sleep(0.3)
        buyer.join(timeout=60)
    finally:
        server.shutdown()
    print(f"\nslow receiver: checkout {checkout}, comments {comments}")
    assert [status for status, _ in comments] == [201] * 5
    assert max(seconds for _, seconds in comments) < 2.0, comments
    assert checkout["status"] == 201
    # Inline (tier0) the customer waits for the delivery's deadline at most; on workers, not at all.
    assert checkout["seconds"] < settings.WEBHOOK_TIMEOUT_SECONDS + 3, checkout
    assert receiver.deliveries, "the webhook was attempted"
