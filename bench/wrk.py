"""Drive load with wrk against 127.0.0.1 and read back a JSON summary from its Lua ``done`` hook."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

SUMMARY = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"errors":%d,"non_2xx":%d,' ..
    '"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"mean_ms":%.3f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000))
end
"""


class WrkMissing(RuntimeError):
    pass


class NoRequests(RuntimeError):
    """A run completed no request, so no rate or ratio can be computed from it."""


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    errors: int
    non_2xx: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> int:
        return self.requests - self.non_2xx


def run(
    url: str, *, seconds: float, connections: int = 8, threads: int = 2, lua: str = "", timeout: str = "10s"
) -> Load:
    """Load ``url`` for ``seconds``; ``lua`` may set ``wrk.method``, ``wrk.body``, ``wrk.headers``."""
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"benchmarks only load this machine, not {host}")
    if shutil.which("wrk") is None:
        raise WrkMissing("wrk is not installed: `sudo apt-get install wrk` brings it.")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + "\n" + SUMMARY)
    try:
        result = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{max(1, round(seconds))}s",
                "--timeout",
                timeout,
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next((line for line in result.stdout.splitlines() if line.startswith("WRKJSON ")), None)
    if line is None:
        raise NoRequests(f"wrk printed no summary for {url}:\n{result.stdout[-500:]}{result.stderr[-500:]}")
    data = json.loads(line.removeprefix("WRKJSON "))
    return Load(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["errors"],
        non_2xx=data["non_2xx"],
        p50_ms=data["p50_ms"],
        p95_ms=data["p95_ms"],
        p99_ms=data["p99_ms"],
        mean_ms=data["mean_ms"],
    )


def post_json(body: str, token: str, *, pause_ms: int = 0) -> str:
    """Lua that turns every request into an authenticated JSON POST, each connection pausing
    ``pause_ms`` between its requests (a customer, not a flood)."""
    return (
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        + (f"delay = function() return {pause_ms} end\n" if pause_ms else "")
    )
