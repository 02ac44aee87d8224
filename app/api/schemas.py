"""The API's request and response shapes (pydantic, via django-ninja)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=4096)
    name: str = Field("API token", max_length=100)


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret


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


class CommentIn(Schema):
    body: str = Field(min_length=1, max_length=5000)


class FeedOut(Schema):
    items: list[PostOut]
    page: int
    page_size: int
    has_next: bool


class ProductOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    price: Decimal
    stock: int
    team: TeamOut


class ProductsOut(Schema):
    items: list[ProductOut]
    page: int
    page_size: int
    has_next: bool


class OrderIn(Schema):
    product_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=100)


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


class OrdersOut(Schema):
    items: list[OrderOut]
    page: int
    page_size: int
    has_next: bool


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
