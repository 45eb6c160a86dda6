"""Fixtures for tests that drive a real browser: Debian's Chromium through Playwright.

A plugin of the whole suite (tests/conftest.py's ``pytest_plugins``), not a folder's conftest:
the Spark pre-annotation test drives the tasks page too, and a second definition of the
session-wide ``browser`` would start a second Playwright inside the first one's event loop.

Playwright cannot download its own browser builds here, so `playwright install` is never needed:
the tests launch /usr/bin/chromium (`make test` installs it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, sync_playwright

# Playwright's sync API keeps an asyncio event loop running in the test thread, and Django refuses
# ORM calls from such a thread; the tests' own ORM calls are synchronous, so they are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
# Headless in a container as root, and nothing fetched from outside the machine.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS_DIR = settings.VAR_DIR / "screenshots"

LoginFunction = Callable[..., None]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # A new context per test: no cookie or session leaks from one test into the next. The
    # viewport is the laptop screen the pages are laid out for.
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    yield context.new_page()
    context.close()


def login(
    page: Page, live_server, username: str, password: str, *, path: str = "/admin/login/"
) -> None:
    """Log in through the login form at `path`, as a person would, and fail if it is refused."""
    page.goto(f"{live_server.url}{path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    # click() waits for the navigation it starts; a refused login renders the form again.
    page.locator("form [type=submit]").click()
    page.wait_for_load_state()
    if urlsplit(page.url).path == path:
        raise AssertionError(f"logging in as {username!r} at {path} was refused")


@pytest.fixture(name="login")
def login_fixture() -> LoginFunction:
    return login


def save_screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG under var/screenshots/ for a person to look at after the run."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


@pytest.fixture(name="save_screenshot")
def save_screenshot_fixture() -> Callable[[Page, str], Path]:
    return save_screenshot


SignIn = Callable[[Page, Any], None]


@pytest.fixture
def sign_in(live_server) -> SignIn:
    """Log a persona in through annolab's own login page (their password is <name>-password)."""

    def sign_in_as(page: Page, user: Any) -> None:
        page.set_default_timeout(15_000)
        password = f"{user.username}-password"
        login(page, live_server, user.username, password, path="/accounts/login/")

    return sign_in_as
