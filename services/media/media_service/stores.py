"""Where the service reads sources and writes results: S3-compatible object storage.

The contract names a logical store (``public``, ``private``); the deployment maps each to a
bucket (``MEDIA_PUBLIC_BUCKET``, ``MEDIA_PRIVATE_BUCKET``). The application, running the same
work in its own process (tiers without the service), passes a store of its own with the same
two methods.
"""

from __future__ import annotations

import os
from typing import Any, Protocol


class StoreUnavailable(RuntimeError):
    """The object store did not answer or refused: the work is retried later."""


class MissingSource(LookupError):
    """The file to work from is not there (deleted since the request was sent): retrying cannot help."""


class Store(Protocol):
    def read(self, store: str, key: str) -> bytes: ...

    def write(self, store: str, key: str, data: bytes, content_type: str) -> str:
        """Write ``data`` and return the key it was written at."""
        ...


class S3Store:
    """Buckets in an S3 API (SeaweedFS here), configured from the environment."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        import boto3
        from botocore.config import Config

        env = os.environ if environ is None else environ
        self.buckets = {"public": env["MEDIA_PUBLIC_BUCKET"], "private": env["MEDIA_PRIVATE_BUCKET"]}
        self.client = boto3.client(
            "s3",
            endpoint_url=env["MEDIA_S3_ENDPOINT"],
            aws_access_key_id=env["MEDIA_S3_ACCESS_KEY"],
            aws_secret_access_key=env["MEDIA_S3_SECRET_KEY"],
            region_name=env.get("MEDIA_S3_REGION", "us-east-1"),
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 2, "mode": "standard"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def read(self, store: str, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer: Any = self.client.get_object(Bucket=self.buckets[store], Key=key)
            return answer["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise MissingSource(f"{store}/{key} is not in the object store") from exc
            raise StoreUnavailable(f"reading {store}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(f"reading {store}/{key}: {exc}") from exc

    def write(self, store: str, key: str, data: bytes, content_type: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.buckets[store], Key=key, Body=data, ContentType=content_type)
        except (BotoCoreError, ClientError) as exc:
            raise StoreUnavailable(f"writing {store}/{key}: {exc}") from exc
        return key
