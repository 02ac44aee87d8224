"""Measurements taken inside Django, run as a subprocess with a stack's environment.

``python -m bench.probe queries 5,20,50`` prints the queries one ``GET /api/v1/feed`` costs
at each page size; ``python -m bench.probe orders`` prints how many orders exist.
"""

from __future__ import annotations

import json
import sys

import django


def main() -> None:
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from app.shop.models import Order

    command = sys.argv[1]
    if command == "queries":
        client = Client()
        counts = {}
        for size in [int(s) for s in sys.argv[2].split(",")]:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/api/v1/feed?page_size={size}")
            assert response.status_code == 200, response.status_code
            counts[size] = len(queries)
        print(json.dumps(counts))
    elif command == "orders":
        print(json.dumps(Order.objects.count()))
    else:
        raise SystemExit(f"unknown probe {command!r}")


if __name__ == "__main__":
    main()
