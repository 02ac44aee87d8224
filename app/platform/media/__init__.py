"""Media work (invoice PDFs, thumbnails) behind one seam, ``settings.MEDIA_WORK``.

The work itself belongs to the media service (``services/media``, package ``media_service``),
and travels as its contract's messages whatever the tier:

* ``app.platform.media.in_process.InProcess`` (tier0 to tier2): the job that asks does the
  work in its own process, with the service's code, and applies the result at once;
* ``app.platform.media.service.MediaService`` (tier3 on): the request goes to the service's
  queue and the job is done; the service writes the file to object storage and its result comes
  back as a message (``app.platform.media.results``), applied then. Until it is, the page
  shows the file as being prepared.

Either way the result is applied by ``apply``: the file's key goes into the model's field
(once: a repeated result changes nothing) and the cache topics the request named are invalidated.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import FileField, Model, Q
from media_service import contract

from app.platform import tenancy
from app.platform.caching import invalidate
from app.platform.seams import seam

logger = logging.getLogger(__name__)


class MediaWork(Protocol):
    def submit(self, request: dict[str, Any]) -> None:
        """Have the request done: now, or by the service with its result applied later."""


def file_request(
    instance: Model, field: str, *, kind: str, store: str, filename: str, topics: list[str], **work: Any
) -> dict[str, Any]:
    """A contract request whose file fills ``instance.<field>``, named by the field's ``upload_to``.

    ``store``: ``public`` (read by anyone by URL) or ``private`` (only through the application);
    ``topics``: the cache topics to invalidate once the file is in place; ``work``: the kind's
    own part (``invoice={…}`` or ``thumbnail={…}``).
    """
    model_field = instance._meta.get_field(field)
    assert isinstance(model_field, FileField), f"{field} is not a file field"
    subject = {"model": instance._meta.label_lower, "pk": instance.pk, "field": field, "topics": topics}
    if (team_id := tenancy.current_team_id()) is not None:
        subject["team"] = team_id  # the result is applied for that team (tier4: on its shard)
    key = model_field.generate_filename(instance, filename)
    return contract.request(kind=kind, subject=subject, output={"store": store, "key": key}, **work)


def submit(request: dict[str, Any]) -> None:
    backend: MediaWork = seam("MEDIA_WORK")
    backend.submit(request)


def apply(result: dict[str, Any]) -> bool:
    """Put a result's file in its place; ``True`` if this call filled the field.

    Raises ``contract.ContractError`` for a message that is not a result, or whose subject
    names no file field of ours.
    """
    contract.check_result(result)
    subject = result["subject"]
    try:
        model = apps.get_model(subject["model"])
        field = model._meta.get_field(subject["field"])
    except (KeyError, LookupError, ValueError, FieldDoesNotExist) as exc:
        raise contract.ContractError(f"result {result['id']}: its subject names nothing here: {subject}") from exc
    if not isinstance(field, FileField):
        raise contract.ContractError(f"result {result['id']}: {subject['model']}.{subject['field']} holds no file")
    if result["status"] == "failed":
        logger.warning(
            "media %s for %s %s failed: %s", result["kind"], subject["model"], subject["pk"], result["error"]
        )
        return False
    empty = Q(**{field.name: ""}) | Q(**{f"{field.name}__isnull": True})
    with tenancy.team(subject.get("team")):
        rows = model._default_manager.filter(empty, pk=subject["pk"])
        filled = rows.update(**{field.name: result["output"]["key"]})
    for topic in subject.get("topics", []):
        invalidate(topic)
    return bool(filled)
