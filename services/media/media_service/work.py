"""One request's work, whoever runs it: the service's worker, or the application in its own
process where the tier has no service. A request that cannot succeed ends in a ``failed``
result; one that might succeed later (the store did not answer) raises, to be retried."""

from __future__ import annotations

import logging
from typing import Any

from media_service import contract, invoice, thumbnail
from media_service.stores import MissingSource, Store

logger = logging.getLogger(__name__)


def perform(request: dict[str, Any], store: Store) -> dict[str, Any]:
    """Do what ``request`` asks and return its result. Raises ``ContractError`` for a request
    that does not follow the contract and ``StoreUnavailable`` when the store did not answer."""
    contract.check_request(request)
    output = request["output"]
    try:
        if request["kind"] == "invoice":
            data, content_type = invoice.render(request["invoice"]), invoice.CONTENT_TYPE
        else:
            spec = request["thumbnail"]
            source = store.read(spec["source"]["store"], spec["source"]["key"])
            made = thumbnail.make(source, width=spec["width"], height=spec["height"], max_pixels=spec["max_pixels"])
            data, content_type = made, thumbnail.CONTENT_TYPE
    except (thumbnail.UnreadableImage, MissingSource) as exc:
        logger.warning("media request %s (%s) failed: %s", request["id"], request["kind"], exc)
        return contract.failed(request, str(exc))
    key = store.write(output["store"], output["key"], data, content_type)
    return contract.done(request, key=key, size=len(data), content_type=content_type)
