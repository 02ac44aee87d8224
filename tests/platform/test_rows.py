"""``Row``s, what list pages read from tier1 (``app.platform.db.loading``): nested like the models
they stand for, files as files, an empty relation as ``None``."""

from __future__ import annotations

import pytest
from django.db.models.fields.files import FieldFile

from app.analytics.models import PageView
from app.platform.db.loading import Row, _builder
from app.shop.models import Product


def test_a_row_reads_by_key_and_by_attribute_and_refuses_what_it_lacks():
    row = Row(id=3, pk=3, title="t", author=Row(id=1, pk=1, username="ann"))
    assert (row.title, row["title"], row.author.username) == ("t", "t", "ann")
    with pytest.raises(AttributeError):
        row.missing  # noqa: B018 - the attribute read is the test
    assert not hasattr(row, "missing")


def test_an_empty_relation_is_none_and_a_present_one_a_row():
    build = _builder(PageView, ("id", "post__id", "post__title", "user__id", "user__username"))
    row = build((1, None, None, 5, "ann"))
    assert row.post is None
    assert row.user == {"id": 5, "pk": 5, "username": "ann"}
    assert (row.pk, row.user.pk) == (1, 5)


def test_a_file_column_is_a_file_with_a_url_and_an_empty_one_stays_empty():
    build = _builder(Product, ("id", "thumbnail"))
    thumbnail = build((1, "products/thumbs/a.jpg")).thumbnail
    assert isinstance(thumbnail, FieldFile)
    assert thumbnail.url.endswith("/products/thumbs/a.jpg")
    assert not build((2, "")).thumbnail
