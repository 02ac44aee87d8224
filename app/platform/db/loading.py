"""The loading strategy: how a selector's declared relations are fetched.

A selector says which relations its callers will touch (``Relations``); the
strategy named by ``settings.LOADING_STRATEGY`` decides whether to fetch them up
front. tier0's ``LazyLoading`` ignores the declaration, so templates fetch each
author and team one row at a time (the N+1 the next milestone removes);
tier1's ``EagerLoading`` turns it into ``select_related`` and ``prefetch_related``,
a constant number of queries per page, reading only the columns the page shows.

List pages that only display what they read (the feed, the shop) ask for *rows*
(``load_rows``): eagerly, those are the page's columns as ``Row`` dicts, nested by
relation, never model instances. Building a model instance per row and per joined
relation, and compiling the query that fills them, was half of the feed's time in the
ORM (1.3 ms against 0.67 ms for the same twenty rows as values on this machine).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import FileField, Model, Prefetch, QuerySet

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


class Row(dict):
    """One row of a list page: its columns as keys *and* attributes (``post.author.username``
    reads the same in a template, in Python and for an API schema), relations as nested rows.
    ``pk`` is there too, so ``{% url 'post_detail' post.pk %}`` works on a row as on a model."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Rows:
    """``queryset`` read as ``Row``s of ``columns`` (``only`` spelling; each relation's and the
    row's own ``id`` are added). Sliced like a queryset: ``rows[0:21]`` runs one query."""

    def __init__(self, queryset: QuerySet, columns: Sequence[str], relations: Sequence[str]) -> None:
        paths = ("id", *(f"{name}__id" for name in relations), *columns)
        self.paths = tuple(dict.fromkeys(paths))  # in order, once each
        self.queryset = queryset.values_list(*self.paths)
        self.build = _builder(queryset.model, self.paths)  # type: ignore[arg-type]

    def __getitem__(self, window: slice) -> list[Row]:
        build = self.build
        return [build(values) for values in self.queryset[window]]

    def first(self) -> Row | None:
        found = self[0:1]
        return found[0] if found else None


@functools.cache
def _builder(model: type[Model], paths: tuple[str, ...]) -> Callable[[tuple[Any, ...]], Row]:
    """A function from one ``values_list`` tuple to its nested ``Row``, planned once per shape.

    A file column becomes the field's ``FieldFile`` (``product.thumbnail.url`` works); an
    empty relation (a nullable foreign key, its ``id`` ``None``) reads as ``None``, as it
    would on a model, so ``{% if post.editor %}`` means what it says."""
    steps: list[tuple[tuple[str, ...], str, Callable[[Any], Any] | None]] = []
    for path in paths:
        *relations, column = path.split("__")
        owner = model
        for name in relations:
            owner = owner._meta.get_field(name).related_model  # type: ignore[assignment]
        field = owner._meta.get_field(column)
        wrap = None
        if isinstance(field, FileField):
            wrap = functools.partial(_file, field)
        steps.append((tuple(relations), column, wrap))
    nested = sorted({relations for relations, _, _ in steps if relations}, key=len)

    def build(values: tuple[Any, ...]) -> Row:
        row = Row()
        for relations in nested:
            parent = row
            for name in relations[:-1]:
                parent = parent[name]
            parent[relations[-1]] = Row()
        for (relations, column, wrap), value in zip(steps, values, strict=True):
            target = row
            for name in relations:
                target = target[name]
            target[column] = wrap(value) if wrap is not None and value else value
            if column == "id":
                target["pk"] = value
        for relations in reversed(nested):  # innermost first, while their parents are rows
            parent = row
            for name in relations[:-1]:
                parent = parent[name]
            if "id" in parent[relations[-1]] and parent[relations[-1]]["id"] is None:
                parent[relations[-1]] = None
        return row

    return build


def _file(field: FileField, name: str) -> Any:
    return field.attr_class(None, field, name)  # type: ignore[arg-type]


class Window(Protocol):
    """What a page reads rows from: sliced once (``rows[20:41]``), or asked for its first row."""

    def __getitem__(self, window: slice) -> Any: ...

    def first(self) -> Any: ...


class LoadingStrategy(Protocol):
    def apply(self, queryset: QuerySet, relations: Relations, *, every_team: bool = False) -> Any: ...

    def rows(self, queryset: QuerySet, relations: Relations, *, every_team: bool = False) -> Any: ...

    def one(self, queryset: QuerySet, relations: Relations, *, pk: int) -> Any: ...


class LazyLoading:
    """Fetch nothing up front: every relation is loaded when first touched."""

    def apply(self, queryset: QuerySet, relations: Relations, *, every_team: bool = False) -> QuerySet:
        return queryset

    def rows(self, queryset: QuerySet, relations: Relations, *, every_team: bool = False) -> QuerySet:
        """Model instances, each relation fetched when a template first touches it."""
        return queryset

    def one(self, queryset: QuerySet, relations: Relations, *, pk: int) -> Any:
        return queryset.filter(pk=pk).first()


class EagerLoading:
    """Fetch every declared relation up front, in a number of queries independent of page size."""

    def apply(self, queryset: QuerySet, relations: Relations, *, every_team: bool = False) -> QuerySet:
        if relations.select:
            queryset = queryset.select_related(*relations.select)
        if relations.prefetch:
            queryset = queryset.prefetch_related(*relations.prefetch)
        if relations.only:
            queryset = queryset.only(*relations.only)
        return queryset

    def rows(self, queryset: QuerySet, relations: Relations, *, every_team: bool = False) -> QuerySet | Rows:
        """The declared columns as ``Row``s, in one query (every column, as models, if none are declared)."""
        if not relations.only or relations.prefetch:
            return self.apply(queryset, relations)
        return Rows(queryset, relations.only, relations.select)

    def one(self, queryset: QuerySet, relations: Relations, *, pk: int) -> Any:
        return self.apply(queryset.filter(pk=pk), relations).first()


def load(queryset: QuerySet, relations: Relations, *, every_team: bool = False) -> Any:
    """Apply the configured loading strategy to ``queryset``: a ``QuerySet``, or with
    ``every_team`` (a read meant to span every team's rows: the feed, a user's orders) a
    ``Window`` that may gather them from several databases (tier4's shards)."""
    strategy: LoadingStrategy = seam("LOADING_STRATEGY")
    return strategy.apply(queryset, relations, every_team=every_team)


def load_rows(queryset: QuerySet, relations: Relations, *, every_team: bool = False) -> Any:
    """``queryset`` for a page that only displays it: rows, or models where the strategy is lazy
    (a ``Window`` either way: slice it, or ask for its ``first()``)."""
    strategy: LoadingStrategy = seam("LOADING_STRATEGY")
    return strategy.rows(queryset, relations, every_team=every_team)


def load_one(queryset: QuerySet, relations: Relations, *, pk: int) -> Any:
    """The row of ``queryset`` with primary key ``pk``, whichever team's it is, or ``None``: one
    query and its relations' (tier4: on the shard the id was born on, then, for a row whose team
    has moved since, on the others)."""
    strategy: LoadingStrategy = seam("LOADING_STRATEGY")
    return strategy.one(queryset, relations, pk=pk)


def teams_rows_page(queryset: QuerySet, relations: Relations, *, team_id: int | None, page: int, page_size: int) -> Any:
    """A page of ``queryset`` for a list page: every team's rows (tier4: gathered from every
    shard) when ``team_id`` is ``None``, else that team's alone, read where the team's rows live."""
    from app.platform import tenancy
    from app.platform.http.pages import paginate

    if team_id is None:
        return paginate(load_rows(queryset, relations, every_team=True), page=page, page_size=page_size)
    with tenancy.team(team_id):
        rows = load_rows(queryset.filter(team_id=team_id), relations)
        return paginate(rows, page=page, page_size=page_size)
