"""The main journeys, end to end in headless Chromium at a phone's width, with a screenshot of each page.

Every page a journey visits is checked for its own title and for fitting the 375 px window
(no sideways scrolling); ``shoot`` checks the fit again before each screenshot. Between them
the journeys visit every kind of page: feed, post, shop, product, teams, team, dashboard,
orders, order, log-in, sign-up and profile.
"""

from __future__ import annotations

import itertools
import re
import time

import pytest
from playwright.sync_api import Page, expect

from app.runner.units.smtp import SmtpSink
from tests.browser.conftest import DESKTOP, PHONE, fits_the_window

pytestmark = [pytest.mark.browser, pytest.mark.stack]

_ids = itertools.count(1)


@pytest.fixture
def sign_up(web_stack):
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


def _confirmation_link(stack, address: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in SmtpSink.messages(stack.ctx):
            if f"To: {address}" in message and (
                found := re.search(r"https?://\S+/accounts/signup/confirm/\S+/", message)
            ):
                return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no confirmation email reached {address}")


def titled(page: Page, title: str) -> None:
    """The page is the one expected, under its own title, and reads without scrolling sideways."""
    expect(page).to_have_title(title)
    fits_the_window(page)


def log_in(page: Page, username: str, password: str) -> None:
    """On the log-in page (opened directly or by a page that needs an account), sign in."""
    if "/accounts/login/" not in page.url:
        page.goto("accounts/login/")
    titled(page, "Log in · Milestones")
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
    titled(page, "Sign up · Milestones")
    shoot(page, "01-signup")
    sign_up(page, f"walker{next(_ids)}")
    expect(page.locator(".flash")).to_contain_text("Your address is confirmed")
    expect(page.locator("h1")).to_have_text("Latest from the teams")
    titled(page, "Feed · Milestones")
    assert page.locator("article.card").count() == 20
    shoot(page, "02-feed")
    page.click("text=Older →")
    titled(page, "Feed, page 2 · Milestones")


def test_publish_a_post_and_comment_on_it(page: Page, shoot, sign_up):
    name = f"writer{next(_ids)}"
    sign_up(page, name)
    page.goto("teams/new/")
    titled(page, "Create a team · Milestones")
    page.fill("#id_name", f"Night Owls {name}")
    page.click("button:has-text('Create')")
    expect(page.locator(".flash")).to_contain_text("You are its owner")
    titled(page, f"Night Owls {name} · Milestones")
    page.goto("posts/new/")
    titled(page, "Write a post · Milestones")
    page.select_option("#id_team", label=f"Night Owls {name}")
    page.fill("#id_title", "Our first release")
    page.fill("#id_body", "It took a while, but it is out.")
    shoot(page, "03-publish")
    page.click("button:has-text('Publish')")
    expect(page.locator("h1")).to_have_text("Our first release")
    titled(page, "Our first release · Milestones")
    page.fill("#id_body", "Congratulations!")
    page.click("button:has-text('Post comment')")
    expect(page.locator(".flash")).to_contain_text("your comment is posted")
    expect(page.locator(".comment")).to_contain_text("Congratulations!")
    shoot(page, "04-post-with-comment")
    page.goto("/")
    expect(page.locator("article.card").first).to_contain_text("Our first release")


def test_check_out_then_see_the_order_and_its_invoice(page: Page, shoot, sign_up):
    sign_up(page, f"buyer{next(_ids)}")
    page.goto("shop/")
    titled(page, "Shop · Milestones")
    expect(page.locator(".product .amount").first).to_have_text(re.compile(r"^\$\d{1,3}(,\d{3})*\.\d{2}$"))
    shoot(page, "05-shop")
    # A product with at least two in stock: the demo shop, like a real one, has some sold out.
    in_stock = page.locator(".product").filter(has_text=re.compile(r"\b([2-9]|\d{2,}) in stock"))
    name = in_stock.first.locator("h3 a").inner_text()
    in_stock.first.locator("h3 a").click()
    titled(page, f"{name} · Milestones")
    page.fill("#id_quantity", "2")
    shoot(page, "06-product")
    page.click("button:has-text('Buy now')")
    expect(page.locator(".flash")).to_contain_text("is placed")
    order = re.search(r"Order #(\d+)", page.locator("h1").inner_text()).group(1)
    titled(page, f"Order #{order} · Milestones")
    shoot(page, "07-order")
    invoice = fetch_invoice(page, page.get_attribute("text=Download invoice (PDF)", "href"))
    assert invoice.headers["content-type"] == "application/pdf"
    assert invoice.body().startswith(b"%PDF-")
    page.goto("orders/")
    titled(page, "My orders · Milestones")
    expect(page.locator("article.order")).to_have_count(1)
    expect(page.locator("article.order")).to_contain_text("2 ×")
    shoot(page, "08-my-orders")
    page.goto("orders/?page=2")
    titled(page, "My orders, page 2 · Milestones")
    expect(page.locator("main")).not_to_contain_text("No orders yet")
    expect(page.locator(".past-end")).to_contain_text("There is nothing more")
    shoot(page, "09-my-orders-past-the-end")


def test_the_owner_finds_the_dashboard_from_the_navigation(page: Page, shoot):
    page.goto("orders/")
    expect(page.locator("main .flash")).to_have_text("Log in to see your orders.")
    shoot(page, "10-login-with-reason")
    log_in(page, "demo", "demo12345")
    titled(page, "My orders · Milestones")
    page.click("header nav >> text=Dashboard")
    titled(page, "Demo Studio dashboard · Milestones")
    expect(page.locator("h1")).to_have_text("Demo Studio")
    charts = page.locator("svg.bar-chart")
    expect(charts).to_have_count(2)
    for index in range(2):
        expect(charts.nth(index).locator("rect.col")).to_have_count(30)
        expect(charts.nth(index).locator("text.tick").first).to_be_visible()
    expect(page.locator(".orders-table tbody tr")).to_have_count(10)
    shoot(page, "11-dashboard")
    page.set_viewport_size(DESKTOP)
    shoot(page, "11-dashboard-desktop")
    page.set_viewport_size(PHONE)


def test_teams_a_team_and_a_profile(page: Page, shoot):
    page.goto("teams/")
    titled(page, "Teams · Milestones")
    shoot(page, "12-teams")
    page.click("text=Demo Studio")
    titled(page, "Demo Studio · Milestones")
    shoot(page, "13-team")
    page.goto("shop/?page=999")
    titled(page, "Shop, page 999 · Milestones")
    expect(page.locator(".past-end")).to_contain_text("There is nothing more")
    expect(page.locator("main")).not_to_contain_text("Nothing for sale yet")
    log_in(page, "demo", "demo12345")
    page.goto("accounts/profile/")
    titled(page, "Your profile · Milestones")
    expect(page.locator("img.avatar")).to_be_visible()  # the demo's seeded picture
    shoot(page, "14-profile")


def test_bad_input_shows_form_errors_not_a_crash(page: Page, shoot):
    page.goto("accounts/signup/")
    page.fill("#id_username", "demo")
    page.fill("#id_email", "not-an-email")
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "different")
    page.evaluate("document.querySelector('main form').noValidate = true")
    page.click("button:has-text('Create account')")
    expect(page.locator(".field-error").first).to_be_visible()
    titled(page, "Sign up · Milestones")
    shoot(page, "15-signup-errors")
