"""The runner brings a tier up in order, serves it over real HTTP and SMTP, and stops everything."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from app.runner import processes
from app.runner.processes import RunnerError, free_port
from app.runner.stack import Stack, private_stack
from app.runner.units.kinds import Context, Daemon, Group
from app.runner.units.smtp import SmtpSink
from app.runner.units.web import Web
from config.env import DEFAULT_PORTS
from tests.conftest import stack_folder

pytestmark = pytest.mark.stack


def mail_in(ctx: Context, count: int, timeout: float = 10) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = SmtpSink.messages(ctx)
        if len(messages) >= count:
            return messages
        time.sleep(0.1)
    raise AssertionError(f"expected {count} messages in {SmtpSink.maildir(ctx)}, found {len(SmtpSink.messages(ctx))}")


def test_the_tier_serves_the_seeded_feed_over_http(tier_stack):
    response = httpx.get(tier_stack.url(), timeout=10)
    assert response.status_code == 200
    assert "Latest from the teams" in response.text
    assert f"running <strong>{tier_stack.ctx.tier}</strong>" in response.text
    assert httpx.get(tier_stack.url() + "api/v1/feed", timeout=10).json()["items"]
    assert httpx.get(tier_stack.url() + "static/css/site.css", timeout=10).status_code == 200
    assert httpx.get(tier_stack.url() + "readyz", timeout=10).json()["status"] == "ready"
    for name, status, _ in tier_stack.status():
        assert "stopped" not in status, name
        assert status.startswith(("running", "one-shot", "worker-", "web-", "media-", "node-exporter")), (name, status)


def test_signing_up_over_http_delivers_the_welcome_email_over_smtp(tier_stack):
    before = len(SmtpSink.messages(tier_stack.ctx))
    with httpx.Client(base_url=tier_stack.url(), timeout=10, follow_redirects=False) as browser:
        page = browser.get("accounts/signup/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        form = {
            "csrfmiddlewaretoken": csrf,
            "username": "smtp-check",
            "email": "smtp-check@example.com",
            "password1": "a-long-enough-pass",
            "password2": "a-long-enough-pass",
        }
        answer = browser.post("accounts/signup/", data=form, headers={"Referer": str(browser.base_url)})
        assert answer.status_code == 200
        assert "Check your inbox" in answer.text
        messages = mail_in(tier_stack.ctx, before + 1)
        welcome = next(m for m in messages if "To: smtp-check@example.com" in m and "Welcome" in m)
        link = re.search(r"http://\S+/accounts/signup/confirm/\S+/", welcome).group(0)
        assert browser.get(link).status_code == 302  # confirmed and signed in
        assert browser.get("accounts/profile/").status_code == 200


def test_down_stops_every_process_and_frees_the_ports():
    folder = stack_folder("down")
    with private_stack(settings.TIER, folder) as stack:
        instances = Web().instances(stack.ctx)
        ports = [stack.ctx.port(name) for name in DEFAULT_PORTS] + [i.port(stack.ctx) for i in instances]
        ports = [port for port in ports if processes.port_open(port)]
        pids = [int(p.read_text()) for p in (folder / "run").glob("*.pid")]
        members = sum(len(s.members(stack.ctx)) for s in stack.services if isinstance(s, Group))
        assert len(pids) == sum(isinstance(s, Daemon) for s in stack.services) + members
    assert not any(processes.port_open(port) for port in ports)
    assert not any(processes.alive(pid) for pid in pids)
    assert not list((folder / "run").glob("*.pid"))


def test_a_missing_binary_is_one_clear_line_naming_the_package(tmp_path):
    class Imaginary(Daemon):
        name = "imaginary"
        binary = "definitely-not-installed-anywhere"
        package = "imaginary-server"

    stack = Stack("tier0", environ={"MILESTONES_VAR": str(tmp_path)})
    with pytest.raises(RunnerError, match=r"apt-get install imaginary-server"):
        Imaginary().start(stack.ctx)


def test_a_busy_port_is_refused_with_a_clear_message(tmp_path):
    import socket

    port = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        stack = Stack("tier0", environ={"MILESTONES_VAR": str(tmp_path), "SMTP_PORT": str(port)})
        with pytest.raises(RunnerError, match=f"port {port} is already in use"):
            stack.services[0].start(stack.ctx)


def test_an_unknown_tier_is_refused():
    with pytest.raises(RunnerError, match="no tier called 'tier9'"):
        Stack("tier9")


def test_context_finds_programs_in_the_virtualenv(tmp_path):
    ctx = Stack("tier0", environ={"MILESTONES_VAR": str(tmp_path)}).ctx
    assert isinstance(ctx, Context)
    assert Path(ctx.bin("gunicorn")).exists()


@pytest.mark.tier_independent
def test_a_tier_on_the_roadmap_is_called_planned_and_an_unknown_one_lists_the_tiers():
    from app.runner.stack import Stack
    from app.runner.tiers import PLANNED, built

    for tier in set(PLANNED) - set(built()):
        with pytest.raises(RunnerError, match=f"{tier} is planned, not built yet"):
            Stack(tier)
    with pytest.raises(RunnerError, match="There is no tier called 'tier9'; the tiers are tier0, tier1, tier2"):
        Stack("tier9")


@pytest.mark.tier_independent
def test_ps_logs_and_down_find_the_stack_on_the_ports_it_was_started_on():
    """`WEB_PORT=… make up`, then a plain `make ps` / `make down` in a new shell, as a user does."""
    import os
    import subprocess
    import sys

    from app.runner.stack import private_stack

    folder = stack_folder("remembered")
    with private_stack("tier0", folder, only={"smtp"}) as stack:
        port = stack.ctx.port("SMTP_PORT")
        assert port != DEFAULT_PORTS["SMTP_PORT"]
        new_shell = {k: v for k, v in os.environ.items() if k not in DEFAULT_PORTS} | {"MILESTONES_VAR": str(folder)}

        def runner(*command: str) -> str:
            result = subprocess.run(
                [sys.executable, "-m", "app.runner", *command],
                env=new_shell,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, result.stderr
            return result.stdout

        assert f"smtp://127.0.0.1:{port}" in runner("ps")
        assert "smtp.log" in runner("logs", "--lines", "1")
        runner("down")
        assert not processes.port_open(port)
