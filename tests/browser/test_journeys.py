"""The main journeys, end to end in headless Chromium, with a screenshot of each page."""

from __future__ import annotations

import itertools
import re
import time

import pytest
from playwright.sync_api import Page, expect

from app.runner.units.smtp import SmtpSink

pytestmark = [pytest.mark.browser, pytest.mark.stack]

_ids = itertools.count(1)


@pytest.fixture
def sign_up(web_stack):  # type: ignore[no-untyped-def]
    """Sign up as a person does: the form, then the link in the welcome email, which signs you in."""

    def sign_up(page: Page, username: str) -> None:
        page.goto("accounts/signup/")
        page.fill("#id_username", username)
        page.fill("#id_email", f"{username}@example.com")
        page.fill("#id_password1", "a-long-enough-pass")
        page.fill("#id_password2", "a-long-enough-pass")
        page.click("button:has-text('Create account')")
        expect(page.locator("h1")).to_have_text("Check your inbox")
        page.goto(_confirmation_link(web_stack, f"{username}@example.com"))

    return sign_up


def _confirmation_link(stack, address: str, timeout: float = 20) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in SmtpSink.messages(stack.ctx):
            if f"To: {address}" in message and (
                found := re.search(r"https?://\S+/accounts/signup/confirm/\S+/", message)
            ):
                return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no confirmation email reached {address}")


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button:has-text('Log in')")


def fetch_invoice(page: Page, href: str, timeout: float = 20):
    """The invoice PDF; from tier1 a worker makes it after checkout, so it may take a moment (202 till then)."""
    deadline = time.monotonic() + timeout
    while True:
        response = page.request.get(href)
        if response.status != 202 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_sign_up_lands_on_the_feed_signed_in(page: Page, shoot, sign_up):
    page.goto("accounts/signup/")
    shoot(page, "01-signup")
    sign_up(page, f"walker{next(_ids)}")
    expect(page.locator(".flash")).to_contain_text("Your address is confirmed")
    expect(page.locator("h1")).to_have_text("Latest from the teams")
    assert page.locator("article.card").count() == 20
    shoot(page, "02-feed")


def test_publish_a_post_and_comment_on_it(page: Page, shoot, sign_up):
    name = f"writer{next(_ids)}"
    sign_up(page, name)
    page.goto("teams/new/")
    page.fill("#id_name", f"Night Owls {name}")
    page.click("button:has-text('Create')")
    expect(page.locator(".flash")).to_contain_text("You are its owner")
    page.goto("posts/new/")
    page.select_option("#id_team", label=f"Night Owls {name}")
    page.fill("#id_title", "Our first release")
    page.fill("#id_body", "It took a while, but it is out.")
    shoot(page, "03-publish")
    page.click("button:has-text('Publish')")
    expect(page.locator("h1")).to_have_text("Our first release")
    page.fill("#id_body", "Congratulations!")
    page.click("button:has-text('Post comment')")
    expect(page.locator(".comment")).to_contain_text("Congratulations!")
    shoot(page, "04-post-with-comment")
    page.goto("/")
    expect(page.locator("article.card").first).to_contain_text("Our first release")


def test_check_out_then_see_the_order_and_its_invoice(page: Page, shoot, sign_up):
    sign_up(page, f"buyer{next(_ids)}")
    page.goto("shop/")
    shoot(page, "05-shop")
    page.locator(".product h3 a").first.click()
    page.fill("#id_quantity", "2")
    shoot(page, "06-product")
    page.click("button:has-text('Buy now')")
    expect(page.locator(".flash")).to_contain_text("is placed")
    shoot(page, "07-order")
    invoice = fetch_invoice(page, page.get_attribute("text=Download invoice (PDF)", "href"))
    assert invoice.headers["content-type"] == "application/pdf"
    assert invoice.body().startswith(b"%PDF-")
    page.goto("orders/")
    expect(page.locator("article.order")).to_have_count(1)
    expect(page.locator("article.order")).to_contain_text("2 ×")
    shoot(page, "08-my-orders")


def test_the_owner_sees_the_dashboard(page: Page, shoot):
    log_in(page, "demo", "demo12345")
    page.goto("teams/demo-studio/")
    page.click("text=Dashboard")
    expect(page.locator("h1")).to_contain_text("Demo Studio")
    expect(page.locator(".bars .bar")).to_have_count(30)
    assert page.locator("table").nth(1).locator("tr").count() > 1
    shoot(page, "09-dashboard")


def test_bad_input_shows_form_errors_not_a_crash(page: Page, shoot):
    page.goto("accounts/signup/")
    page.fill("#id_username", "demo")
    page.fill("#id_email", "not-an-email")
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "different")
    page.evaluate("document.querySelector('main form').noValidate = true")
    page.click("button:has-text('Create account')")
    expect(page.locator(".field-error").first).to_be_visible()
    shoot(page, "10-signup-errors")
