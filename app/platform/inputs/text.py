"""What counts as text: no control characters, and something visible in it.

The API's input types (``app.api.inputs``) and the services share these rules, so a comment
of only zero-width spaces is empty whether it arrives as JSON or from a form.
"""

from __future__ import annotations

import re

#: C0 controls but tab, newline and carriage return; DEL. NUL is the one a database refuses.
CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
#: Characters that show nothing on their own (beyond whitespace): C1 controls, soft hyphen,
#: zero-width and joiner characters, bidi marks, fillers, variation selectors, the BOM.
INVISIBLE = (
    r"\x80-\x9f\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
_CONTROL_RE = re.compile(f"[{CONTROL}]")
_VISIBLE_RE = re.compile(f"[^\\s{CONTROL}{INVISIBLE}]")
_EDGES_RE = re.compile(f"^[\\s{INVISIBLE}]+|[\\s{INVISIBLE}]+$")


def has_control(value: str) -> bool:
    return bool(_CONTROL_RE.search(value))


def has_visible(value: str) -> bool:
    """Whether ``value`` shows anything: text of only spaces or zero-width characters is empty."""
    return bool(_VISIBLE_RE.search(value))


def trim(value: str) -> str:
    """``str.strip`` that also takes invisible characters off both ends."""
    return _EDGES_RE.sub("", value)
