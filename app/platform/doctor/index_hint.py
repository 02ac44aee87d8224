"""A likely index for a statement, read from its text: the columns it filters on by equality
first, then by range, then the ones it orders by — the order a b-tree can use them in.

A hint, not a planner: it reads Django's quoting (``"table"."column"``) as pg_stat_statements
stores it, and stays quiet when an index already leads with the first of those columns.
"""

from __future__ import annotations

import re

EQUALITY = ("=", "IN", "= ANY")
RANGE = (">=", "<=", ">", "<", "BETWEEN")


def likely_index(statement: str, table: str, indexed: list[list[str]]) -> str | None:
    quoted = re.escape(f'"{table}"')
    where, _, order_by = statement.partition(" ORDER BY ")
    where = where.split(" WHERE ", 1)[1] if " WHERE " in where else ""
    equal: list[str] = []
    ranged: list[str] = []
    for column, operator in re.findall(quoted + r'\."(\w+)"\s*(= ANY|=|IN\b|>=|<=|>|<|BETWEEN\b)', where, re.I):
        target = equal if operator.upper() in EQUALITY else ranged
        if column not in equal + ranged:
            target.append(column)
    ordered = [c for c in re.findall(quoted + r'\."(\w+)"', order_by.split(" LIMIT ")[0]) if c not in equal + ranged]
    columns = [*equal, *ranged[:1], *ordered]
    if not columns or (columns[0] == "id" and len(columns) == 1):
        return None
    if any(index and index[0] == columns[0] for index in indexed):
        return None
    name = f"{table}_{'_'.join(columns)}"[:63]
    return f"CREATE INDEX CONCURRENTLY {name} ON {table} ({', '.join(columns)})"
