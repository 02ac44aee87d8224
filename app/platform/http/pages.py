"""Page-number pagination without ``COUNT(*)``: fetch one row more than the page to learn if there is a next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from django.db.models import QuerySet

from app.platform.errors import DomainError

if TYPE_CHECKING:
    from app.platform.db.loading import Rows

T = TypeVar("T")

MAX_PAGE_SIZE = 50
#: Deep pages cost a long OFFSET scan, and a page number must fit the database's integers.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def past_the_end(self) -> bool:
        """A page after the last one (empty, and not the first): its page answers 404, saying so
        and linking back to page 1 (``_pager.html``), rather than an empty 200."""
        return self.has_previous and not self.items

    @property
    def status(self) -> int:
        """The HTTP status a page showing this page of rows answers with."""
        return 404 if self.past_the_end else 200

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def paginate(queryset: QuerySet | Rows, *, page: int, page_size: int) -> Page:
    if not 1 <= page <= MAX_PAGE:
        raise DomainError(f"page must be between 1 and {MAX_PAGE}.", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise DomainError(f"page_size must be between 1 and {MAX_PAGE_SIZE}.", field="page_size")
    start = (page - 1) * page_size
    rows = list(queryset[start : start + page_size + 1])
    return Page(items=rows[:page_size], number=page, size=page_size, has_next=len(rows) > page_size)


def page_number(raw: str | None) -> int:
    """A ``?page=`` value from a URL; anything that is not a page number (``1_0``, ``²``, a
    number past ``MAX_PAGE``) means the first page."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PAGE)):
        return min(MAX_PAGE, max(1, int(raw)))
    return 1
