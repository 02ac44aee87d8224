"""The API's request and response shapes (pydantic, via django-ninja)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from ninja import Schema
from pydantic import ConfigDict

from app.api.inputs import BodyId, body_integer, line, text
from app.posts.models import COMMENT_MAX_LENGTH
from app.shop.services import MAX_QUANTITY


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


if TYPE_CHECKING:  # to a type checker they are the values they hold; at run time they also validate
    Username = str
    Password = str
    TokenName = str
    CommentBody = str
    Quantity = int
else:
    Username = line(150, min_length=1)
    Password = line(4096, min_length=1)
    TokenName = line(100)
    CommentBody = text(COMMENT_MAX_LENGTH)
    Quantity = body_integer(ge=1, le=MAX_QUANTITY)


class StrictIn(Schema):
    """A request body read strictly: a string is a string and a number a number, nothing coerced."""

    model_config = ConfigDict(strict=True)


class TokenIn(StrictIn):
    username: Username
    password: Password
    name: TokenName = "API token"


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret


class TokenInfoOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime


class TokensOut(Schema):
    items: list[TokenInfoOut]


class UserOut(Schema):
    id: int
    username: str


class TeamOut(Schema):
    id: int
    name: str
    slug: str


class PostOut(Schema):
    id: int
    title: str
    body: str
    created_at: dt.datetime
    author: UserOut
    team: TeamOut
    comment_count: int


class CommentOut(Schema):
    id: int
    body: str
    created_at: dt.datetime
    author: UserOut


class PostDetailOut(PostOut):
    comments: list[CommentOut]


class CommentIn(StrictIn):
    body: CommentBody


class PageOut(Schema):
    """What every list endpoint answers besides its items (``app.api.paging.paged`` fills it)."""

    page: int
    page_size: int
    has_next: bool


class FeedOut(PageOut):
    items: list[PostOut]


class ProductOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    price: Decimal
    stock: int
    team: TeamOut


class ProductsOut(PageOut):
    items: list[ProductOut]


class OrderIn(StrictIn):
    product_id: BodyId
    quantity: Quantity


class OrderItemOut(Schema):
    product_id: int
    product_name: str
    quantity: int
    unit_price: Decimal


class OrderOut(Schema):
    id: int
    status: str
    total: Decimal
    created_at: dt.datetime
    team: TeamOut
    items: list[OrderItemOut]


class OrdersOut(PageOut):
    items: list[OrderOut]


class DayOut(Schema):
    day: dt.date
    revenue: Decimal
    orders: int


class TopProductOut(Schema):
    product_id: int
    name: str
    quantity: int
    revenue: Decimal


class RecentOrderOut(Schema):
    id: int
    user: UserOut
    total: Decimal
    created_at: dt.datetime
    items: list[OrderItemOut]


class DashboardOut(Schema):
    team: TeamOut
    revenue: Decimal
    order_count: int
    days: list[DayOut]
    top_products: list[TopProductOut]
    recent_orders: list[RecentOrderOut]
