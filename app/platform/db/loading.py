"""The loading strategy: how a selector's declared relations are fetched.

A selector says which relations its callers will touch (``Relations``); the
strategy named by ``settings.LOADING_STRATEGY`` decides whether to fetch them up
front. tier0's ``LazyLoading`` ignores the declaration, so templates fetch each
author and team one row at a time (the N+1 the next milestone removes);
tier1's ``EagerLoading`` turns it into ``select_related`` and ``prefetch_related``,
a constant number of queries per page, reading only the columns the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.db.models import Prefetch, QuerySet

from app.platform.seams import seam


@dataclass(frozen=True)
class Relations:
    """What a page reads beyond the rows themselves."""

    #: Forward foreign keys, joined in the same query when loaded eagerly.
    select: tuple[str, ...] = ()
    #: Reverse or many-valued relations, fetched in one extra query each.
    prefetch: tuple[str | Prefetch, ...] = ()
    #: The columns the page reads (``QuerySet.only`` spelling, ``"author__username"``), when
    #: the rows are wide and the page narrow; empty for every column.
    only: tuple[str, ...] = ()


class LoadingStrategy(Protocol):
    def apply(self, queryset: QuerySet, relations: Relations) -> QuerySet: ...


class LazyLoading:
    """Fetch nothing up front: every relation is loaded when first touched."""

    def apply(self, queryset: QuerySet, relations: Relations) -> QuerySet:
        return queryset


class EagerLoading:
    """Fetch every declared relation up front, in a number of queries independent of page size."""

    def apply(self, queryset: QuerySet, relations: Relations) -> QuerySet:
        if relations.select:
            queryset = queryset.select_related(*relations.select)
        if relations.prefetch:
            queryset = queryset.prefetch_related(*relations.prefetch)
        if relations.only:
            queryset = queryset.only(*relations.only)
        return queryset


def load(queryset: QuerySet, relations: Relations) -> QuerySet:
    """Apply the configured loading strategy to ``queryset``."""
    strategy: LoadingStrategy = seam("LOADING_STRATEGY")
    return strategy.apply(queryset, relations)
