"""``{% url %}``, remembering what it reversed: a template builtin (``TEMPLATES`` ``builtins``)
that replaces Django's tag with the same syntax and the same output.

Reversing a URL is a pure function of the URL configuration, the script prefix and the
arguments, yet ``django.urls.reverse`` works it out afresh each time: ~12 µs here, and the
feed reverses 46 URLs a page, two per post, the same ones for every visitor. This tag keeps
the answers for plain arguments (``int`` and ``str``, whose URL text cannot change), keyed by
everything the answer depends on; other arguments (model instances, lazy strings) and
``{% url … as var %}`` go through Django's tag unchanged. The memo is bounded (least recently
used go first) and emptied when ``ROOT_URLCONF`` changes (``override_settings`` in tests).
"""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

PLAIN = (int, str)


class MemoURLNode(URLNode):
    def render(self, context: Context) -> str:
        if self.asvar:
            return super().render(context)
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple((key, value.resolve(context)) for key, value in self.kwargs.items())
        if not all(type(value) in PLAIN for value in (*args, *(value for _, value in kwargs))):
            return super().render(context)
        urlconf, prefix, current_app = url_setting(getattr(context, "request", None))
        url = _reversed(urlconf, prefix, self.view_name.resolve(context), args, kwargs, current_app)
        return conditional_escape(url) if context.autoescape else url


def url_setting(request: Any) -> tuple[str | None, str, str | None]:
    """What a reversed URL depends on besides its arguments: fixed for a request (its URL
    configuration and script prefix are set before the view runs), so read once per request."""
    setting = getattr(request, "_url_setting", None)
    if setting is None:
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        setting = (get_urlconf(), get_script_prefix(), current_app)
        if request is not None:
            request._url_setting = setting
    return setting


@functools.lru_cache(maxsize=8192)
def _reversed(
    urlconf: str | None,
    prefix: str,
    view_name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    current_app: str | None,
) -> str:
    # urlconf and prefix are part of the key only: reverse() reads both from the same place.
    return reverse(view_name, args=args or None, kwargs=dict(kwargs) or None, current_app=current_app)


@register.tag
def url(parser: Parser, token: Token) -> URLNode:
    node = django_url(parser, token)
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)


@receiver(setting_changed)
def _forget_on_new_urlconf(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()
