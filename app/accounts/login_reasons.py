"""Why the log-in page was shown: a sentence for the page a visitor was sent from.

``login_required`` sends a visitor to ``/accounts/login/?next=/orders/``; without a word of
explanation the form looks like a detour. The sentence comes from the URL name of ``next``,
so it names what the visitor was about to do; a ``next`` we do not know gets a plain one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

REASONS = {
    "my_orders": "Log in to see your orders.",
    "order_detail": "Log in to see your order.",
    "invoice": "Log in to download your invoice.",
    "profile": "Log in to see your profile.",
    "post_publish": "Log in to write a post.",
    "post_detail": "Log in to comment.",
    "product_detail": "Log in to buy.",
    "product_new": "Log in to list a product.",
    "team_new": "Log in to create a team.",
    "team_settings": "Log in to change your team's settings.",
    "dashboard": "Log in to see your team's dashboard.",
    "password_change": "Log in to change your password.",
}
DEFAULT = "Log in to continue."


def login_reason(next_url: str) -> str:
    """The sentence for ``next_url`` (already checked safe by the log-in view), or "" without one."""
    if not next_url:
        return ""
    try:
        name = resolve(urlsplit(next_url).path).url_name
    except Resolver404:
        return DEFAULT
    return REASONS.get(name or "", DEFAULT)
