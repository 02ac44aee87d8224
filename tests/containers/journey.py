"""The smoke journey every containerized tier must pass, through its published port as a user
would: the feed, logging in, a checkout, and the order's email arriving in the mail sink; and,
for a sharded tier, where its rows landed."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

DEMO = {"username": "demo", "password": "demo12345"}


@dataclass
class Journey:
    """What the journey saw: each step's status, the order placed, how long the email took."""

    steps: dict[str, int] = field(default_factory=dict)
    order: int | None = None
    email_seconds: float | None = None


def csrf_token(page: httpx.Response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


def run(base_url: str, mail: Callable[[], str], *, email_timeout: float = 60.0) -> Journey:
    """Walk the journey; ``mail`` returns everything the mail sink holds so far, as text."""
    seen = Journey()
    with httpx.Client(base_url=base_url, timeout=30) as client:
        feed = client.get("/")
        seen.steps["feed"] = feed.status_code
        assert feed.status_code == 200, feed.text[:500]
        assert '<article class="card">' in feed.text, "the feed shows the demo posts"

        login = client.get("/accounts/login/")
        answer = client.post("/accounts/login/", data={**DEMO, "csrfmiddlewaretoken": csrf_token(login)})
        seen.steps["login"] = answer.status_code
        assert answer.status_code == 302, answer.text[:500]

        shop = client.get("/shop/")
        seen.steps["shop"] = shop.status_code
        product = re.search(r'href="(/shop/[^/"]+/[^/"]+/)"', shop.text)
        assert product, "the shop lists the demo products"
        page = client.get(product.group(1))
        once = re.search(r'name="once" value="([^"]+)"', page.text)
        assert once, "the product page has a checkout form"
        placed = client.post(
            product.group(1),
            data={"quantity": "1", "once": once.group(1), "csrfmiddlewaretoken": csrf_token(page)},
        )
        seen.steps["checkout"] = placed.status_code
        assert placed.status_code == 302, placed.text[:500]
        order = re.search(r"/orders/(\d+)/", placed.headers["location"])
        assert order, placed.headers["location"]
        seen.order = int(order.group(1))
        detail = client.get(placed.headers["location"])
        seen.steps["order"] = detail.status_code
        assert detail.status_code == 200

    seen.email_seconds = _await_email(seen.order, mail, email_timeout)
    return seen


def run_api(base_url: str, mail: Callable[[], str], *, headers: dict[str, str], email_timeout: float = 60.0) -> Journey:
    """The same journey through the JSON API: the feed, a token for the demo user, an order."""
    seen = Journey()
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        feed = client.get("/api/v1/feed")
        seen.steps["feed"] = feed.status_code
        assert feed.status_code == 200, feed.text[:500]
        assert feed.json()["items"], "the feed shows the demo posts"
        token = client.post("/api/v1/auth/token", json=DEMO)
        seen.steps["login"] = token.status_code
        assert token.status_code == 201, token.text[:500]
        products = client.get("/api/v1/products")
        seen.steps["shop"] = products.status_code
        product = products.json()["items"][0]["id"]
        placed = client.post(
            "/api/v1/orders",
            json={"product_id": product, "quantity": 1},
            headers={"Authorization": f"Bearer {token.json()['token']}"},
        )
        seen.steps["checkout"] = placed.status_code
        assert placed.status_code == 201, placed.text[:500]
        seen.order = int(placed.json()["id"])
    seen.email_seconds = _await_email(seen.order, mail, email_timeout)
    return seen


def _await_email(order: int, mail: Callable[[], str], timeout: float) -> float:
    """Seconds until the order's confirmation is in the mail sink (an assertion error after ``timeout``)."""
    started = time.monotonic()
    subject = f"Your order #{order} from"
    while subject not in mail():
        assert time.monotonic() - started < timeout, f"no email for order {order} in the mail sink"
        time.sleep(0.5)
    return round(time.monotonic() - started, 2)


def check_shards(order: int | None, psql: Callable[[str, str], list[str]], shards: Sequence[str]) -> None:
    """The demo's teams were dealt to every shard by the control database's directory, each shard
    holds its own teams' posts and products and no other's, and the journey's order is on one
    shard only, the one its id range names (shard N's ids start at N × 10**15). ``psql(server,
    sql)`` runs ``sql`` on a PostgreSQL server by name (``db``, ``shard1``, …) and returns its rows."""
    assert order, "the journey placed an order"
    directory = [row.split("|") for row in psql("db", "SELECT shard, team_id FROM sharding_placement")]
    for shard in shards:
        placed = {team for home, team in directory if home == shard}
        held = psql(shard, "SELECT team_id FROM posts_post UNION SELECT team_id FROM shop_product")
        assert placed, f"no team placed on {shard}"
        assert held, f"{shard} holds no posts or products"
        assert set(held) <= placed, f"{shard} holds rows of teams placed elsewhere"
    homes = [shard for shard in shards if str(order) in psql(shard, "SELECT id FROM shop_order")]
    assert homes == [shards[order // 10**15 - 1]], (order, homes)
