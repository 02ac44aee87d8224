"""Responses written without validation (``app.api.trusted``) are exactly what validation gives."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from ninja import Field, Schema

from app.api.paging import paged
from app.api.rendering import encode
from app.api.schemas import ErrorOut, FeedOut, ProductsOut
from app.api.trusted import respond
from app.posts.selectors import feed_page
from app.shop.selectors import product_list
from tests.factories import CommentFactory, PostFactory, ProductFactory

pytestmark = pytest.mark.django_db


def validated(schema: type[Schema], source: object) -> object:
    """What django-ninja answers for ``source``: validated, dumped, then encoded the same way."""
    return json.loads(encode(schema.model_validate(source).model_dump()))


def test_the_feed_and_products_pages_match_their_validated_form():
    for post in PostFactory.create_batch(4):
        CommentFactory.create_batch(2, post=post)
    ProductFactory.create_batch(3)
    for schema, page in ((FeedOut, feed_page(page=1, page_size=3)), (ProductsOut, product_list(page=1, page_size=2))):
        envelope = paged(page)
        response = respond(schema, envelope)
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content) == validated(schema, envelope)
        assert list(json.loads(response.content)) == ["page", "page_size", "has_next", "items"]


def test_dates_and_decimals_read_as_django_writes_them():
    moment = dt.datetime(2026, 11, 28, 19, 36, 34, 312029, tzinfo=dt.UTC)
    assert json.loads(encode({"at": moment, "price": Decimal("20.00")})) == {
        "at": "2026-11-28T19:36:34.312Z",
        "price": "20.00",
    }
    assert json.loads(encode({"n": 2**70})) == {"n": 2**70}  # past orjson's integers: the fallback


def test_a_missing_optional_field_takes_its_default_and_computed_or_renamed_ones_are_refused():
    assert json.loads(respond(ErrorOut, {"detail": "no"}).content) == {"detail": "no", "errors": {}}

    class Computed(Schema):
        name: str

        @staticmethod
        def resolve_name(obj: object) -> str:
            return "computed"

    class Renamed(Schema):
        name: str = Field(alias="title")

    for schema in (Computed, Renamed):
        with pytest.raises(TypeError, match="validation instead"):
            respond(schema, {"name": "x"})
