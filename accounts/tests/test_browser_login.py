"""A real browser signs in with a magic link: Debian's Chromium, driven by Playwright, against a live server.

The browser comes from the system (`make browser` installs it); Playwright's
own browser download is not used. A missing browser fails the test: it must
never pass by being skipped.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from accounts.magic_links import magic_link_url
from accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium():
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)"
    # Playwright's sync API runs an event loop in this thread while the browser is
    # open; Django would then refuse ORM calls here, so the test does those before and after.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def link(transactional_db, live_server, settings) -> str:
    settings.SITE_URL = live_server.url
    organization = OrganizationFactory(name="Brightside Plumbing", slug="brightside")
    user = UserFactory(email="dana@brightside.example")
    MembershipFactory(organization=organization, user=user, role="owner")
    return magic_link_url(user)


def test_the_magic_link_signs_in_after_pressing_sign_in(link, live_server, chromium: Browser):
    assert link.startswith(f"{live_server.url}/login/magic/?sesame=")
    page = chromium.new_page()

    page.goto(link)
    expect(page.get_by_text("You are about to sign in as dana@brightside.example")).to_be_visible()
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{live_server.url}/app/")
    expect(page.get_by_text("Signed in as dana@brightside.example")).to_be_visible()
    expect(page.get_by_text("Brightside Plumbing")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/login/")
    expect(page.get_by_role("heading", name="Sign in to Bizbox")).to_be_visible()

    # The link was spent by signing in.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
