"""The application's side of the media contract: the results it receives (the schema's
examples, as the service sends them) fill the right field once; anything else is refused."""

from __future__ import annotations

import json

import pytest
from media_service import contract

from app.platform import media
from app.shop.models import Order, Product
from tests.factories import ProductFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

EXAMPLES = contract.SCHEMA_FILE.parent / "examples"


def example(name: str, **subject: object) -> dict:
    message = json.loads((EXAMPLES / f"{name}.json").read_text())
    message["subject"].update(subject)
    return message


@pytest.fixture
def order() -> Order:
    return Order.objects.create(user=UserFactory(), team=TeamFactory(), total=10)


def test_a_done_result_fills_the_field_once(order):
    result = example("result-done", pk=order.pk)
    assert media.apply(result) is True
    order.refresh_from_db()
    assert order.invoice.name == "invoices/invoice-42.pdf"
    again = example("result-done", pk=order.pk)
    again["output"]["key"] = "invoices/another.pdf"
    assert media.apply(again) is False  # a repeated result (at-least-once delivery) changes nothing
    order.refresh_from_db()
    assert order.invoice.name == "invoices/invoice-42.pdf"


def test_a_failed_result_leaves_the_field_empty_and_says_why(caplog):
    product = ProductFactory(team=TeamFactory())
    assert media.apply(example("result-failed", pk=product.pk)) is False
    assert not Product.objects.get(pk=product.pk).thumbnail
    assert "cannot identify image file" in caplog.text


def test_a_done_result_invalidates_the_topics_its_request_named(order, monkeypatch):
    invalidated = []
    monkeypatch.setattr(media, "invalidate", invalidated.append)
    media.apply(example("result-done", pk=order.pk, topics=["team:1:orders"]))
    assert invalidated == ["team:1:orders"]


@pytest.mark.parametrize(
    "subject",
    [{"model": "shop.nothing"}, {"model": "nonsense"}, {"field": "total"}, {"field": "no_such_field"}],
    ids=["unknown-model", "malformed-model", "not-a-file", "unknown-field"],
)
def test_a_result_whose_subject_names_no_file_field_is_refused(order, subject):
    with pytest.raises(contract.ContractError):
        media.apply(example("result-done", pk=order.pk, **subject))
    order.refresh_from_db()
    assert not order.invoice


def test_a_message_that_is_not_a_result_is_refused(order):
    result = example("result-done", pk=order.pk)
    del result["output"]
    with pytest.raises(contract.ContractError, match="output"):
        media.apply(result)
