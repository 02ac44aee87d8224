"""``{% load reuse %}{% reuse post %}…{% endreuse %}``: a fragment rendered once per distinct value.

The feed renders the same twenty post cards for every visitor, ~35 µs each in Django's
template engine; most of a feed page. A card is a function of the row it shows (and of the
language, time zone and URL configuration it is rendered in), so this tag remembers each
rendering under exactly those inputs and serves it again while none of them changes: a
new comment changes ``comment_count``, so the card is rendered afresh. Nothing expires and
nothing needs invalidating; a bounded memo (least recently used go first) per process.

What makes this safe is what the fragment *cannot* see: its body renders in a context holding
only the named variables, so a card cannot show one visitor's name or CSRF token to the next
(``{{ user }}`` inside it is empty). A tag inside that reads the request itself must have
what it reads in the key, as ``{% url %}``'s URL configuration is. Values that are not plain
data (model instances, whose relations a template may load lazily, as tier0 does) are
rendered every time, unremembered.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import threading
from decimal import Decimal
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.db.models.fields.files import FieldFile
from django.template.base import FilterExpression, Node, NodeList, Parser, Token
from django.template.context import Context
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from app.web.templatetags.memo_url import url_setting

register = template.Library()

MAX_FRAGMENTS = 4096
_ids = itertools.count()


class Unfrozen(Exception):
    """A value that is not plain data: its fragment is rendered, not remembered."""


def frozen(value: Any) -> Any:
    """``value`` as a hashable key of what it holds, or ``Unfrozen``. Rows (dicts) by their items."""
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if isinstance(value, dict):
        return tuple([(key, frozen(item)) for key, item in value.items()])
    if kind is bool:
        return ("bool", value)  # True and 1 are equal keys otherwise
    if isinstance(value, Decimal | float | dt.date):
        return (kind.__name__, str(value))  # 20.0 and 20.00 are equal, and render apart
    if isinstance(value, str | int):
        return (kind.__name__, value)  # a subclass (a SafeString, an enum) may render differently
    if isinstance(value, FieldFile):
        return ("file", value.name)
    if isinstance(value, list | tuple):
        return tuple([frozen(item) for item in value])
    raise Unfrozen(kind.__name__)


class Fragments:
    """The remembered renderings, least recently used first out."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: collections.OrderedDict[tuple, SafeString] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> SafeString | None:
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
            return html

    def put(self, key: tuple, html: SafeString) -> None:
        with self._lock:
            self._items[key] = html
            if len(self._items) > self.limit:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


fragments = Fragments(MAX_FRAGMENTS)


class ReuseNode(Node):
    def __init__(self, nodelist: NodeList, names: list[str], variables: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.names = names
        self.variables = variables
        self.fragment_id = next(_ids)  # not id(self): a reloaded template's node must not inherit

    def render(self, context: Context) -> SafeString:
        values = {name: variable.resolve(context) for name, variable in zip(self.names, self.variables, strict=True)}
        try:
            key = (
                self.fragment_id,
                frozen(list(values.values())),
                context.autoescape,
                timezone.get_current_timezone_name(),
                translation.get_language(),
                url_setting(getattr(context, "request", None)),
            )
        except Unfrozen:
            return self._render(context, values)
        html = fragments.get(key)
        if html is None:
            html = self._render(context, values)
            fragments.put(key, html)
        return html

    def _render(self, context: Context, values: dict[str, Any]) -> SafeString:
        """The body in a context of only ``values``: nothing about the visitor reaches it."""
        return mark_safe(self.nodelist.render(context.new(values)))  # noqa: S308 - the engine escaped it


@register.tag
def reuse(parser: Parser, token: Token) -> ReuseNode:
    """``{% reuse post %}`` or ``{% reuse product team=product.team %}``: the names the body may read."""
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("{% reuse %} names the values its fragment shows, e.g. {% reuse post %}")
    names, variables = [], []
    for bit in bits:
        name, _, expression = bit.partition("=")
        if not name.isidentifier():
            raise template.TemplateSyntaxError(f"{{% reuse %}}: {bit!r} is not a name or name=value")
        names.append(name)
        variables.append(parser.compile_filter(expression or name))
    nodelist = parser.parse(("endreuse",))
    parser.delete_first_token()
    return ReuseNode(nodelist, names, variables)


def _forget_everything(**kwargs: Any) -> None:
    # Any setting may change what a fragment renders to (MEDIA_URL, formats, time zone…).
    fragments.clear()


setting_changed.connect(_forget_everything, dispatch_uid="reuse-forget-on-settings")
