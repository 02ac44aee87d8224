"""The media service's side of its contract (``schema/media-1.json``): every example request is
taken and answered with a result the schema allows; anything else is refused by name.

The application's side (what it sends, how it applies results) is tested in
tests/platform/test_media.py against the same schema and examples.
"""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import pytest
from media_service import contract
from media_service.stores import MissingSource
from media_service.work import perform
from PIL import Image

EXAMPLES = contract.SCHEMA_FILE.parent / "examples"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


class MemoryStore:
    """The contract's two stores as dictionaries: the work under test, not a server's."""

    def __init__(self, files: dict[tuple[str, str], bytes] | None = None) -> None:
        self.files = dict(files or {})
        self.types: dict[tuple[str, str], str] = {}

    def read(self, store: str, key: str) -> bytes:
        try:
            return self.files[store, key]
        except KeyError as exc:
            raise MissingSource(f"{store}/{key}") from exc

    def write(self, store: str, key: str, data: bytes, content_type: str) -> str:
        self.files[store, key] = data
        self.types[store, key] = content_type
        return key


def png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(path.stem for path in EXAMPLES.glob("*.json")))
def test_every_example_follows_the_contract(name):
    message = example(name)
    check = contract.check_request if name.startswith("request") else contract.check_result
    assert check(message) == message


def test_an_invoice_request_is_rendered_to_its_key_and_answered():
    request = example("request-invoice")
    store = MemoryStore()
    result = perform(request, store)
    assert contract.check_result(result) == result
    written = store.files["private", "invoices/invoice-42.pdf"]
    assert written.startswith(b"%PDF-")
    assert b"/FontFile2" in written
    assert result["status"] == "done"
    assert result["output"] == {
        "store": "private",
        "key": "invoices/invoice-42.pdf",
        "bytes": len(written),
        "content_type": "application/pdf",
    }
    assert (result["id"], result["subject"]) == (request["id"], request["subject"])  # echoed untouched


def test_a_thumbnail_request_reads_its_source_and_writes_a_small_jpeg():
    request = example("request-thumbnail")
    store = MemoryStore({("public", "products/poster.png"): png((1200, 800))})
    result = perform(request, store)
    assert result["status"] == "done"
    with Image.open(io.BytesIO(store.files["public", "products/thumbs/poster-thumb.jpg"])) as thumb:
        assert thumb.format == "JPEG"
        assert thumb.size == (256, 171)


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ({}, "not in"),  # deleted since the request was sent
        ({("public", "products/poster.png"): b"not an image"}, "not an image we can read"),
        ({("public", "products/poster.png"): png((5000, 4000))}, "too large to decode"),
    ],
    ids=["missing", "unreadable", "too-many-pixels"],
)
def test_a_source_that_can_never_work_is_answered_failed_not_retried(files, error, monkeypatch):
    request = example("request-thumbnail")
    request["thumbnail"]["max_pixels"] = 16_000_000
    if not files:
        monkeypatch.setattr(MemoryStore, "read", _missing)
    result = perform(request, MemoryStore(files))
    assert contract.check_result(result) == result
    assert result["status"] == "failed"
    assert error in result["error"]


def _missing(self, store: str, key: str) -> bytes:
    raise MissingSource(f"{store}/{key} is not in the object store")


def _edit(path: str, value: object) -> dict:
    request = copy.deepcopy(example("request-invoice"))
    *parents, last = path.split(".")
    target = request
    for part in parents:
        target = target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return request


@pytest.mark.parametrize(
    ("request_", "where"),
    [
        (_edit("contract", "media/2"), "contract"),
        (_edit("kind", "video"), "kind"),
        (_edit("invoice", KeyError), "(the message)"),
        (_edit("output.key", "/etc/passwd"), "output/key"),
        (_edit("output.store", "elsewhere"), "output/store"),
        (_edit("invoice.lines", []), "invoice/lines"),
        (_edit("invoice.number", "42"), "invoice/number"),
        (_edit("invoice.surprise", True), "invoice"),
        (_edit("id", "not-hex"), "id"),
    ],
    ids=["version", "kind", "no-invoice", "absolute-key", "store", "no-lines", "number-type", "extra", "id"],
)
def test_a_request_outside_the_contract_is_refused_by_name(request_, where):
    with pytest.raises(contract.ContractError, match=re.escape(f"at {where}:")):
        perform(request_, MemoryStore())


def test_a_request_carrying_both_kinds_is_refused():
    request = example("request-invoice")
    request["thumbnail"] = example("request-thumbnail")["thumbnail"]
    with pytest.raises(contract.ContractError):
        contract.check_request(request)


def test_the_service_imports_nothing_of_the_application(tmp_path):
    """Run from its own folder, as the runner and its image run it: the application is not on
    its path, and loading every module of the service loads nothing from the application's
    folders. (kombu imports Django's ``Promise`` when it finds Django installed, as it is in the
    application's virtualenv; the service's image has no Django at all.)"""
    import subprocess
    import sys

    folder = Path(contract.__file__).resolve().parents[1]
    probe = (
        "import sys, media_service.worker, media_service.work, media_service.__main__\n"
        "leaked = sorted({m.split('.')[0] for m in sys.modules} & {'app', 'config', 'manage'})\n"
        "try:\n    import app\nexcept ImportError:\n    pass\nelse:\n    leaked.append('app importable')\n"
        "print(leaked)\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", probe], cwd=folder, capture_output=True, text=True, env={"PATH": "/usr/bin"}
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "[]"
