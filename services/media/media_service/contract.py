"""The media service's message contract, version 1 (``schema/media-1.json``).

This module is the contract's one reader on both sides: the application builds and checks its
requests with it before they leave, and checks each result before applying it; the service
checks each request before working on it. The JSON Schema file, not this code, is the contract:
another implementation on either side needs only the file.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

CONTRACT = "media/1"
#: Celery task names: the application sends RENDER_TASK to the media queue; the service sends
#: DONE_TASK to the results queue. A new contract version gets new names, served side by side.
RENDER_TASK = "media.v1.render"
DONE_TASK = "media.v1.done"
SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "media-1.json"


class ContractError(ValueError):
    """A message that does not follow the contract: never retried, since it never will."""


@cache
def _validator(definition: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_FILE.read_text())
    return Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}"})


def _check(definition: str, message: Any) -> dict[str, Any]:
    errors = sorted(_validator(definition).iter_errors(message), key=lambda error: list(error.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(part) for part in first.absolute_path) or "(the message)"
        raise ContractError(f"{definition} does not follow {CONTRACT}: at {where}: {first.message}"[:1000])
    return message


def check_request(message: Any) -> dict[str, Any]:
    """The request, unchanged, if it follows the contract; else ``ContractError`` naming the first fault."""
    return _check("request", message)


def check_result(message: Any) -> dict[str, Any]:
    """The result, unchanged, if it follows the contract; else ``ContractError``."""
    return _check("result", message)


def request(*, kind: str, subject: dict[str, Any], output: dict[str, str], **work: Any) -> dict[str, Any]:
    """A checked request: ``work`` is the kind's own part (``invoice={…}`` or ``thumbnail={…}``)."""
    return check_request(
        {"contract": CONTRACT, "id": uuid.uuid4().hex, "kind": kind, "subject": subject, "output": output, **work}
    )


def done(request: dict[str, Any], *, key: str, size: int, content_type: str) -> dict[str, Any]:
    """The result of a request whose file is written at ``key`` in the request's output store."""
    output = {"store": request["output"]["store"], "key": key, "bytes": size, "content_type": content_type}
    return check_result({**_echo(request), "status": "done", "output": output})


def failed(request: dict[str, Any], error: str) -> dict[str, Any]:
    """The result of a request that cannot succeed however often it is tried (a broken image)."""
    return check_result({**_echo(request), "status": "failed", "error": error[:2000]})


def _echo(request: dict[str, Any]) -> dict[str, Any]:
    return {"contract": CONTRACT, "id": request["id"], "kind": request["kind"], "subject": request["subject"]}
