"""A local certificate authority under ``var/tls``, and the load balancer's certificate from it.

HTTPS on a developer's machine needs a certificate the machine's clients can be told to
trust, without trusting anything else: the runner makes its own CA (one per ``var/``
folder, never committed), and from it a certificate for 127.0.0.1, ::1 and localhost that
HAProxy presents. ``curl --cacert var/tls/ca.pem``, ``httpx.get(…, verify="var/tls/ca.pem")``
or a browser told to trust ``ca.pem`` then verify the connection as they would in production,
where a public CA (Let's Encrypt, the cloud's load balancer) takes this one's place.

The CA's key signs nothing but this machine's server certificates (path length 0, key usage
limited to signing certificates); the server certificate is renewed when it nears its end or
when the names it must cover change. Keys are written readable by their owner only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The names the server certificate covers: every way the runner's addresses are written.
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
CA_DAYS = 3650
SERVER_DAYS = 365
#: A server certificate with less left than this is made anew at the next start.
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class Files:
    folder: Path

    @property
    def ca_certificate(self) -> Path:
        """What clients are told to trust."""
        return self.folder / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca-key.pem"

    @property
    def server_bundle(self) -> Path:
        """Certificate then key, in one file: the form HAProxy's ``crt`` takes."""
        return self.folder / "server.pem"


def ensure(folder: Path, names: tuple[str, ...] = LOCAL_NAMES) -> Files:
    """The CA in ``folder`` (made once) and a current server certificate for ``names`` from it."""
    files = Files(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not (files.ca_certificate.exists() and files.ca_key.exists()):
        _make_ca(files)
    if not _server_current(files, names):
        _make_server(files, names)
    return files


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    """Created with mode 0600 from the start, never briefly readable by others."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _make_ca(files: Files) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Milestones local development"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Milestones local CA ({socket.gethostname()})"),
        ]
    )
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(files.ca_key, _pem_key(key))
    files.ca_certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.server_bundle.unlink(missing_ok=True)  # signed by a CA that is gone


def _alternative_names(names: tuple[str, ...]) -> list[x509.GeneralName]:
    found: list[x509.GeneralName] = []
    for name in names:
        try:
            found.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            found.append(x509.DNSName(name))
    return found


def _server_current(files: Files, names: tuple[str, ...]) -> bool:
    """The server certificate exists, was signed by this CA, covers ``names`` and is not near its end."""
    try:
        certificate = x509.load_pem_x509_certificate(files.server_bundle.read_bytes())
        ca = x509.load_pem_x509_certificate(files.ca_certificate.read_bytes())
        certificate.verify_directly_issued_by(ca)
        covered = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (FileNotFoundError, ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    return set(covered) >= set(_alternative_names(names)) and certificate.not_valid_after_utc - _now() > RENEW_BEFORE


def _make_server(files: Files, names: tuple[str, ...]) -> None:
    ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    ca = x509.load_pem_x509_certificate(files.ca_certificate.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(_alternative_names(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    _write_private(
        files.server_bundle,
        certificate.public_bytes(serialization.Encoding.PEM) + _pem_key(key),
    )
