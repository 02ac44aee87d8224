"""Names people choose (usernames, team and product names): any script, one look, one owner.

A name is normalised (NFKC: full-width ``ｄｅｍｏ`` is ``demo``, ligatures are letters) and
trimmed of invisible characters at its ends; a name with nothing visible is empty; and a
name that mixes scripts with characters that imitate another script's letters (Cyrillic
``о`` in ``demo``) is refused, as django-registration does, with ``confusable_homoglyphs``
(Unicode's confusables data). Written in one script, any script is welcome, and its slug
keeps its letters (``東京-studio``), so its page can be reached.
"""

from __future__ import annotations

import unicodedata

from confusable_homoglyphs import categories, confusables
from django.utils.text import slugify

from app.platform.errors import DomainError
from app.platform.inputs.text import has_control, has_visible, trim


def clean_name(value: str, *, field: str, what: str = "name") -> str:
    """The name as it will be stored, or a ``DomainError`` saying what is wrong with it."""
    name = trim(unicodedata.normalize("NFKC", value))
    if has_control(name) or not has_visible(name):
        raise DomainError(f"Give a {what} with letters or digits.", field=field)
    if _mixes_scripts(name) and confusables.is_dangerous(name):
        raise DomainError(
            f"This {what} mixes alphabets with letters that imitate each other; write it in one alphabet.",
            field=field,
        )
    return name


#: Scripts that are written together (Unicode TS #39, "highly restrictive"): Japanese mixes Han,
#: Hiragana and Katakana, Chinese Han and Bopomofo, Korean Han and Hangul, each with Latin.
WRITTEN_TOGETHER = (
    {"LATIN", "HAN", "HIRAGANA", "KATAKANA"},
    {"LATIN", "HAN", "BOPOMOFO"},
    {"LATIN", "HAN", "HANGUL"},
)


def _mixes_scripts(name: str) -> bool:
    scripts = {categories.alias(char) for char in name if char.isalpha()} - {"COMMON", "INHERITED"}
    return len(scripts) > 1 and not any(scripts <= together for together in WRITTEN_TOGETHER)


def slug_for(name: str) -> str:
    """A URL slug that keeps letters of every script (``東京 Studio`` → ``東京-studio``)."""
    return slugify(name, allow_unicode=True)
