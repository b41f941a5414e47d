"""The web app in headless Chromium, for its tests, its screenshots and its measurements: the
browser, the users and notes a page starts from, and signing in as a person does."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    FilePayload,
    Locator,
    Page,
    Playwright,
    Request,
    Route,
    ViewportSize,
    expect,
)

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
PHONE = ViewportSize(width=390, height=844)  # a phone held upright
# A table of twelve columns, wider than a phone's screen: its box scrolls sideways.
WIDE_TABLE = (
    "| "
    + " | ".join(f"column{n}" for n in range(12))
    + " |\n|"
    + "---|" * 12
    + "\n| "
    + " | ".join("x" * 12 for _ in range(12))
    + " |"
)
TIMEOUT = 10
SESSION_KEY = "notes.session"  # where the page keeps its session (web/session.js)


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


def serious_violations(page: Page) -> list[str]:
    """The page's serious and critical accessibility violations, as axe finds them."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in found
        if v.get("impact") in ("serious", "critical")
    ]


def sign_in_at_pool(page: Page, email: str, password: str, *, go: bool = True) -> None:
    """Scoped mode: "Sign in" on the page, the pool's sign-in page, and back with the first notes."""
    if go:
        page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    wait_for_notes(page)


@dataclass
class Tab:
    """A page of the web app, and everything it said that a person would not see."""

    page: Page
    stack: Stack
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.stack.facts.web_url

    @property
    def api(self) -> str:
        return self.stack.facts.api_url

    @property
    def emulator(self) -> str:
        return self.stack.facts.aws_endpoint

    def stored_session(self) -> dict[str, Any] | None:
        kept = self.page.evaluate(f"localStorage.getItem('{SESSION_KEY}')")
        return json.loads(kept) if kept else None


T = TypeVar("T", bound=Tab)


def open_tab(context: BrowserContext, stack: Stack, kind: type[T]) -> T:
    """A new tab of ``context`` on ``stack``'s web app, recording what it says to nobody."""
    page = context.new_page()
    page.set_default_timeout(10_000)
    tab = kind(page, stack)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.console_errors.append(message.text)

    page.on("pageerror", lambda error: tab.page_errors.append(str(error)))
    page.on("console", console)

    def dismiss(dialog: Any) -> None:
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return tab


def alert(page: Page) -> Any:
    return page.get_by_role("alert")


def status(page: Page) -> Any:
    return page.get_by_role("status")


def items(page: Page) -> Any:
    return notes_list(page).get_by_role("listitem")


def without_live_updates(page: Page) -> None:
    """The page as it is where the live endpoint is not reached: its settings without ``wsUrl``, so
    that a change made elsewhere is met only when a write is refused."""

    def settings(route: Route) -> None:
        answer = route.fetch()
        config = answer.json()
        del config["wsUrl"]
        route.fulfill(response=answer, json=config)

    page.route("**/config.json", settings)


def refuse_first_get(page: Page, url: str, origin: str, message: str) -> list[str]:
    """Answer the first GET to ``url`` (a route pattern) with API Gateway's 401 saying ``message``;
    the list of what was refused fills as it happens."""
    refused: list[str] = []

    def refuse_once(route: Route) -> None:
        if route.request.method == "GET" and not refused:
            refused.append(route.request.url)
            route.fulfill(
                status=401,
                headers={"Access-Control-Allow-Origin": origin, "Content-Type": "application/json"},
                body=json.dumps({"message": message}, separators=(",", ":")),
            )
        else:
            route.continue_()

    page.route(url, refuse_once)
    return refused


# Every element that ends beyond the screen's right edge without a clipping box around it, and
# any scroller wider than the screen: what a phone would show cut off or scroll sideways. A box
# that scrolls sideways on its own, and that the keyboard reaches (a wide table in a note read),
# clips what it holds.
WIDER_THAN_THE_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const right = (element) => Math.round(element.getBoundingClientRect().right);
  const scrolls = (e) => /auto|scroll/.test(getComputedStyle(e).overflowX) && e.tabIndex >= 0;
  const clips = (e) => (/hidden|clip/.test(getComputedStyle(e).overflowX) || scrolls(e)) && right(e) <= width;
  const found = [];
  for (const scroller of [document.documentElement, document.querySelector("main")]) {
    const wide = scroller.scrollWidth;
    if (wide > scroller.clientWidth) found.push(`${scroller.tagName} is ${wide} px wide`);
  }
  for (const element of document.body.querySelectorAll("*")) {
    if (right(element) <= width) continue;
    let outer = element.parentElement;
    while (outer && !clips(outer)) outer = outer.parentElement;
    if (!outer) found.push(`${element.outerHTML.slice(0, 60)} ends at ${right(element)} px`);
  }
  return found;
}"""


def cancelled_both_ways(
    page: Page, ask: Locator, question: Locator, description: str, still_there: Callable[[], None]
) -> None:
    """``ask`` (a button) opens ``question`` (an alert dialog), which says ``description`` with
    Cancel focused; Cancel and then Escape each close it, give the focus back to ``ask`` and
    change nothing (``still_there`` checks that)."""
    for cancel in ("button", "Escape"):
        ask.click()
        expect(question).to_be_visible()
        expect(question).to_have_accessible_description(description)
        expect(question.get_by_role("button", name="Cancel")).to_be_focused()
        if cancel == "button":
            question.get_by_role("button", name="Cancel").click()
        else:
            page.keyboard.press("Escape")
        expect(question).to_have_count(0)
        expect(ask).to_be_focused()
        still_there()
