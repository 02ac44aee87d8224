"""The shapes of everything the API reads from outside, with the limits the database can hold.

Classes of input, not cases: every whole number (path, query or body) is range-checked to
what a ``bigint`` column holds and written with ASCII digits only (``1_0`` and ``true`` are
not 10 and 1); every string is bounded in length and refuses control characters (NUL above
all: PostgreSQL cannot store it); free text must hold something visible. The same rules
appear in the OpenAPI schema, so a client (or a fuzzer) reads exactly what is accepted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StrictStr

from app.platform.http.pages import MAX_PAGE
from app.platform.inputs.text import CONTROL, INVISIBLE, has_control, has_visible

#: The largest value of PostgreSQL's ``bigint`` (and SQLite's integer): every id fits.
BIGINT_MAX = 2**63 - 1

NO_CONTROL = f"^[^{CONTROL}]*$"
VISIBLE = f"^[^{CONTROL}]*[^\\s{CONTROL}{INVISIBLE}][^{CONTROL}]*$"


def _digits(value: object) -> object:
    """A whole number from a URL (a string of ASCII digits) or from JSON (an integer, not a boolean)."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 100:
        return int(value)
    raise ValueError("must be a whole number written with the digits 0-9")


def _no_control(value: str) -> str:
    if has_control(value):
        raise ValueError("must not contain control characters")
    return value


def _visible(value: str) -> str:
    if not has_visible(value):
        raise ValueError("must not be empty or invisible")
    return value


def whole(*, ge: int, le: int) -> object:
    """A whole number in a path or query string, from ``ge`` to ``le``."""
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_digits)]


def _json_integer(value: object) -> object:
    """A JSON integer: ``5`` or ``5.0`` (the same number in JSON), never ``true`` or ``"5"``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be a whole number")
        return int(value)
    return value


def body_integer(*, ge: int, le: int) -> object:
    """A whole number in a JSON body, from ``ge`` to ``le``."""
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_json_integer)]


if TYPE_CHECKING:  # to a type checker they are the values they hold; at run time they also validate
    Id = int
    PageNumber = int
    BodyId = int
else:
    Id = whole(ge=1, le=BIGINT_MAX)
    PageNumber = whole(ge=1, le=MAX_PAGE)
    BodyId = body_integer(ge=1, le=BIGINT_MAX)


def line(max_length: int, *, min_length: int = 0) -> object:
    """A string of at most ``max_length`` characters and no control characters."""
    return Annotated[
        StrictStr,
        # The pattern is for the schema; the validators say what is wrong in words.
        Field(min_length=min_length, max_length=max_length, json_schema_extra={"pattern": NO_CONTROL}),
        AfterValidator(_no_control),
    ]


def text(max_length: int) -> object:
    """Free text: no control characters, and something visible in it."""
    return Annotated[
        StrictStr,
        Field(min_length=1, max_length=max_length, json_schema_extra={"pattern": VISIBLE}),
        AfterValidator(_no_control),
        AfterValidator(_visible),
    ]


#: A team's slug in a path: letters (any script), digits, hyphens and underscores.
Slug = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[-\w]+$")]
#: A client's idempotency key: visible ASCII, as a header can carry it.
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")]
