"""Responses built without validation (``app.api.trusted``) are exactly what validation gives."""

from __future__ import annotations

import pytest
from ninja import Schema

from app.api.paging import paged
from app.api.schemas import ErrorOut, FeedOut, ProductsOut
from app.api.trusted import built
from app.posts.selectors import feed_page
from app.shop.selectors import product_list
from tests.factories import CommentFactory, PostFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_the_feed_and_products_pages_match_their_validated_form():
    for post in PostFactory.create_batch(4):
        CommentFactory.create_batch(2, post=post)
    ProductFactory.create_batch(3)
    for schema, page in ((FeedOut, feed_page(page=1, page_size=3)), (ProductsOut, product_list(page=1, page_size=2))):
        envelope = paged(page)
        fast = built(schema, envelope)
        assert isinstance(fast, schema)
        assert fast.model_dump(mode="json") == schema.model_validate(envelope).model_dump(mode="json")


def test_a_missing_optional_field_takes_its_default_and_a_computed_one_is_refused():
    assert built(ErrorOut, {"detail": "no"}).model_dump() == {"detail": "no", "errors": {}}

    class Computed(Schema):
        name: str

        @staticmethod
        def resolve_name(obj: object) -> str:
            return "computed"

    with pytest.raises(TypeError, match="resolvers"):
        built(Computed, {"name": "x"})
