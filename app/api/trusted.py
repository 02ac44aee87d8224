"""List responses written straight from the rows the app just read, without validating them again.

django-ninja validates whatever a view returns against its response schema, reading every
attribute of every object through a Python wrapper, then dumps the validated model and
encodes that. For a page of twenty posts with their authors and teams the three steps were
a third of the request. The values come from our own columns, whose types the schema
mirrors, so list endpoints answer with :func:`respond` instead: the schema's fields, read
from the source in the schema's order, encoded once by orjson (``app.api.rendering``).
The schema still documents the endpoint; ``tests/api/test_trusted.py`` holds every response
written this way to what validation would have produced.
"""

from __future__ import annotations

import functools
from typing import Any, Literal, get_args, get_origin

from django.http import HttpResponse
from pydantic import BaseModel

from app.api.rendering import JSON_MEDIA_TYPE, encode

Kind = Literal["value", "one", "many"]


@functools.cache
def _plan(schema: type[BaseModel]) -> tuple[tuple[str, Kind, Any, Any], ...]:
    """Each field: its name, whether it holds a value, one nested schema or a list of them, and
    its default (``...`` when required). Refuses schemas whose values are computed (ninja's
    ``resolve_*``) or renamed (aliases): those need validation to be right."""
    if getattr(schema, "_ninja_resolvers", None):
        raise TypeError(f"{schema.__name__} computes fields with resolvers; return it for validation instead")
    plan: list[tuple[str, Kind, Any, Any]] = []
    for name, field in schema.model_fields.items():
        if field.alias not in (None, name):
            raise TypeError(f"{schema.__name__}.{name} is renamed to {field.alias!r}; return it for validation instead")
        annotation = field.annotation
        args = get_args(annotation)
        default = ... if field.is_required() else field.get_default(call_default_factory=True)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            plan.append((name, "one", annotation, default))
        elif get_origin(annotation) is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            plan.append((name, "many", args[0], default))
        else:
            plan.append((name, "value", None, default))
    return tuple(plan)


def shaped(schema: type[BaseModel], source: Any) -> dict[str, Any]:
    """``source``'s values for ``schema``'s fields (attributes, or keys of a dict), nested alike."""
    values: dict[str, Any] = {}
    is_dict = isinstance(source, dict)
    for name, kind, nested, default in _plan(schema):
        if is_dict:
            if name not in source and default is not ...:
                values[name] = default
                continue
            value = source[name]
        else:
            value = getattr(source, name)
        if kind == "one":
            value = shaped(nested, value)
        elif kind == "many":
            value = [shaped(nested, item) for item in value]
        values[name] = value
    return values


def respond(schema: type[BaseModel], source: Any, *, status: int = 200) -> HttpResponse:
    """``source`` as ``schema``'s JSON, unvalidated: for rows the app read itself."""
    return HttpResponse(encode(shaped(schema, source)), content_type=JSON_MEDIA_TYPE, status=status)
