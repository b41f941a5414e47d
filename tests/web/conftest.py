"""The browser the web app's tests drive: one headless Chromium per module, a new context per test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.stack import Stack
from tests.web.helpers import PHONE, VIEWPORT, Tab, WebUser, chromium_missing, launch, new_user, open_tab


def in_ci() -> bool:
    return (os.environ.get("CI") or "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    missing = chromium_missing()
    if missing:
        if in_ci():
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)
    with sync_playwright() as playwright:
        started = launch(playwright)
        yield started
        started.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A context without the page's service worker: what a worker fetches, the tests' routes never
    see. The tests of the page offline (test_sync.py) make contexts of their own, with it."""
    opened = browser.new_context(viewport=VIEWPORT, service_workers="block")
    yield opened
    opened.close()


@pytest.fixture
def phone(browser: Browser, local_stack: Stack) -> Iterator[Tab]:
    """A tab on a phone's screen, 390 px wide (with the page's service worker)."""
    context = browser.new_context(viewport=PHONE)
    yield open_tab(context, local_stack, Tab)
    context.close()


@pytest.fixture
def tab(context: BrowserContext, local_stack: Stack) -> Tab:
    """A tab of the page on the session's local stack."""
    return open_tab(context, local_stack, Tab)


@pytest.fixture
def user(local_stack: Stack) -> WebUser:
    """A new user of the session's local stack, signed up and confirmed."""
    return new_user(local_stack)
