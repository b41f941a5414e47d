"""The browser the web app's tests drive: one headless Chromium per module, a new context per test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.web.helpers import VIEWPORT, chromium_missing, launch


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
    opened = browser.new_context(viewport=VIEWPORT)
    yield opened
    opened.close()
