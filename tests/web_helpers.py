"""The web app in headless Chromium, for its tests, its screenshots and its measurements: the
browser, the users and notes a page starts from, and signing in as a person does."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Browser, FilePayload, Page, Playwright, Request, ViewportSize, expect

from tests.conftest import PASSWORD
from tests.stack import Stack

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


@dataclass
class WebUser:
    """A confirmed user of the stack, with their own API session for setting the scene."""

    stack: Stack
    email: str
    password: str = PASSWORD
    http: requests.Session = field(default_factory=requests.Session)
    _token: str = ""

    @property
    def token(self) -> str:
        if not self._token:
            auth = self.stack.cognito().initiate_auth(
                ClientId=self.stack.facts["userPoolClientId"],
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": self.email, "PASSWORD": self.password},
            )
            self._token = str(auth["AuthenticationResult"]["IdToken"])
        return self._token

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, if_match: str | None = None
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if if_match is not None:
            headers["If-Match"] = if_match
        return self.http.request(
            method, self.stack.facts["apiUrl"] + path, json=body, headers=headers, timeout=TIMEOUT
        )

    def create_note(self, content: str = "", **fields: Any) -> dict[str, Any]:
        created = self.call("POST", "/notes", {"content": content, **fields})
        assert created.status_code == 201, created.text
        note: dict[str, Any] = created.json()
        return note

    def note(self, note_id: str) -> requests.Response:
        return self.call("GET", f"/notes/{note_id}")

    def attach(
        self, note_id: str, name: str, data: bytes, content_type: str = "text/plain"
    ) -> dict[str, Any]:
        """The whole attachment flow, as any client runs it: the note, its file attached."""
        asked = self.call(
            "POST",
            f"/notes/{note_id}/attachment",
            {"name": name, "contentType": content_type, "size": len(data)},
        )
        assert asked.status_code == 201, asked.text
        form = asked.json()
        sent = requests.post(
            form["url"],
            data=list(form["fields"].items()),
            files={"file": ("file", data, content_type)},
            timeout=TIMEOUT,
        )
        assert sent.status_code == 204, sent.text
        attached = self.call("PUT", f"/notes/{note_id}/attachment", {"uploadId": form["uploadId"]})
        assert attached.status_code == 200, attached.text
        note: dict[str, Any] = attached.json()
        return note


def new_user(stack: Stack, prefix: str = "web", email: str | None = None) -> WebUser:
    """A user signed up and confirmed at the stack's pool (not yet signed in in any page)."""
    email = email or f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    cognito = stack.cognito()
    cognito.sign_up(ClientId=stack.facts["userPoolClientId"], Username=email, Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=stack.facts["userPoolId"], Username=email)
    return WebUser(stack, email)


def notes_list(page: Page) -> Any:
    return page.get_by_role("list", name="Notes")


def sign_in(page: Page, user: WebUser, *, go: bool = True) -> None:
    """Signs in as a person does, and waits for the first page of notes."""
    if go:
        page.goto(user.stack.facts["webUrl"])
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
