"""The locustfile: three kinds of visitor, each walking the product's real journeys.

* ``Visitor`` (anonymous, most of the traffic): browses the feed, reads posts, looks at the shop;
* ``Member`` (signed in as a seeded user): reads and comments, buys (the checkout form, its CSRF
  token and one-time key), opens their team's dashboard and their orders;
* ``ApiClient``: takes a bearer token, reads the feed, posts and products through the API.

Usernames come from ``LOADTEST_USERS`` (a file, one per line, written by ``run.py`` from the
stack's database); every seeded user's password is ``LOADTEST_PASSWORD``. Requests are named by
journey (``read: post``, not ``/posts/123/``), so the report has one row per journey.
"""

from __future__ import annotations

import functools
import itertools
import os
import random
import re
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

POST_LINK = re.compile(r'href="/posts/(\d+)/"')
PRODUCT_LINK = re.compile(r'href="(/shop/[^/"]+/[^/"]+/)"')
DASHBOARD_LINK = re.compile(r'href="(/teams/[^/"]+/dashboard/)"')
HIDDEN = re.compile(r'name="(csrfmiddlewaretoken|once)" value="([^"]+)"')

_names = [n for n in Path(os.environ.get("LOADTEST_USERS", "/dev/null")).read_text().split() if n]
_next_name = itertools.cycle(_names or ["demo"])
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "password123")
#: How long a visitor waits for an answer (for the connection, then between bytes) before giving
#: up: the request then counts as an error and the visitor goes on. Without it, an overloaded
#: stack shows a p95 that only grows while its error rate stays 0, which reads as "slow" where
#: real people would already have left.
REQUEST_TIMEOUT_SECONDS = float(os.environ.get("LOADTEST_REQUEST_TIMEOUT", "10"))


def hidden_fields(html: str) -> dict[str, str]:
    return dict(HIDDEN.findall(html))


class Visit(HttpUser):
    """Every kind of visitor: each request gives up after ``REQUEST_TIMEOUT_SECONDS``."""

    abstract = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # requests has no session-wide timeout; a call that names its own still wins.
        self.client.request = functools.partial(self.client.request, timeout=REQUEST_TIMEOUT_SECONDS)


class Browsing(Visit):
    """What anonymous and signed-in visitors share: find posts and products by following links."""

    abstract = True
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.posts: list[str] = []
        self.products: list[str] = []

    def feed(self) -> None:
        answer = self.client.get("/", name="browse: feed")
        self.posts = POST_LINK.findall(answer.text) or self.posts
        if random.random() < 0.3:
            self.client.get("/?page=2", name="browse: feed page 2")

    def read(self) -> str:
        if not self.posts:
            self.feed()
        if not self.posts:
            return ""
        post = random.choice(self.posts)
        self.client.get(f"/posts/{post}/", name="read: post")
        return post

    def shop(self) -> str:
        answer = self.client.get("/shop/", name="shop: catalogue")
        self.products = PRODUCT_LINK.findall(answer.text) or self.products
        if not self.products:
            return ""
        product = random.choice(self.products)
        self.client.get(product, name="shop: product")
        return product


class Visitor(Browsing):
    weight = 6

    @task(5)
    def browse(self) -> None:
        self.feed()

    @task(4)
    def read_a_post(self) -> None:
        self.read()

    @task(2)
    def look_at_the_shop(self) -> None:
        self.shop()


class Member(Browsing):
    weight = 3

    def on_start(self) -> None:
        super().on_start()
        self.username = next(_next_name)
        form = self.client.get("/accounts/login/", name="log in: form")
        fields = hidden_fields(form.text)
        with self.client.post(
            "/accounts/login/",
            {**fields, "username": self.username, "password": PASSWORD},
            name="log in",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            # A refused log-in answers 200 with the form again: only the redirect is a success.
            if answer.status_code != 302:
                answer.failure(f"log-in as {self.username} answered {answer.status_code}")
        home = self.client.get("/", name="browse: feed")
        self.dashboards = DASHBOARD_LINK.findall(home.text)

    def expect_redirect(self, path: str, data: dict, *, name: str) -> None:
        """Post a form as a browser does; only the redirect after success counts as one (a form
        shown again with an error answers 200, and is counted as a failure with its status)."""
        with self.client.post(
            path,
            data,
            name=name,
            headers={"Referer": f"{self.host}{path}"},
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"{name} answered {answer.status_code}, not a redirect")

    @task(4)
    def read_and_comment(self) -> None:
        post = self.read()
        if not post or random.random() > 0.3:
            return
        page = self.client.get(f"/posts/{post}/", name="read: post")
        fields = hidden_fields(page.text)
        self.expect_redirect(f"/posts/{post}/", {**fields, "body": "Read it under load, and it held."}, name="comment")

    @task(2)
    def buy(self) -> None:
        product = self.shop()
        if not product:
            return
        page = self.client.get(product, name="shop: product")
        fields = hidden_fields(page.text)
        if "once" not in fields:  # sold out: no form
            return
        self.expect_redirect(product, {**fields, "quantity": 1}, name="check out")

    @task(1)
    def dashboard(self) -> None:
        if self.dashboards:
            self.client.get(self.dashboards[0], name="dashboard")
        else:
            self.client.get("/orders/", name="my orders")


class ApiClient(Visit):
    weight = 1
    wait_time = between(0.2, 1)

    def on_start(self) -> None:
        self.token = ""
        answer = self.client.post(
            "/api/v1/auth/token",
            json={"username": next(_next_name), "password": PASSWORD, "name": "load test"},
            name="api: token",
        )
        if answer.status_code == 201:
            self.token = answer.json()["token"]
        self.posts: list[int] = []

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    @task(4)
    def feed(self) -> None:
        answer = self.client.get("/api/v1/feed", name="api: feed", headers=self.headers())
        if answer.ok:
            self.posts = [item["id"] for item in answer.json().get("items", [])] or self.posts

    @task(3)
    def post(self) -> None:
        if self.posts:
            post = random.choice(self.posts)
            self.client.get(f"/api/v1/posts/{post}", name="api: post", headers=self.headers())

    @task(2)
    def products(self) -> None:
        self.client.get("/api/v1/products", name="api: products", headers=self.headers())

    @task(1)
    def orders(self) -> None:
        if self.token:
            self.client.get("/api/v1/orders", name="api: orders", headers=self.headers())
