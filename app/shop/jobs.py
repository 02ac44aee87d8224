"""Side effects of an order, run by the jobs backend after the checkout commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from app.platform import media
from app.platform.db.loading import Relations, load
from app.platform.inputs.images import thumbnail_request
from app.platform.jobs import job
from app.platform.outbound import http as outbound
from app.shop.models import Order

#: What the order's email, invoice and webhook show.
ORDER = Relations(select=("user", "team"), prefetch=("items__product",))


def _order(order_id: int) -> Order:
    """The job's order, read where its team keeps it (the job runs for the order's team)."""
    return load(Order.objects.filter(pk=order_id), ORDER).get()


@job(queue="critical")
def send_order_confirmation(*, order_id: int) -> None:
    order = _order(order_id)
    body = render_to_string("emails/order_confirmation.txt", {"order": order})
    send_mail(f"Your order #{order.pk} from {order.team.name}", body, None, [order.user.email])


@job(queue="default")
def generate_invoice_pdf(*, order_id: int) -> None:
    """Ask the media work (the service from tier3) for the order's PDF; it fills ``Order.invoice``."""
    from app.shop.invoice import invoice_request

    order = _order(order_id)
    if not order.invoice:
        media.submit(invoice_request(order))


@job(queue="default", max_retries=5, timeout=30)
def deliver_order_webhook(*, order_id: int) -> None:
    """POST the order to the team's webhook URL; any non-2xx answer fails the job so it is retried."""
    from app.shop.webhooks import (
        DELIVERY_HEADER,
        EVENT_HEADER,
        SIGNATURE_HEADER,
        WebhookDeliveryError,
        encode,
        order_payload,
        sign,
    )

    order = _order(order_id)
    if not order.team.webhook_url:
        return
    body = encode(order_payload(order))
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, order.team.webhook_secret),
        EVENT_HEADER: "order.created",
        DELIVERY_HEADER: f"order-{order.pk}",
    }
    try:
        answer = outbound.post(
            order.team.webhook_url, body=body, headers=headers, deadline=settings.WEBHOOK_TIMEOUT_SECONDS
        )
    except outbound.OutboundError as exc:
        raise WebhookDeliveryError(str(exc)) from exc
    if not answer.ok:
        raise WebhookDeliveryError(f"{order.team.webhook_url} answered {answer.status}")


@job(queue="default")
def make_product_thumbnail(*, product_id: int) -> None:
    from app.shop.models import Product

    request = thumbnail_request(
        Product.objects.get(pk=product_id), source="image", target="thumbnail", topics=["products"]
    )
    if request:
        media.submit(request)
