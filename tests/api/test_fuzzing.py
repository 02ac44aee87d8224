"""Property-based testing of the live API from its own OpenAPI schema (schemathesis).

Against the tier as ``make up`` runs it, on its own stack: every operation gets generated
valid and invalid input (any code point, NUL included, numbers of any size, wrong types),
and every answer must pass all of schemathesis's checks — no server error, a status code and
content type the schema documents, a body that matches the schema — including stateful
sequences that follow the links it infers between operations (create an order, read it back).
A fixed seed makes CI's run the same every time.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from app.runner.stack import private_stack
from tests.conftest import stack_folder

pytestmark = pytest.mark.stack

#: Generated cases per operation and phase; with the API's operations this is over 1,000 cases.
EXAMPLES = 50
SEED = 20261129
MIN_CASES = 1000


@pytest.fixture(scope="module")
def fuzzed_stack():
    """The tier on a stack of its own: the fuzzer buys and comments, and no other test should see that."""
    with private_stack(settings.TIER, stack_folder("fuzz")) as stack:
        yield stack


def test_the_api_survives_a_thousand_generated_requests(fuzzed_stack, tmp_path):
    base = fuzzed_stack.url() + "api/v1/"
    token = httpx.post(base + "auth/token", json={"username": "demo", "password": "demo12345"}, timeout=30)
    token.raise_for_status()
    result = subprocess.run(
        [
            str(_schemathesis()),
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            base + "openapi.json",
            "--checks",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(EXAMPLES),
            "--header",
            f"Authorization: Bearer {token.json()['token']}",
            "--request-timeout",
            "20",
            "--report-dir",
            str(tmp_path),
            "--no-color",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=900,
    )
    output = result.stdout + result.stderr
    generated = re.search(r"(\d+) generated", output)
    assert result.returncode == 0, output[-6000:]
    assert generated, output[-2000:]
    assert int(generated.group(1)) >= MIN_CASES, output[-2000:]
    print(f"schemathesis at {settings.TIER}: {generated.group(0)}")


def _schemathesis() -> Path:
    return Path(sys.executable).parent / "schemathesis"
