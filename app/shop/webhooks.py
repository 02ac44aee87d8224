"""Signed webhook deliveries: the JSON body and its HMAC-SHA256 signature.

Receivers verify ``X-Milestones-Signature: sha256=<hex>`` over the raw body with
the team's secret, and dedupe on ``X-Milestones-Delivery`` (a retry repeats it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from app.shop.models import Order

SIGNATURE_HEADER = "X-Milestones-Signature"
DELIVERY_HEADER = "X-Milestones-Delivery"
EVENT_HEADER = "X-Milestones-Event"


class WebhookDeliveryError(Exception):
    """The receiver did not accept the delivery; the job fails so it can be retried."""


def order_payload(order: Order) -> dict[str, Any]:
    return {
        "event": "order.created",
        "order": {
            "id": order.pk,
            "team": order.team.slug,
            "user": order.user.username,
            "total": str(order.total),
            "created_at": order.created_at.isoformat(),
            "items": [
                {
                    "product_id": i.product_id,
                    "name": i.product.name,
                    "quantity": i.quantity,
                    "unit_price": str(i.unit_price),
                }
                for i in order.items.all()
            ],
        },
    }


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
