"""What every list endpoint shares: its query (``page``, ``page_size``) and its envelope
(``items`` with ``page``, ``page_size``, ``has_next``; the schema side is ``schemas.PageOut``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ninja import Schema

from app.api.inputs import PageNumber, whole
from app.platform.http.pages import MAX_PAGE_SIZE, Page

if TYPE_CHECKING:
    PageSize = int
else:
    PageSize = whole(ge=1, le=MAX_PAGE_SIZE)


class PageQuery(Schema):
    page: PageNumber = 1
    page_size: PageSize = 20


def paged(page: Page[Any], items: list[Any] | None = None) -> dict[str, Any]:
    """The envelope for ``page``; ``items`` when the page's rows are shaped first (orders)."""
    return {
        "items": page.items if items is None else items,
        "page": page.number,
        "page_size": page.size,
        "has_next": page.has_next,
    }
