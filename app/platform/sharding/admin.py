"""The admin under sharding: staff read team-scoped rows one shard at a time, by explicit choice.

``TeamRowsAdmin`` is what the product's admin classes for team-scoped models derive from. Below
tier4 it is Django's ``ModelAdmin``. In tier4 its list shows one shard at a time (a "shard"
filter in the sidebar, the first shard by default), never a silent merge of some shards; a row's
page is found on whichever shard holds it, and edited there; relations to global rows (a
post's author) are read from the control database instead of joined.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from app.platform.sharding import directory, routing

PARAMETER = "shard"


def sharded() -> bool:
    return bool(getattr(settings, "SHARDING", None))


class ShardFilter(admin.SimpleListFilter):
    title = "shard"
    parameter_name = PARAMETER

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(alias, alias) for alias in directory.shards()]

    def choices(self, changelist: Any) -> Any:
        chosen = self.value() or directory.shards()[0]
        for alias, title in self.lookup_choices:
            yield {
                "selected": alias == chosen,
                "query_string": changelist.get_query_string({self.parameter_name: alias}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset  # the shard is chosen by TeamRowsAdmin's views, around the whole list


class TeamRowsAdmin(admin.ModelAdmin):
    def get_list_filter(self, request: HttpRequest) -> Any:
        found = list(super().get_list_filter(request))
        return [ShardFilter, *found] if sharded() else found

    def get_list_select_related(self, request: HttpRequest) -> Any:
        joined = super().get_list_select_related(request)
        if not sharded() or not isinstance(joined, list | tuple):
            return joined
        return [name for name in joined if not self._crosses(name)]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if sharded() and isinstance(self.list_select_related, list | tuple):
            crossing = [name for name in self.list_select_related if self._crosses(name)]
            queryset = queryset.prefetch_related(*crossing)
        return queryset

    def _crosses(self, name: str) -> bool:
        from app.platform.sharding.loading import crosses

        return crosses(self.model, name.split("__")[0])

    def _chosen(self, request: HttpRequest) -> str:
        chosen = request.GET.get(PARAMETER) or directory.shards()[0]
        if chosen not in directory.shards():
            raise Http404(f"No shard called {chosen!r}.")
        return chosen

    def _holding(self, object_id: str) -> str:
        for alias in routing.each_shard():
            if self.model._default_manager.filter(pk=object_id).exists():
                return alias
        raise Http404(f"No {self.model._meta.verbose_name} with id {object_id} on any shard.")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not sharded():
            return super().changelist_view(request, extra_context)
        with routing.on_shard(self._chosen(request)):
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()  # while the shard is chosen: the template reads the rows
            return response

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not sharded():
            return super().changeform_view(request, object_id, form_url, extra_context)
        alias = self._holding(object_id) if object_id and object_id.isdigit() else self._chosen(request)
        with routing.on_shard(alias):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()
            return response

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        if not sharded():
            return super().delete_view(request, object_id, extra_context)
        with routing.on_shard(self._holding(object_id) if object_id.isdigit() else self._chosen(request)):
            response = super().delete_view(request, object_id, extra_context)
            if hasattr(response, "render"):
                response.render()
            return response
