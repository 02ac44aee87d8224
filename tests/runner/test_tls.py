"""The runner's local CA: made once, its server certificate verifies for the local names over a
real TLS handshake, is renewed when needed, and its keys are readable by their owner only."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509

from app.runner import tls

pytestmark = pytest.mark.tier_independent


def handshake(files: tls.Files, name: str, client: ssl.SSLContext) -> str:
    """Serve one TLS handshake with the server bundle; connect as ``name``; the protocol agreed."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(files.server_bundle)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def serve() -> None:
            connection, _ = listener.accept()
            try:
                with server_context.wrap_socket(connection, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
                client.wrap_socket(raw, server_hostname=name) as wrapped,
            ):
                return wrapped.version() or ""
        finally:
            thread.join(timeout=5)


def test_the_server_certificate_verifies_against_the_ca_for_every_local_name(tmp_path: Path):
    files = tls.ensure(tmp_path / "tls")
    trusting = ssl.create_default_context(cafile=str(files.ca_certificate))
    for name in tls.LOCAL_NAMES:
        assert handshake(files, name, trusting).startswith("TLSv1.")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(files, "example.com", trusting)  # a name it was not issued for
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(files, "127.0.0.1", ssl.create_default_context())  # the system's CAs do not know it


def test_keys_are_private_and_the_ca_only_signs_certificates(tmp_path: Path):
    files = tls.ensure(tmp_path / "tls")
    assert files.ca_key.stat().st_mode & 0o777 == 0o600
    assert files.server_bundle.stat().st_mode & 0o777 == 0o600
    ca = x509.load_pem_x509_certificate(files.ca_certificate.read_bytes())
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (constraints.ca, constraints.path_length) == (True, 0)
    assert usage.key_cert_sign
    assert not usage.digital_signature


def test_made_once_and_renewed_when_the_names_change_or_the_end_nears(tmp_path: Path, monkeypatch):
    folder = tmp_path / "tls"
    files = tls.ensure(folder)
    ca, server = files.ca_certificate.read_bytes(), files.server_bundle.read_bytes()
    tls.ensure(folder)
    assert (files.ca_certificate.read_bytes(), files.server_bundle.read_bytes()) == (ca, server)
    tls.ensure(folder, (*tls.LOCAL_NAMES, "milestones.localhost"))
    assert files.ca_certificate.read_bytes() == ca
    assert files.server_bundle.read_bytes() != server
    renewed = files.server_bundle.read_bytes()
    monkeypatch.setattr(tls, "RENEW_BEFORE", tls.dt.timedelta(days=tls.SERVER_DAYS + 1))
    tls.ensure(folder, (*tls.LOCAL_NAMES, "milestones.localhost"))
    assert files.server_bundle.read_bytes() != renewed
