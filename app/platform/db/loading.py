"""The loading strategy: how a selector's declared relations are fetched.

A selector says which relations its callers will touch (``Relations``); the
strategy named by ``settings.LOADING_STRATEGY`` decides whether to fetch them up
front. tier0's ``LazyLoading`` ignores the declaration, so templates fetch each
author and count one row at a time (the N+1 the next milestone removes);
tier1's ``EagerLoading`` turns it into ``select_related``, ``prefetch_related``
and ``COUNT`` annotations, a constant number of queries per page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db.models import Count, IntegerField, Model, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.fields.reverse_related import ForeignObjectRel
from django.db.models.functions import Coalesce

from app.platform.seams import seam


@dataclass(frozen=True)
class Relations:
    """What a page reads beyond the rows themselves."""

    #: Forward foreign keys, joined in the same query when loaded eagerly.
    select: tuple[str, ...] = ()
    #: Reverse or many-valued relations, fetched in one extra query each.
    prefetch: tuple[str | Prefetch, ...] = ()
    #: Counts of reverse relations: ``{"comments"}`` → ``n_comments`` via :func:`count_of`.
    counts: frozenset[str] = field(default_factory=frozenset)


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
        if relations.counts:
            queryset = queryset.annotate(
                **{_count_name(name): _counted(queryset.model, name) for name in sorted(relations.counts)}
            )
        return queryset


def _counted(model: type[Model], relation: str) -> Coalesce:
    """``COUNT`` of a reverse relation as a correlated subquery, not ``JOIN … GROUP BY``.

    Grouping would aggregate every row of both tables before ``ORDER BY … LIMIT`` could use
    an index; the subquery runs only for the rows of the page.
    """
    reverse = model._meta.get_field(relation)
    if not isinstance(reverse, ForeignObjectRel):
        raise TypeError(f"{model.__name__}.{relation} is not a reverse relation, so it cannot be counted")
    remote, link = reverse.related_model, reverse.field.name
    rows = remote._default_manager.filter(**{link: OuterRef("pk")}).order_by().values(link)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)


def load(queryset: QuerySet, relations: Relations) -> QuerySet:
    """Apply the configured loading strategy to ``queryset``."""
    strategy: LoadingStrategy = seam("LOADING_STRATEGY")
    return strategy.apply(queryset, relations)


def count_of(obj: Model, relation: str) -> int:
    """The number of related rows: the eager annotation if present, else one ``COUNT`` query."""
    value: Any = obj.__dict__.get(_count_name(relation))
    if value is None:
        value = getattr(obj, relation).count()
    return int(value)


def _count_name(relation: str) -> str:
    return f"n_{relation}"
