"""podman on this machine: its configuration, the Debian base image, and the project's images.

No Docker engine and no image registry are assumed. podman runs the containers; a base image is
made from Debian's packages with ``debootstrap`` when it is not there yet (about 30 s, then kept
in podman's storage, so every later run, and every later checkout, reuses it); each image is
built on it with ``podman build``, whose layer cache makes a rebuild of unchanged files take
seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.runner.processes import RunnerError

#: The base image every project image is built on when none is given (``BASE_IMAGE``).
LOCAL_BASE = "localhost/debian:bookworm"
#: Where Debian's packages come from when apt's sources name no mirror.
DEFAULT_MIRROR = "http://deb.debian.org/debian"
#: podman's settings for this project, kept in its own file (``CONTAINERS_CONF``), never the
#: machine's: runc, because crun refuses a kernel with hybrid cgroups; no default ulimits,
#: because raising RLIMIT_NOFILE is refused inside an unprivileged VM or container.
CONTAINERS_CONF = """\
# Written by app/runner/containers/podman.py for this checkout's containers.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
"""
#: CA bundles a TLS-intercepting proxy's certificate would be added to: passed to ``pip`` in the
#: app image's build as a secret (never stored in a layer) when pip on this machine uses one.
CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


@dataclass(frozen=True)
class Image:
    """One image to build: its tag, its Dockerfile, and the ``BASE`` build argument it takes."""

    tag: str
    dockerfile: str
    base: str
    #: The build context, from the project's folder: ``.``, or a service's own folder (``services/media``).
    context: str = "."


class Podman:
    """Runs podman with the project's configuration; knows how to make the base image and build."""

    def __init__(self, var_dir: Path, base_dir: Path, environ: dict[str, str] | None = None) -> None:
        self.dir = var_dir / "containers"
        self.base_dir = base_dir
        self.environ = dict(os.environ if environ is None else environ)

    @property
    def config_file(self) -> Path:
        return self.dir / "containers.conf"

    def env(self) -> dict[str, str]:
        """The environment every podman (and podman-compose) command runs in."""
        if not self.config_file.exists() or self.config_file.read_text() != CONTAINERS_CONF:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.config_file.write_text(CONTAINERS_CONF)
        return {**self.environ, "CONTAINERS_CONF": str(self.config_file)}

    def require(self) -> None:
        if shutil.which("podman") is None:
            raise RunnerError(
                "podman is not installed: `make up RUNTIME=containers` installs it (as root), or run "
                "`sudo apt-get install podman runc debootstrap iptables netavark aardvark-dns`"
            )

    def run(self, *args: str, check: bool = True, capture: bool = True, timeout: float | None = None) -> str:
        """``podman ARGS``; its output (stdout) when captured. A failure says what podman said."""
        self.require()
        result = subprocess.run(
            ["podman", *args],
            env=self.env(),
            text=True,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            said = (result.stderr or result.stdout or "").strip().splitlines()[-5:] if capture else []
            raise RunnerError(f"`podman {' '.join(args[:3])} …` failed (exit {result.returncode}): {' / '.join(said)}")
        return result.stdout or ""

    def logs(self, container: str, lines: int) -> str:
        """The container's last ``lines`` of output, stdout and stderr interleaved."""
        result = subprocess.run(
            ["podman", "logs", "--tail", str(lines), container],
            env=self.env(),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        return result.stdout.strip()

    def ok(self, *args: str) -> bool:
        return subprocess.run(["podman", *args], env=self.env(), capture_output=True).returncode == 0

    # The base image --------------------------------------------------------------------------

    def base_image(self) -> str:
        """``BASE_IMAGE`` if set (say ``docker.io/library/debian:bookworm-slim`` where a registry
        answers); otherwise the local Debian image, made now if it is missing."""
        chosen = self.environ.get("BASE_IMAGE")
        if chosen:
            return chosen
        if not self.ok("image", "exists", LOCAL_BASE):
            self.make_local_base()
        return LOCAL_BASE

    def make_local_base(self) -> None:
        """Debian bookworm's minimal root file system from apt's own mirror, imported as an image."""
        if os.geteuid() != 0:
            raise RunnerError(
                f"making the base image {LOCAL_BASE} with debootstrap needs root; elsewhere pull one and "
                "name it: `podman pull docker.io/library/debian:bookworm-slim` and "
                "BASE_IMAGE=docker.io/library/debian:bookworm-slim"
            )
        if shutil.which("debootstrap") is None:
            raise RunnerError("debootstrap is not installed: `apt-get install debootstrap`")
        mirror = apt_mirror()
        print(f"  making the base image {LOCAL_BASE} from {mirror} (debootstrap, about 30 s; kept for later runs) …")
        with tempfile.TemporaryDirectory(prefix="debian-rootfs-", dir="/var/tmp") as rootfs:
            steps = subprocess.run(
                ["debootstrap", "--variant=minbase", "bookworm", rootfs, mirror], capture_output=True, text=True
            )
            if steps.returncode != 0:
                raise RunnerError(f"debootstrap failed: {steps.stderr.strip()[-500:] or steps.stdout.strip()[-500:]}")
            # The packages debootstrap downloaded, and apt's lists: every image runs apt-get update anyway.
            for leftovers in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for path in Path(rootfs, leftovers).glob("*"):
                    if path.is_file():
                        path.unlink()
            tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
            imported = subprocess.run(
                ["podman", "import", "-", LOCAL_BASE], stdin=tar.stdout, env=self.env(), capture_output=True, text=True
            )
            tar.wait()
            if imported.returncode != 0 or tar.returncode != 0:
                raise RunnerError(f"`podman import` of the base image failed: {imported.stderr.strip()[-500:]}")

    # Building ----------------------------------------------------------------------------------

    def build(self, images: Sequence[Image]) -> None:
        """Build each image (layers cached by podman, so unchanged ones take seconds)."""
        secret = pip_certificate_bundle(self.environ)
        for image in images:
            print(f"  building {image.tag} ({image.dockerfile}) …", flush=True)
            context = self.base_dir / image.context
            args = ["build", "--format", "docker", "--file", str(context / image.dockerfile), "--tag", image.tag]
            args += ["--build-arg", f"BASE={image.base}"]
            if secret:
                args += ["--secret", f"id=pip-cert,src={secret}"]
            result = subprocess.run(["podman", *args, str(context)], env=self.env(), capture_output=True, text=True)
            if result.returncode != 0:
                tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
                raise RunnerError(f"building {image.tag} failed:\n{tail}")


def apt_mirror(sources: Sequence[Path] | None = None) -> str:
    """The Debian mirror apt uses here (deb822 ``URIs:`` or a one-line ``deb URL bookworm …``)."""
    if sources is None:
        sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        for match in re.finditer(r"^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+)", text, re.MULTILINE):
            uri = match.group(1)
            if "security" not in uri and uri.startswith(("http://", "https://")):
                return uri
    return DEFAULT_MIRROR


def pip_certificate_bundle(environ: dict[str, str]) -> str | None:
    """The CA bundle pip trusts on this machine (``PIP_CERT``, else the system's), if any."""
    for candidate in (environ.get("PIP_CERT"), *CA_BUNDLES):
        if candidate and Path(candidate).is_file():
            return candidate
    return None
