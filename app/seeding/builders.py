"""Deterministic, realistic data at any milestone's size.

One ``random.Random(seed)`` drives every choice, so the same arguments build the
same rows (timestamps are offsets back from the moment of seeding). Rows go in
through :mod:`app.seeding.bulk`, tens of thousands a second.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connections, transaction
from django.utils import timezone

from app.accounts.models import User
from app.posts.models import Comment, Post
from app.seeding.bulk import bulk_insert, next_id, reset_sequences
from app.shop.models import Order, OrderItem, Product
from app.teams.models import Membership, Team

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed by `make up`; a local demo account
SEEDED_PASSWORD = "password123"  # noqa: S105 - every seeded user's password, for load tests

ADJECTIVES = [
    "bright",
    "quiet",
    "bold",
    "swift",
    "clever",
    "gentle",
    "brave",
    "calm",
    "eager",
    "fancy",
    "golden",
    "lucky",
    "mellow",
    "noble",
    "proud",
    "rapid",
]
NOUNS = [
    "falcon",
    "harbor",
    "meadow",
    "canyon",
    "ember",
    "willow",
    "summit",
    "river",
    "lantern",
    "orchard",
    "compass",
    "beacon",
    "garden",
    "atlas",
]
THINGS = [
    "mug",
    "poster",
    "notebook",
    "tote",
    "sticker",
    "hoodie",
    "print",
    "cap",
    "pin",
    "zine",
    "candle",
    "lamp",
    "scarf",
    "kit",
]
WORDS = [
    "we",
    "shipped",
    "a",
    "new",
    "release",
    "today",
    "with",
    "faster",
    "pages",
    "better",
    "search",
    "and",
    "a",
    "calmer",
    "design",
    "the",
    "team",
    "worked",
    "through",
    "the",
    "weekend",
    "to",
    "fix",
    "the",
    "last",
    "bugs",
    "thanks",
    "to",
    "everyone",
    "who",
    "sent",
    "feedback",
    "next",
    "up",
    "is",
    "a",
    "mobile",
    "app",
    "and",
    "more",
    "ways",
    "to",
    "follow",
    "your",
    "favourite",
    "creators",
]

HISTORY_DAYS = 90


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
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def seed(size: SeedSize, *, seed: int = 42, demo: bool = False, using: str = "default") -> SeedReport:
    """Append ``size`` worth of data; with ``demo``, the demo user owns the first new team."""
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    connection = connections[using]
    adapt = connection.ops.adapt_datetimefield_value
    rows: dict[str, int] = {}

    def when(days: int = HISTORY_DAYS) -> object:
        return adapt(now - dt.timedelta(seconds=rng.randrange(days * 86400)))

    with transaction.atomic(using=using):
        first_user = next_id(User, using)
        user_ids = list(range(first_user, first_user + size.users))
        password = make_password(SEEDED_PASSWORD)
        demo_password = make_password(DEMO_PASSWORD)

        def users():  # type: ignore[no-untyped-def]
            for uid in user_ids:
                is_demo = demo and uid == first_user
                name = DEMO_USERNAME if is_demo else f"user{uid}"
                yield (
                    uid,
                    demo_password if is_demo else password,
                    is_demo,
                    name,
                    "",
                    "",
                    f"{name}@example.com",
                    is_demo,
                    True,
                    when(),
                    "",
                    "",
                )

        rows["users"] = bulk_insert(
            User,
            [
                "id",
                "password",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "avatar",
                "avatar_thumbnail",
            ],
            users(),
            using,
        )

        first_team = next_id(Team, using)
        team_ids = list(range(first_team, first_team + size.teams))
        team_names = {tid: f"{rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS).title()} {tid}" for tid in team_ids}
        if demo and team_ids:
            team_names[first_team] = "Demo Studio"
        rows["teams"] = bulk_insert(
            Team,
            ["id", "name", "slug", "description", "webhook_url", "webhook_secret", "created_at"],
            (
                (tid, name, name.lower().replace(" ", "-"), f"{name} makes things people love.", "", "", when())
                for tid, name in team_names.items()
            ),
            using,
        )

        members: dict[int, list[int]] = {}
        membership_rows = []
        member_pk = next_id(Membership, using)
        for index, tid in enumerate(team_ids):
            owner = user_ids[index % len(user_ids)]
            others = rng.sample(user_ids, k=min(3, len(user_ids)))
            team_members = [owner] + [u for u in dict.fromkeys(others) if u != owner]
            members[tid] = team_members
            for position, uid in enumerate(team_members):
                role = Membership.Role.OWNER if position == 0 else Membership.Role.MEMBER
                membership_rows.append((member_pk, tid, uid, role, when()))
                member_pk += 1
        rows["memberships"] = bulk_insert(
            Membership, ["id", "team", "user", "role", "joined_at"], membership_rows, using
        )

        first_post = next_id(Post, using)
        post_ids = range(first_post, first_post + size.posts)

        def posts():  # type: ignore[no-untyped-def]
            for pid in post_ids:
                tid = rng.choice(team_ids)
                title = " ".join(rng.choices(WORDS, k=rng.randint(3, 7))).capitalize()
                body = " ".join(rng.choices(WORDS, k=rng.randint(30, 80))).capitalize() + "."
                yield (pid, tid, rng.choice(members[tid]), title, body, when())

        rows["posts"] = bulk_insert(Post, ["id", "team", "author", "title", "body", "created_at"], posts(), using)

        first_comment = next_id(Comment, using)
        rows["comments"] = bulk_insert(
            Comment,
            ["id", "post", "author", "body", "created_at"],
            (
                (
                    cid,
                    rng.choice(post_ids),
                    rng.choice(user_ids),
                    " ".join(rng.choices(WORDS, k=rng.randint(5, 25))).capitalize(),
                    when(),
                )
                for cid in range(first_comment, first_comment + (size.comments if size.posts else 0))
            ),
            using,
        )

        first_product = next_id(Product, using)
        products: list[tuple[int, int, Decimal]] = []
        product_rows = []
        for pid in range(first_product, first_product + size.products):
            tid = team_ids[(pid - first_product) % len(team_ids)] if team_ids else None
            if tid is None:
                break
            name = f"{rng.choice(ADJECTIVES).title()} {rng.choice(THINGS)} {pid}"
            price = Decimal(rng.randrange(300, 9000)) / 100
            products.append((pid, tid, price))
            product_rows.append(
                (pid, tid, name, name.lower().replace(" ", "-"), f"A {name.lower()}.", price, 1_000_000, "", "", when())
            )
        rows["products"] = bulk_insert(
            Product,
            ["id", "team", "name", "slug", "description", "price", "stock", "image", "thumbnail", "created_at"],
            product_rows,
            using,
        )

        first_order = next_id(Order, using)
        first_item = next_id(OrderItem, using)
        items: list[tuple[int, int, int, int, Decimal]] = []

        def orders():  # type: ignore[no-untyped-def]
            item_id = first_item
            for oid in range(first_order, first_order + (size.orders if products else 0)):
                pid, tid, price = rng.choice(products)
                quantity = rng.randint(1, 3)
                items.append((item_id, oid, pid, quantity, price))
                item_id += 1
                yield (oid, rng.choice(user_ids), tid, Order.Status.PLACED, price * quantity, when(), "")

        def flush_items() -> None:
            rows["order_items"] = rows.get("order_items", 0) + bulk_insert(
                OrderItem, ["id", "order", "product", "quantity", "unit_price"], items, using
            )
            items.clear()

        # Each batch of orders goes in before its items: one COPY at a time per connection,
        # and the items' foreign keys then point at rows that exist.
        order_rows = orders()
        rows["orders"] = 0
        while batch := _take(order_rows, 20_000):
            rows["orders"] += bulk_insert(
                Order, ["id", "user", "team", "status", "total", "created_at", "invoice"], batch, using
            )
            flush_items()
        rows.setdefault("order_items", 0)

        reset_sequences([User, Team, Membership, Post, Comment, Product, Order, OrderItem], using)
    return SeedReport(rows=rows)


def _take(iterator, count: int) -> list:  # type: ignore[no-untyped-def]
    batch = []
    for row in iterator:
        batch.append(row)
        if len(batch) >= count:
            break
    return batch
