"""The loading strategy under sharding: relations that cross the split read from their own
database, and reads that span every team gathered from every shard.

A post on a shard names its author and team, which live on the control database: they cannot
be joined. Where tier1's ``EagerLoading`` joins a declared relation (``select_related``), this
strategy joins it only when both sides live on the same database (a comment's post, an order's
items' products) and otherwise reads the related rows in one query more, by id, from their own
database (the control database's replica): a constant number of queries per page still.

A read declared to span every team (``load(…, every_team=True)``: the feed, the catalogue, a
user's orders) made for no team in particular is run on each shard and merged by the query's
own ordering (``FannedOut``): page *p* asks each shard for its first *p* pages' rows, so deep
pages cost more, which the feed's ``MAX_PAGE`` bounds. Inside a team's context the same read
goes to that team's shard alone.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from django.db.models import ForeignKey, Model, Prefetch, QuerySet

from app.platform.db.loading import EagerLoading, Relations, Row, Rows, _builder
from app.platform.sharding import directory, routing, schema
from app.platform.tenancy import current_team_id


def crosses(model: type[Model], name: str) -> bool:
    """Whether ``model``'s forward relation ``name`` points at a row on another kind of database."""
    field = model._meta.get_field(name)
    related = field.related_model
    return (
        isinstance(field, ForeignKey)
        and related is not None
        and routing.is_team_scoped(model) != routing.is_team_scoped(related)
    )


def _localize(queryset: QuerySet) -> QuerySet:
    """``queryset`` with its crossing ``select_related`` turned into prefetches."""
    selected = queryset.query.select_related
    if not isinstance(selected, dict):
        return queryset
    crossing = [name for name in selected if crosses(queryset.model, name)]
    if not crossing:
        return queryset
    local = [name for name in selected if name not in crossing]
    queryset = queryset.select_related(None)
    if local:
        queryset = queryset.select_related(*local)
    return queryset.prefetch_related(*crossing)


def split(model: type[Model], relations: Relations) -> tuple[Relations, tuple[str, ...]]:
    """``relations`` as this database can join them, and the crossing relations to read apart."""
    remote = tuple(name for name in relations.select if crosses(model, name.split("__")[0]))
    prefetch = tuple(
        Prefetch(p.prefetch_through, queryset=_localize(p.queryset), to_attr=p.to_attr)
        if isinstance(p, Prefetch) and p.queryset is not None
        else p
        for p in relations.prefetch
    )
    only = tuple(path for path in relations.only if path.split("__")[0] not in remote)
    local = Relations(
        select=tuple(name for name in relations.select if name not in remote),
        prefetch=prefetch,
        only=(*only, *remote) if relations.only else (),
    )
    return local, remote


def _fans_out(model: type[Model], every_team: bool) -> bool:
    return every_team and routing.is_team_scoped(model) and current_team_id() is None and not routing.pinned()


class RemoteRows(Rows):
    """``Rows`` whose crossing relations' columns are read from their own database, by id."""

    def __init__(self, queryset: QuerySet, relations: Relations) -> None:
        model = queryset.model
        self.ordering = _ordering(queryset)
        self.remote: dict[str, tuple[type[Model], tuple[str, ...]]] = {}
        local_columns = []
        for path in relations.only:
            head, _, rest = path.partition("__")
            if rest and crosses(model, head):
                related: type[Model] = model._meta.get_field(head).related_model
                self.remote.setdefault(head, (related, ()))
                self.remote[head] = (related, (*self.remote[head][1], rest))
            else:
                local_columns.append(path)
        super().__init__(queryset, local_columns, relations.select)

    def fetch(self, window: slice) -> list[Row]:
        """The rows' own columns, from the database the queryset is routed to."""
        return Rows.__getitem__(self, window)

    def attach(self, rows: list[Row]) -> list[Row]:
        """Fill each crossing relation's columns, one query per relation."""
        for name, (related, columns) in self.remote.items():
            ids = {row[name]["id"] for row in rows if row.get(name)}
            if not ids:
                continue
            build = _builder(related, ("id", *columns))
            found = {
                values[0]: build(values)
                for values in related._default_manager.filter(pk__in=ids).values_list("id", *columns)
            }
            for row in rows:
                if row.get(name) and row[name]["id"] in found:
                    row[name].update(found[row[name]["id"]])
        return rows

    def __getitem__(self, window: slice) -> list[Row]:
        return self.attach(self.fetch(window))


class FannedOut:
    """A read over every shard, merged by its ordering; sliced like a queryset."""

    def __init__(self, source: QuerySet | RemoteRows) -> None:
        self.source = source
        self.ordering = source.ordering if isinstance(source, RemoteRows) else _ordering(source)

    def __getitem__(self, window: slice) -> list[Any]:
        start, stop = window.start or 0, window.stop
        gathered: list[Any] = []
        for _alias in routing.each_shard():
            if isinstance(self.source, RemoteRows):
                gathered += self.source.fetch(slice(0, stop))
            else:
                gathered += list(self.source[0:stop] if stop is not None else self.source)
        for field in reversed(self.ordering):  # stable sorts, last key first
            name = field.lstrip("-")
            gathered.sort(key=_key(name), reverse=field.startswith("-"))
        picked = gathered[start:stop]
        return self.source.attach(picked) if isinstance(self.source, RemoteRows) else picked

    def first(self) -> Any:
        found = self[0:1]
        return found[0] if found else None

    def __iter__(self) -> Any:
        return iter(self[0:None])


def _ordering(queryset: QuerySet) -> tuple[str, ...]:
    order = tuple(str(field) for field in queryset.query.order_by)
    if order or not queryset.query.default_ordering:
        return order
    return tuple(queryset.model._meta.ordering or ())


def _key(name: str) -> Any:
    path = name.replace("__", ".")
    if name == "pk":
        path = "pk"
    getter = attrgetter(path)

    def key(row: Any) -> Any:
        return getter(row)

    return key


class ShardedLoading(EagerLoading):
    """``EagerLoading`` that never joins across databases, and fans out reads over every team."""

    def apply(self, queryset: QuerySet, relations: Relations, *, every_team: bool = False) -> Any:
        local, remote = split(queryset.model, relations)
        queryset = super().apply(queryset, local)
        if remote:
            queryset = queryset.prefetch_related(*remote)
        return FannedOut(queryset) if _fans_out(queryset.model, every_team) else queryset

    def one(self, queryset: QuerySet, relations: Relations, *, pk: int) -> Any:
        """Asked of the shard the id was born on first (its range says which): a row stays there
        unless its team moved, so the other shards are asked only when it is not found there."""
        if not _fans_out(queryset.model, every_team=True):
            return super().one(queryset, relations, pk=pk)
        born = schema.born_on(pk)
        for alias in sorted(directory.shards(), key=lambda alias: alias != born):
            with routing.on_shard(alias):
                found = self.apply(queryset.filter(pk=pk), relations).first()
            if found is not None:
                return found
        return None

    def rows(self, queryset: QuerySet, relations: Relations, *, every_team: bool = False) -> Any:
        if not relations.only or relations.prefetch:
            return self.apply(queryset, relations, every_team=every_team)
        rows = RemoteRows(queryset, relations)
        return FannedOut(rows) if _fans_out(queryset.model, every_team) else rows
