"""A real headless Chromium (Debian's package, driven by Playwright) against the tier's running stack:
as `make up` runs it, or, where the tier has a load balancer, over HTTPS in the production
environment, with the runner's local CA trusted the way a machine trusts one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# --no-sandbox because CI runs as root; the rest keep Chromium off a network it does not have.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def web_stack(request):
    """The stack the journeys run on: HTTPS through HAProxy (production environment) where the
    tier has a load balancer, else the tier as `make up` runs it."""
    from django.conf import settings

    return request.getfixturevalue("https_stack" if "loadbalancer" in settings.RUNNER_SERVICES else "tier_stack")


def trust(ca: Path, home: Path) -> None:
    """Chromium on Linux trusts the authorities in ``$HOME/.pki/nssdb``: a new one, with ``ca`` in it."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "Milestones local CA", "-t", "C,,", "-i", str(ca)], check=True
    )


@pytest.fixture(scope="session")
def browser(web_stack, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it as root, or `sudo apt-get install -y chromium`")
    environ = dict(os.environ)
    driver_environ = {}
    if web_stack.https_url():
        from app.runner.units.loadbalancer import LoadBalancer

        ca = LoadBalancer.tls_files(web_stack.ctx).ca_certificate
        environ["HOME"] = str(tmp_path_factory.mktemp("browser-home"))
        trust(ca, Path(environ["HOME"]))
        # page.request (the invoice download) goes through Playwright's Node driver, which reads this.
        driver_environ["NODE_EXTRA_CA_CERTS"] = str(ca)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in driver_environ.items():
            patch.setenv(name, value)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, env=environ)
            yield browser
            browser.close()


#: A small phone's screen (an iPhone SE or mini): every page must read here without sideways scrolling.
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def page(browser, web_stack):
    base_url = web_stack.https_url() or web_stack.url()
    context = browser.new_context(base_url=base_url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def fits_the_window(page) -> None:
    """Nothing on the page is wider than the window, so it never scrolls sideways."""
    width, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window, f"{page.url} scrolls sideways: {width} px of page in a {window} px window"


@pytest.fixture
def shoot():
    """Save a full-page screenshot as a test artifact: test-artifacts/screenshots/<tier>/<name>.png,
    after checking the page fits its window (a page worth a screenshot is one a person reads)."""
    from django.conf import settings

    folder = ARTIFACTS / settings.TIER
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        fits_the_window(page)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
