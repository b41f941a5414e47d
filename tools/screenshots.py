"""``make screenshots``: the web app's main screens, in headless Chromium against a local stack
started for the purpose (in a temporary folder, so nothing of ``make run``'s data is touched),
saved as ``docs/screenshots/*.png`` at 1280×800: signed out, the notes, a note read, its history,
its link and the page the link opens, a conflict, the trash, the account, offline."""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import ROOT
from tests.stack import Stack, running_stack
from tests.web.helpers import VIEWPORT, WebUser, chromium_missing, launch, new_user, notes_list, sign_in

OUT = ROOT / "docs" / "screenshots"
NOTES = [
    ("Packing list", "passport\nchargers\nthe good umbrella", ["travel"]),
    ("Book club", "Next: The Left Hand of Darkness.\nBring snacks.", ["friends"]),
    ("Groceries", "eggs\nmilk\nbread\nlemons", ["home", "errands"]),
    ("Ideas for the garden", "tomatoes by the south wall\nmove the mint into a pot", ["home"]),
]


def shoot(page: Page, name: str) -> None:
    page.mouse.move(0, 0)
    page.screenshot(path=str(OUT / f"{name}.png"))
    print(f"docs/screenshots/{name}.png")


def screens(stack: Stack) -> None:
    user = new_user(stack, email="ada@example.com")  # the stack is new: the name is free
    notes = [user.create_note(content, title=title, tags=tags) for title, content, tags in NOTES]
    receipt = user.create_note(
        "Dinner with the team, to be **claimed back**.\n\n| Item | Cost |\n|:--|--:|\n| Dinner | 84.50 |\n"
        "| Taxi | ~~18.00~~ 12.00 |\n\n- [x] The receipt is attached\n- [ ] Send to accounts",
        title="Expenses: March",
        tags=["work"],
    )
    user.attach(receipt["noteId"], "receipt-march.pdf", b"%PDF-1.4\n" + b"0" * 48_000, "application/pdf")
    assert notes
    packing = notes[0]
    for version, content in enumerate(
        ("passport\nchargers", "passport\nchargers\nthe good umbrella\nsocks"), 1
    ):
        changed = user.call(
            "PUT",
            f"/notes/{packing['noteId']}",
            {"title": "Packing list", "content": content},
            f'"{version}"',
        )
        assert changed.status_code == 200, changed.text
    gone = user.create_note("Milk, bread, the usual.", title="Old shopping list", tags=["home"])
    assert user.call("DELETE", f"/notes/{gone['noteId']}").status_code == 204

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(stack.facts.web_url)
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            shoot(page, "signed-out")

            page.get_by_role("button", name="Sign up").click()
            page.get_by_label("Email").fill("grace@example.com")
            page.get_by_label("Password").fill("notes-2026")
            shoot(page, "sign-up")

            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("button", name="Confirm your account").click()
            page.get_by_label("Email").fill("grace@example.com")
            shoot(page, "confirm")

            page.get_by_role("button", name="Back to sign in").click()
            sign_in(page, user, go=False)
            expect(notes_list(page).get_by_role("listitem")).to_have_count(len(NOTES) + 1)
            shoot(page, "notes-list")

            notes_list(page).get_by_role("button", name="Expenses: March").click()
            expect(page.get_by_role("button", name="Download")).to_be_visible()
            page.wait_for_load_state("networkidle")  # the note as read again, drawn
            expect(page.locator(".markdown table")).to_be_visible()  # its Markdown
            page.get_by_role("button", name="Remove attachment").scroll_into_view_if_needed()
            shoot(page, "note-with-attachment")

            history(page, user, packing["noteId"])
            shoot(page, "history")

            url = share(page)
            shoot(page, "share")
            shared_page(browser, url)

            notes_list(page).get_by_role("button", name="Expenses: March").click()
            expect(page.get_by_role("button", name="Download")).to_be_visible()
            conflict(page, user)
            shoot(page, "conflict")

            page.reload()
            page.get_by_role("button", name="Trash", exact=True).click()
            expect(page.get_by_role("button", name="Restore")).to_be_visible()
            shoot(page, "trash")

            page.get_by_role("button", name="Account", exact=True).click()
            expect(page.get_by_role("button", name="Export my notes")).to_be_visible()
            shoot(page, "account")

            offline(page)
            shoot(page, "offline")
        finally:
            browser.close()


def history(page: Page, user: WebUser, note_id: str) -> None:
    """The history of a note edited twice: its earlier versions, with their times."""
    deadline = time.monotonic() + 10
    while len(user.call("GET", f"/notes/{note_id}/versions").json()["versions"]) < 2:  # kept within 2 s
        assert time.monotonic() < deadline, "the versions were not kept"
        time.sleep(0.2)
    notes_list(page).get_by_role("button", name="Packing list").click()
    page.get_by_role("button", name="History", exact=True).click()
    expect(page.get_by_role("button", name=re.compile("^Version 1"))).to_be_visible()


def share(page: Page) -> str:
    """A note shared for a week: its link, ready to copy; the list marks it. Answers the link."""
    notes_list(page).get_by_role("button", name="Expenses: March").click()
    page.get_by_role("button", name="Share", exact=True).click()
    page.get_by_label("The link expires after").select_option("7")
    page.get_by_role("button", name="Make a link").click()
    expect(page.get_by_role("button", name="Copy link")).to_be_focused()
    page.evaluate("document.activeElement.blur()")
    return page.get_by_label("Link", exact=True).input_value()


def shared_page(browser: Browser, url: str) -> None:
    """The page the link opens, in a browser where nobody is signed in."""
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(url)
        expect(page.locator(".markdown:not(.as-written) table")).to_be_visible()
        page.evaluate("document.activeElement.blur()")
        shoot(page, "shared-page")
    finally:
        page.close()


def conflict(page: Page, user: WebUser) -> None:
    """The open note changed elsewhere while typed in, then saved here: the conflict message."""
    note_id = page.url.rsplit("#", 1)[-1]
    current = user.note(note_id)
    page.get_by_role("button", name="Edit", exact=True).click()
    page.get_by_label("Content").fill("Dinner with the team, to be claimed back.\nAdded the taxi too.")
    changed = user.call(
        "PATCH", f"/notes/{note_id}", {"content": "Changed on the phone."}, if_match=current.headers["ETag"]
    )
    assert changed.status_code == 200, changed.text
    expect(page.get_by_role("status")).to_contain_text("was changed on another device")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("group", name="Changed elsewhere")).to_be_visible()
    page.evaluate("document.querySelector('main').scrollTo(0, 0)")  # the notes scroll, not the page


def offline(page: Page) -> None:
    """Without a network: a note written on the device, waiting to be sent."""
    page.get_by_role("button", name="Back to your notes").click()
    page.context.set_offline(True)
    expect(page.locator("#sync-state")).to_contain_text("Offline")
    page.get_by_role("button", name="New note").click()
    page.get_by_label("Title").fill("On the train")
    page.get_by_label("Content").fill("Written without a network: sent when it returns.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#sync-state")).to_contain_text("1 change waits to be sent")


def main() -> int:
    missing = chromium_missing()
    if missing:
        print(f"no screenshots: {missing}", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, running_stack(Path(folder)) as stack:
        screens(stack)
        stack.interrupt()
    return 0


if __name__ == "__main__":
    sys.exit(main())
