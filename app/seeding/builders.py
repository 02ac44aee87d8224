"""Deterministic, believable data at any milestone's size.

One ``random.Random(seed)`` drives every choice, so the same arguments build the same rows
(timestamps are offsets back from the moment of seeding). Rows go in through
:mod:`app.platform.db.bulk`, tens of thousands a second; the words come from
:mod:`app.seeding.text`, and for the demo the pictures from :mod:`app.seeding.images`.

Time runs the way it would have: people joined, then teams were founded, took members and
listed products, and only then, over the last ``HISTORY_DAYS``, came posts and orders (more
of them lately, as a growing shop's would), each comment after its post.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connections, transaction
from django.utils import timezone
from django.utils.text import slugify

from app.accounts.models import User
from app.platform.db.bulk import bulk_insert, load_mode, reserve_ids, reset_sequences
from app.platform.seams import seam
from app.posts.counters import recount
from app.posts.models import Comment, Post
from app.seeding import images, text
from app.shop.models import Order, OrderItem, Product
from app.teams.models import Membership, Team

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed by `make up`; a local demo account
SEEDED_PASSWORD = "password123"  # noqa: S105 - every seeded user's password, for load tests

#: Posts, comments and orders fall in the last this many days (the dashboard shows 30).
HISTORY_DAYS = 90
DAY = 86_400
#: Share of users who uploaded an avatar.
AVATAR_SHARE = 0.6
#: How many of an order's items: mostly one.
QUANTITIES, QUANTITY_WEIGHTS = (1, 2, 3), (70, 22, 8)
#: ``random.choices`` sums the weights on every call unless given them summed.
QUANTITY_CUMULATIVE = tuple(itertools.accumulate(QUANTITY_WEIGHTS))


@dataclass(frozen=True)
class SeedSize:
    users: int = 50
    teams: int = 5
    posts: int = 200
    comments: int = 600
    products: int = 40
    orders: int = 500


@dataclass
class SeedReport:
    rows: dict[str, int]
    #: Pictures drawn and stored (demo only), and the seconds that took: not part of the row rate.
    images: int = 0
    image_seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.rows.values())


@dataclass
class _Run:
    """What every step of one seeding shares."""

    rng: random.Random
    now: dt.datetime
    using: str
    draw: bool
    report: SeedReport = field(default_factory=lambda: SeedReport(rows={}))

    def __post_init__(self) -> None:
        self.db = connections[self.using].ops.adapt_datetimefield_value

    def ago(self, low_days: float, high_days: float) -> dt.datetime:
        """A moment between ``high_days`` and ``low_days`` before now."""
        return self.now - dt.timedelta(seconds=self.rng.uniform(low_days * DAY, high_days * DAY))

    def recent(self) -> dt.datetime:
        """A moment in the last ``HISTORY_DAYS``, likelier the more recent (a shop that grows)."""
        return self.now - dt.timedelta(seconds=self.rng.triangular(0, HISTORY_DAYS * DAY, 0))

    def insert(self, name: str, model: type, columns: list[str], rows: Any) -> None:
        self.report.rows[name] = self.report.rows.get(name, 0) + bulk_insert(model, columns, rows, self.using)

    def picture(self, store: Any, *args: Any) -> tuple[str, str]:
        started = time.perf_counter()
        names = store(*args)
        self.report.images += 2
        self.report.image_seconds += time.perf_counter() - started
        return names


def seed(
    size: SeedSize, *, seed: int = 42, demo: bool = False, using: str = "default", checked: bool = False
) -> SeedReport:
    """Append ``size`` worth of data; with ``demo``, the demo user owns the first new team, and
    products and avatars get pictures (at most ``images.LIMIT`` of each). ``checked`` keeps
    PostgreSQL's foreign-key checks on while loading (``make bench S=seed`` compares)."""
    run = _Run(rng=random.Random(seed), now=timezone.now().replace(microsecond=0), using=using, draw=demo)
    with transaction.atomic(using=using):
        if not checked:
            load_mode(using)
        user_ids = _users(run, size.users, demo=demo)
        teams = _teams(run, size.teams, user_ids, demo=demo)
        # Where each team's rows go: this database, or (tier4) the shard each team is dealt to,
        # with a share of the posts, comments, products and orders in proportion to its teams.
        homes = seam("TEAM_PLACEMENT").place(teams.ids, using)
        shares = _shares(size, {alias: len(ids) for alias, ids in homes.items()})
        for alias, team_ids in homes.items():
            part = replace(run, using=alias)
            with transaction.atomic(using=alias):
                if not checked and alias != using:
                    load_mode(alias)
                _team_rows(part, shares[alias], teams.only(team_ids), user_ids)
        reset_sequences([User, Team, Membership], using)
    return run.report


def _team_rows(run: _Run, size: SeedSize, teams: _Teams, user_ids: list[int]) -> None:
    """Posts, comments, products and orders of ``teams``, in the database ``run.using``."""
    post_times = _posts(run, size.posts, teams)
    _comments(run, size.comments, post_times, user_ids)
    if post_times:  # COPY sends no signals: count the new posts' comments in one statement
        recount(first_post_id=post_times[0][0], last_post_id=post_times[-1][0], using=run.using)
    products = _products(run, size.products, teams)
    _orders(run, size.orders, products, user_ids)
    reset_sequences([Post, Comment, Product, Order, OrderItem], run.using)


def _shares(size: SeedSize, teams_by_alias: dict[str, int]) -> dict[str, SeedSize]:
    """``size``'s team rows split between databases in proportion to their teams (the last takes
    what rounding leaves), so the whole is exactly ``size``."""
    total = sum(teams_by_alias.values()) or 1
    left = {"posts": size.posts, "comments": size.comments, "products": size.products, "orders": size.orders}
    shares = {}
    for index, (alias, teams) in enumerate(teams_by_alias.items()):
        last = index == len(teams_by_alias) - 1
        part = {name: left[name] if last else round(getattr(size, name) * teams / total) for name in left}
        for name, count in part.items():
            left[name] -= count
        shares[alias] = replace(size, **part)
    return shares


def _users(run: _Run, count: int, *, demo: bool) -> list[int]:
    """People who joined well before any activity (between four months and a year ago)."""
    user_ids = list(reserve_ids(User, count, run.using))
    first = user_ids[0] if user_ids else 0
    # Hashing is deliberately slow (a quarter of a second each): once per seed, and the demo's only for a demo.
    password = make_password(SEEDED_PASSWORD)
    demo_password = make_password(DEMO_PASSWORD) if demo else password

    def rows() -> Iterator[tuple]:
        drawn = 0
        for uid in user_ids:
            is_demo = demo and uid == first
            given, family, username = ("Demo", "", DEMO_USERNAME) if is_demo else text.person(uid)
            joined = run.ago(HISTORY_DAYS + 30, HISTORY_DAYS + 330)
            has_avatar = is_demo or run.rng.random() < AVATAR_SHARE
            avatar = thumbnail = ""
            if has_avatar and run.draw and drawn < images.LIMIT:
                avatar, thumbnail = run.picture(images.store_avatar, uid, given[:1] + family[:1])
                drawn += 1
            yield (
                uid,
                demo_password if is_demo else password,
                is_demo,
                username,
                given,
                family,
                f"{username}@example.com",
                is_demo,
                True,
                run.db(joined),
                avatar,
                thumbnail,
            )

    columns = ["id", "password", "is_superuser", "username", "first_name", "last_name", "email"]
    columns += ["is_staff", "is_active", "date_joined", "avatar", "avatar_thumbnail"]
    run.insert("users", User, columns, rows())
    return user_ids


@dataclass(frozen=True)
class _Teams:
    names: dict[int, str]
    members: dict[int, list[int]]

    @property
    def ids(self) -> list[int]:
        return list(self.names)

    def only(self, team_ids: list[int]) -> _Teams:
        return _Teams(names={t: self.names[t] for t in team_ids}, members={t: self.members[t] for t in team_ids})


def _teams(run: _Run, count: int, user_ids: list[int], *, demo: bool) -> _Teams:
    """Teams founded three to four months ago, each with an owner and up to three members."""
    team_ids = list(reserve_ids(Team, count, run.using))
    first = team_ids[0] if team_ids else 0
    names = {tid: "Demo Studio" if demo and tid == first else text.team_name(tid) for tid in team_ids}
    founded = {tid: run.ago(HISTORY_DAYS + 10, HISTORY_DAYS + 30) for tid in team_ids}
    columns = ["id", "name", "slug", "description", "webhook_url", "webhook_secret", "created_at"]
    run.insert(
        "teams",
        Team,
        columns,
        (
            (tid, name, slugify(name, allow_unicode=True), text.team_pitch(run.rng), "", "", run.db(founded[tid]))
            for tid, name in names.items()
        ),
    )
    members: dict[int, list[int]] = {}
    joined = []
    for index, tid in enumerate(team_ids):
        owner = user_ids[index % len(user_ids)]
        others = run.rng.sample(user_ids, k=min(3, len(user_ids)))
        members[tid] = [owner] + [u for u in dict.fromkeys(others) if u != owner]
        for position, uid in enumerate(members[tid]):
            role = Membership.Role.OWNER if position == 0 else Membership.Role.MEMBER
            joined.append((tid, uid, role, run.db(run.ago(HISTORY_DAYS + 1, HISTORY_DAYS + 10))))
    ids = reserve_ids(Membership, len(joined), run.using)
    rows = [(pk, *row) for pk, row in zip(ids, joined, strict=True)]
    run.insert("memberships", Membership, ["id", "team", "user", "role", "joined_at"], rows)
    return _Teams(names=names, members=members)


def _posts(run: _Run, count: int, teams: _Teams) -> list[tuple[int, dt.datetime]]:
    """Posts by a team's members over the last ``HISTORY_DAYS``; each one's id and time, for its comments."""
    first = reserve_ids(Post, count, run.using).start
    posted: list[tuple[int, dt.datetime]] = []
    team_ids, members = teams.ids, teams.members

    def rows() -> Iterator[tuple]:
        for pid in range(first, first + count):
            tid = run.rng.choice(team_ids)
            moment = run.ago(0, HISTORY_DAYS)
            posted.append((pid, moment))
            title, body = text.post(run.rng)
            yield (pid, tid, run.rng.choice(members[tid]), title, body, run.db(moment))

    run.insert("posts", Post, ["id", "team", "author", "title", "body", "created_at"], rows())
    return posted


def _comments(run: _Run, count: int, posts: list[tuple[int, dt.datetime]], user_ids: list[int]) -> None:
    """Comments on those posts, each written after its post (most within a few days) and never in the future."""
    first = reserve_ids(Comment, count if posts else 0, run.using).start

    def rows() -> Iterator[tuple]:
        for cid in range(first, first + (count if posts else 0)):
            pid, posted = run.rng.choice(posts)
            since = (run.now - posted).total_seconds()
            delay = min(since, run.rng.expovariate(1 / (2 * DAY)) + 300)
            moment = posted + dt.timedelta(seconds=delay)
            yield (cid, pid, run.rng.choice(user_ids), text.comment(run.rng), run.db(moment))

    run.insert("comments", Comment, ["id", "post", "author", "body", "created_at"], rows())


@dataclass(frozen=True)
class _Listed:
    id: int
    team: int
    price: Decimal


def _products(run: _Run, count: int, teams: _Teams) -> list[_Listed]:
    """Products listed just before the activity began, dealt round the teams, at a price for
    their kind and with stock a small shop keeps: a few sold out, some running low."""
    first = reserve_ids(Product, count if teams.ids else 0, run.using).start
    listed: list[_Listed] = []
    rows = []
    team_ids = teams.ids
    drawn = 0
    for pid in range(first, first + (count if team_ids else 0)):
        offset = pid - first
        tid = team_ids[offset % len(team_ids)]
        name, kind, finish = text.product(offset // len(team_ids), tid)
        price = Decimal(run.rng.randint(kind.low, kind.high)) + Decimal(run.rng.choice((0, 0, 0, 50, 95))) / 100
        image = thumbnail = ""
        if run.draw and drawn < images.LIMIT:
            image, thumbnail = run.picture(images.store_product_images, pid, kind.noun, text.FINISH_COLOURS[finish])
            drawn += 1
        listed.append(_Listed(pid, tid, price))
        rows.append(
            (
                pid,
                tid,
                name,
                slugify(name, allow_unicode=True),
                text.product_description(name, kind, teams.names[tid], run.rng),
                price,
                _stock(run.rng),
                image,
                thumbnail,
                run.db(run.ago(HISTORY_DAYS, HISTORY_DAYS + 10)),
            )
        )
    columns = ["id", "team", "name", "slug", "description", "price", "stock", "image", "thumbnail", "created_at"]
    run.insert("products", Product, columns, rows)
    return listed


def _stock(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.1:
        return 0
    if roll < 0.3:
        return rng.randint(1, 9)
    return rng.randint(10, 250)


def _orders(run: _Run, count: int, products: list[_Listed], user_ids: list[int]) -> None:
    """Orders of one item each, more of them in recent weeks, in batches with their items."""
    placed = count if products else 0
    first_order, first_item = (
        reserve_ids(Order, placed, run.using).start,
        reserve_ids(OrderItem, placed, run.using).start,
    )
    items: list[tuple[int, int, int, int, Decimal]] = []

    def orders() -> Iterator[tuple]:
        item_id = first_item
        for oid in range(first_order, first_order + (count if products else 0)):
            product = run.rng.choice(products)
            quantity = run.rng.choices(QUANTITIES, cum_weights=QUANTITY_CUMULATIVE)[0]
            items.append((item_id, oid, product.id, quantity, product.price))
            item_id += 1
            total = product.price * quantity
            yield (oid, run.rng.choice(user_ids), product.team, Order.Status.PLACED, total, run.db(run.recent()), "")

    # Each batch of orders goes in before its items: one COPY at a time per connection,
    # and the items' foreign keys then point at rows that exist.
    run.report.rows.setdefault("orders", 0)
    run.report.rows.setdefault("order_items", 0)
    rows = orders()
    while batch := _take(rows, 20_000):
        run.insert("orders", Order, ["id", "user", "team", "status", "total", "created_at", "invoice"], batch)
        run.insert("order_items", OrderItem, ["id", "order", "product", "quantity", "unit_price"], items)
        items.clear()


def _take(iterator: Iterator[tuple], count: int) -> list[tuple]:
    batch = []
    for row in iterator:
        batch.append(row)
        if len(batch) >= count:
            break
    return batch
