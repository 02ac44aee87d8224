"""Response schemas filled from rows the app just read, without validating them again.

django-ninja validates whatever a view returns against its response schema, reading every
attribute of every object through a Python wrapper (``DjangoGetter``): for a page of twenty
posts with their authors and teams that was about a third of the request. The values come
from our own columns, whose types the schema mirrors, so list endpoints build their response
with :func:`built` instead (``model_construct``, recursively); ninja then only serializes it
(it skips validation for an instance of the response schema). ``tests/api/test_trusted.py``
holds every schema built this way to what validation would have produced.
"""

from __future__ import annotations

import functools
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel

S = TypeVar("S", bound=BaseModel)
Kind = Literal["value", "one", "many"]


@functools.cache
def _plan(schema: type[BaseModel]) -> tuple[tuple[str, Kind, Any, bool], ...]:
    """Each field: its name, whether it holds a value, one nested schema or a list of them, and
    whether it is required. Refuses schemas whose values are computed (ninja's ``resolve_*``)."""
    if getattr(schema, "_ninja_resolvers", None):
        raise TypeError(f"{schema.__name__} computes fields with resolvers; return it for validation instead")
    plan: list[tuple[str, Kind, Any, bool]] = []
    for name, field in schema.model_fields.items():
        annotation = field.annotation
        args = get_args(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            plan.append((name, "one", annotation, field.is_required()))
        elif get_origin(annotation) is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            plan.append((name, "many", args[0], field.is_required()))
        else:
            plan.append((name, "value", None, field.is_required()))
    return tuple(plan)


def built(schema: type[S], source: Any) -> S:
    """An instance of ``schema`` holding ``source``'s attributes (or keys, for a dict), unvalidated."""
    values: dict[str, Any] = {}
    is_dict = isinstance(source, dict)
    for name, kind, nested, required in _plan(schema):
        if is_dict:
            if name not in source and not required:
                continue  # the schema's default
            value = source[name]
        else:
            value = getattr(source, name)
        if kind == "one":
            value = built(nested, value)
        elif kind == "many":
            value = [built(nested, item) for item in value]
        values[name] = value
    return schema.model_construct(**values)
