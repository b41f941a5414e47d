"""The web app in headless Chromium, for its tests, its screenshots and its measurements: the
browser, the users and notes a page starts from, and signing in as a person does."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, FilePayload, Page, Playwright, Request, ViewportSize, expect

from tests.stack import Stack, StackUser
from tests.stack import new_user as stack_user

# Debian's Chromium (make browser installs it); CHROMIUM names another build.
CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these, Chromium reaches out on its own (updates, sync, field trials).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "run `make browser` (as root it installs Debian's chromium: apt-get install -y chromium), "
    "or install Chromium yourself and set CHROMIUM=/path/to/chromium"
)
VIEWPORT = ViewportSize(width=1280, height=800)
TIMEOUT = 10


def chromium_missing() -> str | None:
    """Why the browser cannot be started, or None when it can."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return None
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    also = f" (one is at {found}: set CHROMIUM={found})" if found else ""
    return f"the browser tests need Chromium, and there is none at {CHROMIUM}{also}: {INSTALL_HINT}"


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


# The users a page starts from are the stack's own HTTP users.
WebUser = StackUser


def new_user(stack: Stack, prefix: str = "web", email: str | None = None) -> WebUser:
    """A user signed up and confirmed at the stack's pool (not yet signed in in any page)."""
    return stack_user(stack, prefix, email)


def notes_list(page: Page) -> Any:
    return page.get_by_role("list", name="Notes")


def sign_in(page: Page, user: WebUser, *, go: bool = True) -> None:
    """Signs in as a person does, and waits for the first page of notes."""
    if go:
        page.goto(user.stack.facts.web_url)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    wait_for_notes(page)


def wait_for_notes(page: Page) -> None:
    """Until the list of notes has loaded (it may be empty)."""
    expect(notes_list(page)).to_be_attached()
    expect(notes_list(page)).not_to_have_attribute("aria-busy", "true")


def choose_file(page: Page, button: str, name: str, data: bytes, mime: str = "text/plain") -> None:
    """Clicks the button that opens the file chooser, and picks a file made of ``data``."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=button).click()
    chooser.value.set_files(files=[FilePayload(name=name, mimeType=mime, buffer=data)])


def requests_where(page: Page, wanted: Callable[[Request], bool]) -> list[Request]:
    """Every request the page makes from now on that ``wanted`` accepts, as they are made."""
    seen: list[Request] = []

    def record(request: Request) -> None:
        if wanted(request):
            seen.append(request)

    page.on("request", record)
    return seen
