"""Uploads held in memory only, for app instances that keep nothing on their disk (tier3).

Django's default handlers spill an upload larger than 2.5 MB to a temporary file. This handler
keeps every upload in memory up to ``FILE_UPLOAD_MAX_MEMORY_SIZE`` and, past that, stops keeping
the bytes while still counting them: the form then sees the upload's real size and refuses it
with its own message (``validate_image_size``), instead of the file silently going missing.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class MemoryOnlyUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received <= settings.FILE_UPLOAD_MAX_MEMORY_SIZE:
            self.buffer.write(raw_data)
        return None  # no handler after this one needs the bytes

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
