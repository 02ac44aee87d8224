"""URL converters that accept only what the database can look up.

Django's ``<int:…>`` takes any run of digits, and a 25-digit id then reaches the database,
which cannot compare it with a ``bigint`` (PostgreSQL: "out of range", SQLite: "too large")
and the page answers 500. ``<id:…>`` matches at most 18 digits, always below 2**63, so a
longer number is simply a page that does not exist: 404.
"""

from __future__ import annotations


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class UnicodeSlugConverter:
    """A slug in any script (``東京-studio``): letters, digits, hyphens and underscores.

    Django's ``<slug:…>`` takes ASCII only, so a team named in another script had no page.
    """

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
