"""Instant queries to the tier's Prometheus (tier3 on): what real traffic did over the last
minutes, across every instance, rather than one process's view."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT_SECONDS = 2.0
#: The range the doctor's rates and quantiles look back over.
WINDOW = "5m"


class PrometheusError(Exception):
    pass


def query(base_url: str, expression: str) -> list[tuple[dict[str, str], float]]:
    """``(labels, value)`` per series; NaN series (no traffic in the window) are left out."""
    url = f"{base_url.rstrip('/')}/api/v1/query?{urllib.parse.urlencode({'query': expression})}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - settings' own URL
            body: dict[str, Any] = json.load(response)
    except (OSError, ValueError) as exc:
        raise PrometheusError(f"Prometheus at {base_url} did not answer: {exc}") from exc
    if body.get("status") != "success":
        raise PrometheusError(f"Prometheus refused {expression!r}: {body.get('error')}")
    results = []
    for series in body["data"]["result"]:
        value = float(series["value"][1])
        if value == value:  # not NaN
            results.append((series["metric"], value))
    return results
