"""The one row an aggregate query returns (psycopg's ``fetchone`` is typed as maybe ``None``)."""

from __future__ import annotations

from typing import Any

import psycopg


def one(cursor: psycopg.Cursor[Any]) -> tuple[Any, ...]:
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError(f"expected a row from {cursor._query!r}")
    return tuple(row)
