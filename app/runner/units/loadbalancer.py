"""HAProxy in front of the app instances (tier2): it polls each instance's ``/readyz`` and
sends requests only to the ready ones.

HAProxy rather than nginx because open-source nginx has no active health checks (it
only notices a dead upstream when a request fails) and changes its pool only by
reloading its configuration, while HAProxy polls ``/readyz`` and takes commands on its
admin socket: ``make deploy`` takes an instance out (``maint``), waits until it has no
requests in flight, restarts it and puts it back, without touching the configuration.
"""

from __future__ import annotations

import csv
import io
import socket
from pathlib import Path

from app.runner import processes, tls
from app.runner.units.kinds import Context, Daemon
from app.runner.units.monitoring import METRICS_SLOTS, exporter_port
from app.runner.units.web import Web
from config import env as project_env

BINARY = "/usr/sbin/haproxy"
BACKEND = "app"


class LoadBalancer(Daemon):
    name = "loadbalancer"
    binary = BINARY
    package = "haproxy"

    def folder(self, ctx: Context) -> Path:
        return ctx.var_dir / "haproxy"

    def admin_socket(self, ctx: Context) -> Path:
        return self.folder(ctx) / "admin.sock"

    def ports(self, ctx: Context) -> list[int]:
        return [ctx.port("WEB_PORT"), ctx.port("TLS_PORT")]

    @staticmethod
    def tls_files(ctx: Context) -> tls.Files:
        """The runner's local CA and the certificate HAProxy presents (``var/tls``)."""
        return tls.Files(ctx.var_dir / "tls")

    def prepare(self, ctx: Context) -> None:
        tls.ensure(self.tls_files(ctx).folder)
        self.folder(ctx).mkdir(parents=True, exist_ok=True)
        self.admin_socket(ctx).unlink(missing_ok=True)
        (self.folder(ctx) / "haproxy.cfg").write_text(self.config(ctx))

    def config(self, ctx: Context) -> str:
        servers = [
            f"    server {instance.name} 127.0.0.1:{instance.port(ctx)} check" for instance in Web().instances(ctx)
        ]
        return "\n".join(
            [
                "global",
                "    maxconn 4096",
                f"    stats socket {self.admin_socket(ctx)} mode 600 level admin",
                "    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets",
                "",
                "defaults",
                "    mode http",
                "    log stdout format raw local0",
                # HAProxy's httplog line, and the request id the app's log lines carry, at its end.
                '    log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc'
                ' %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %ID"',
                "    timeout connect 2s",
                "    timeout client 60s",
                "    timeout server 60s",
                # A request waiting for a free instance gets a 503 after this, not a hang.
                "    timeout queue 30s",
                # A connection refused by one instance is retried on the other at once; from tier3
                # also a GET or HEAD whose instance died holding it (LOAD_BALANCER_RETRY_ON).
                "    retries 2",
                "    option redispatch 1",
                f"    retry-on {ctx.settings.LOAD_BALANCER_RETRY_ON}",
                "",
                "frontend web",
                f"    bind 127.0.0.1:{ctx.port('WEB_PORT')}",
                # TLS ends here, with the certificate from the runner's local CA (var/tls).
                f"    bind 127.0.0.1:{ctx.port('TLS_PORT')} ssl crt {self.tls_files(ctx).server_bundle}"
                " alpn h2,http/1.1",
                # Set, never passed on: whatever a client sent in these headers is replaced, so
                # only HAProxy says whether the request came over HTTPS (SECURE_PROXY_SSL_HEADER).
                "    http-request set-header X-Forwarded-Proto https if { ssl_fc }",
                "    http-request set-header X-Forwarded-Proto http unless { ssl_fc }",
                "    http-request del-header X-Forwarded-Host",
                # A new id for every request, replacing any a client sent: the app logs it on
                # every line the request causes (app.platform.telemetry) and returns it.
                "    unique-id-format %[uuid()]",
                "    http-request set-header X-Request-ID %[unique-id]",
                "    http-request del-header Forwarded",
                "    option forwardfor",
                # Which server software answers is nobody's business outside.
                "    http-response del-header Server",
                # Only requests that are safe to send twice are ever retried after reaching an instance.
                "    http-request disable-l7-retry unless METH_GET || METH_HEAD",
                # The instances' metrics are Prometheus' to read, on their own ports, never a visitor's.
                "    http-request deny deny_status 404 if { path /metrics }",
                f"    default_backend {BACKEND}",
                "",
                *self.metrics_frontend(ctx),
                f"backend {BACKEND}",
                "    balance leastconn",
                # One request per server connection: never reuse a connection gunicorn may be closing.
                "    option http-server-close",
                # Active checks every second: an instance whose /readyz fails three times in a row
                # leaves the pool, two passes bring it back. A check waits up to 3 s, because under
                # load /readyz queues behind the requests the instance is already serving. Only the
                # database counts: a broker outage hits every instance alike and they all survive it.
                "    option httpchk",
                "    http-check send meth GET uri /readyz?only=database ver HTTP/1.1 hdr Host 127.0.0.1",
                "    http-check expect status 200",
                "    timeout check 3s",
                "    default-server inter 1s fall 3 rise 2",
                # From an address of its own, so the instances believe forwarded headers from
                # HAProxy and from no other local client (TRUSTED_PROXIES).
                f"    source {project_env.LOAD_BALANCER_SOURCE}",
                *servers,
                "",
            ]
        )

    def metrics_frontend(self, ctx: Context) -> list[str]:
        """From tier3, HAProxy's own Prometheus exporter (built in: ``prometheus-exporter``) on its
        port of the exporters' block, for the monitoring network only."""
        if not ctx.settings.METRICS:
            return []
        port = exporter_port(ctx, METRICS_SLOTS["loadbalancer"])
        return [
            "frontend metrics",
            f"    bind 127.0.0.1:{port}",
            "    no log",
            "    http-request use-service prometheus-exporter if { path /metrics }",
            "",
        ]

    def command(self, ctx: Context) -> list[str]:
        # -db: stay in the foreground, so the runner owns the process like any other.
        return [BINARY, "-f", str(self.folder(ctx) / "haproxy.cfg"), "-db"]

    def ready(self, ctx: Context) -> bool:
        return processes.http_ok(f"http://127.0.0.1:{ctx.port('WEB_PORT')}/readyz")

    def address(self, ctx: Context) -> str:
        return (
            f"http://127.0.0.1:{ctx.port('WEB_PORT')}/ and https://127.0.0.1:{ctx.port('TLS_PORT')}/ "
            f"(HAProxy → {BACKEND}; CA {self.tls_files(ctx).ca_certificate})"
        )

    def pool(self, ctx: Context) -> AdminSocket:
        """The running HAProxy's pool of app instances, through its admin socket."""
        return AdminSocket(self.admin_socket(ctx))

    def set_state(self, ctx: Context, server: str, state: str) -> None:
        self.pool(ctx).set_state(server, state)

    def servers(self, ctx: Context) -> dict[str, dict[str, str]]:
        return self.pool(ctx).servers()


class AdminSocket:
    """HAProxy's admin socket (https://docs.haproxy.org/2.6/management.html#9.3), for the runner's
    HAProxy and the containers' alike (compose mounts that one's socket folder from var/)."""

    def __init__(self, path: Path, backend: str = BACKEND) -> None:
        self.path = path
        self.backend = backend

    def command(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.path))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def set_state(self, server: str, state: str) -> None:
        """``maint`` (no new requests; those in flight finish) or ``ready``."""
        answer = self.command(f"set server {self.backend}/{server} state {state}").strip()
        if answer:
            raise processes.RunnerError(f"HAProxy refused `set server {server} state {state}`: {answer}")

    def servers(self) -> dict[str, dict[str, str]]:
        """Each instance's row of ``show stat``: ``status`` (UP, DOWN, MAINT), ``scur`` (requests in flight) …"""
        text = self.command("show stat").lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {row["svname"]: row for row in rows if row["pxname"] == self.backend and row["svname"] != "BACKEND"}
