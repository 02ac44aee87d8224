"""Page-number pagination without ``COUNT(*)``: fetch one row more than the page to learn if there is a next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import QuerySet

from app.platform.errors import DomainError

T = TypeVar("T")

MAX_PAGE_SIZE = 50


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
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def paginate(queryset: QuerySet, *, page: int, page_size: int) -> Page:
    if page < 1:
        raise DomainError("page must be 1 or more.", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise DomainError(f"page_size must be between 1 and {MAX_PAGE_SIZE}.", field="page_size")
    start = (page - 1) * page_size
    rows = list(queryset[start : start + page_size + 1])
    return Page(items=rows[:page_size], number=page, size=page_size, has_next=len(rows) > page_size)


def page_number(raw: str | None) -> int:
    """A ``?page=`` value from a URL; anything that is not a positive number means the first page."""
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1
