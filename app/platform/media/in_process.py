"""Media work done by the job that asks for it (tier0 to tier2): no service to run, the same
contract and the same code as the service's, files in the tier's Django storages."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from media_service.stores import MissingSource
from media_service.work import perform

from app.platform.storage import private_storage


class DjangoStore:
    """The contract's two stores as the tier's storages: ``private`` for invoices, ``public`` the rest."""

    @staticmethod
    def _storage(store: str) -> Storage:
        return private_storage() if store == "private" else default_storage

    def read(self, store: str, key: str) -> bytes:
        try:
            with self._storage(store).open(key, "rb") as handle:
                return handle.read()
        except FileNotFoundError as exc:
            raise MissingSource(f"{store}/{key} is not stored") from exc

    def write(self, store: str, key: str, data: bytes, content_type: str) -> str:
        return self._storage(store).save(key, ContentFile(data))


class InProcess:
    def submit(self, request: dict[str, Any]) -> None:
        from app.platform.media import apply

        apply(perform(request, DjangoStore()))
