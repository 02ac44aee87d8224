"""The JSON API, ``/api/v1/``: schema at ``openapi.json``, interactive docs at ``docs``.

Endpoints are thin: parse, call one selector or service, shape the answer. Refusals
from services (``DomainError``) become 4xx answers with a message and per-field errors.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError

from app.accounts.services import api_token_issue, api_token_revoke, api_tokens_of
from app.analytics.services import page_view_track
from app.api.auth import signed_in, token_or_session
from app.api.inputs import Id, IdempotencyKey, Slug
from app.api.paging import PageQuery, paged
from app.api.rendering import ORJSONRenderer
from app.api.schemas import (
    CommentIn,
    CommentOut,
    DashboardOut,
    ErrorOut,
    FeedOut,
    OrderIn,
    OrderOut,
    OrdersOut,
    PostDetailOut,
    ProductsOut,
    TokenIn,
    TokenOut,
    TokensOut,
)
from app.api.trusted import respond
from app.platform.errors import DomainError
from app.posts.selectors import feed_page, post_detail
from app.posts.services import comment_add
from app.shop.models import Order
from app.shop.selectors import orders_for_user, product_list, team_dashboard
from app.shop.services import order_checkout
from app.teams.selectors import require_owner, team_get

#: The names endpoints give their body and query schemas; not part of a field's path in an error.
PARAMETER_NAMES = {"payload", "query"}

#: Answers any operation may give besides its own, and when: the schema lists them all.
COMMON_ERRORS = {
    "400": "The body is not valid JSON.",
    "415": "The body is not sent as application/json.",
    "422": "A parameter or a field of the body is missing, of the wrong type, or out of range.",
    "429": "Too many requests of this kind (where the tier limits rates): try again after Retry-After seconds.",
}


class MilestonesAPI(NinjaAPI):
    """The API, whose schema also documents the errors every operation can answer (400, 415, 422)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                has_body = "requestBody" in operation
                for status, description in COMMON_ERRORS.items():
                    if status in ("422", "429") or has_body:
                        operation["responses"].setdefault(status, {"description": description, **error})
        return schema


api = MilestonesAPI(
    title="Milestones API", version="1", docs_url="/docs", openapi_url="/openapi.json", renderer=ORJSONRenderer()
)


#: The ``Idempotency-Key`` request header (see ``checkout``).
IDEMPOTENCY_KEY = Header(None, alias="Idempotency-Key")


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    errors = {exc.field: [exc.message]} if exc.field else {}
    response = api.create_response(request, {"detail": exc.message, "errors": errors}, status=exc.status)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:  # a rate limit (429) or a dependency that is down (503)
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        # loc is (where, parameter, field…), e.g. ("body", "payload", "quantity"): keep the field path.
        location = [str(part) for part in error.get("loc", ())[1:]]
        if location and location[0] in PARAMETER_NAMES:
            location = location[1:]
        errors.setdefault(".".join(location) or "request", []).append(error.get("msg", "Invalid value."))
    return api.create_response(request, {"detail": "Invalid input.", "errors": errors}, status=422)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Errors ninja raises itself (a body that is not JSON: 400) keep the documented error body."""
    return api.create_response(request, {"detail": str(exc), "errors": {}}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Authentication required: send a Bearer token or log in.", "errors": {}}, status=401
    )


def _order_out(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "status": order.status,
        "total": order.total,
        "created_at": order.created_at,
        "team": order.team,
        "items": [
            {
                "product_id": i.product_id,
                "product_name": i.product.name,
                "quantity": i.quantity,
                "unit_price": i.unit_price,
            }
            for i in order.lines
        ],
    }


@api.post("/auth/token", response={201: TokenOut, 401: ErrorOut, 409: ErrorOut}, tags=["auth"])
def create_token(request: HttpRequest, payload: TokenIn) -> Status:
    """Exchange a username and password for a bearer token. It works for 30 days, until you
    revoke it, or until your password changes; 409 when you already hold 10."""
    return Status(
        201, {"token": api_token_issue(username=payload.username, password=payload.password, name=payload.name)}
    )


@api.get("/auth/tokens", response={200: TokensOut, 401: ErrorOut}, auth=token_or_session, tags=["auth"])
def list_tokens(request: HttpRequest) -> dict[str, Any]:
    """Your live API tokens (their first characters only), newest first."""
    return {"items": list(api_tokens_of(signed_in(request)))}


@api.delete(
    "/auth/tokens/{token_id}", response={204: None, 401: ErrorOut, 404: ErrorOut}, auth=token_or_session, tags=["auth"]
)
def revoke_token(request: HttpRequest, token_id: Id) -> Status:
    """Revoke one of your tokens; it stops working at once."""
    api_token_revoke(user=signed_in(request), token_id=token_id)
    return Status(204, None)


@api.get("/feed", response=FeedOut, tags=["posts"])
def feed(request: HttpRequest, query: Query[PageQuery]) -> HttpResponse:
    """The public feed, newest first."""
    page = feed_page(page=query.page, page_size=query.page_size)
    page_view_track(request=request)
    return respond(FeedOut, paged(page))


@api.get("/posts/{post_id}", response={200: PostDetailOut, 404: ErrorOut}, tags=["posts"])
def post(request: HttpRequest, post_id: Id) -> Any:
    """One post with its comments."""
    found = post_detail(post_id=post_id)
    page_view_track(request=request, post_id=found.pk)
    comments = list(found.comments.all())
    return {
        "id": found.pk,
        "title": found.title,
        "body": found.body,
        "created_at": found.created_at,
        "author": found.author,
        "team": found.team,
        "comment_count": len(comments),
        "comments": comments,
    }


@api.post(
    "/posts/{post_id}/comments",
    response={201: CommentOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    auth=token_or_session,
    tags=["posts"],
)
def add_comment(request: HttpRequest, post_id: Id, payload: CommentIn) -> Any:
    """Comment on a post as the authenticated user."""
    target = post_detail(post_id=post_id)
    return Status(201, comment_add(author=signed_in(request), post=target, body=payload.body))


@api.get("/products", response=ProductsOut, tags=["shop"])
def products(request: HttpRequest, query: Query[PageQuery]) -> HttpResponse:
    """Every product on sale, by name."""
    page = product_list(page=query.page, page_size=query.page_size)
    return respond(ProductsOut, paged(page))


@api.post(
    "/orders",
    response={201: OrderOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    auth=token_or_session,
    tags=["shop"],
)
def checkout(
    request: HttpRequest,
    payload: OrderIn,
    idempotency_key: IdempotencyKey | None = IDEMPOTENCY_KEY,
) -> Any:
    """Buy a product. 409 when there is not enough stock.

    Send an ``Idempotency-Key`` (any 1–255 visible ASCII characters, e.g. a UUID) to retry
    safely: the same key with the same order answers the order the first request placed, and
    places no other; the same key with a different order is refused (422).
    """
    order = order_checkout(
        user=signed_in(request),
        product_id=payload.product_id,
        quantity=payload.quantity,
        idempotency_key=idempotency_key,
    )
    return Status(201, _order_out(order))


@api.get("/orders", response={200: OrdersOut, 401: ErrorOut}, auth=token_or_session, tags=["shop"])
def orders(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """The authenticated user's orders, newest first, with their items."""
    page = orders_for_user(user=signed_in(request), page=query.page, page_size=query.page_size)
    return paged(page, [_order_out(o) for o in page.items])


@api.get(
    "/teams/{slug}/dashboard",
    response={200: DashboardOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=token_or_session,
    tags=["shop"],
)
def dashboard(request: HttpRequest, slug: Slug) -> Any:
    """Revenue and orders by day for 30 days, top products and recent orders. Owners only."""
    team = team_get(slug=slug)
    require_owner(user=signed_in(request), team=team)
    board = team_dashboard(team=team)
    return {
        "team": team,
        "revenue": board.revenue,
        "order_count": board.order_count,
        "days": board.days,
        "top_products": board.top_products,
        "recent_orders": [{**_order_out(o), "user": o.user} for o in board.recent_orders],
    }
