"""Your data in the web app, in headless Chromium against the real local stack: the trash (Undo,
the trash view, Restore, Delete forever), changing the password, exporting every note as a ZIP,
and deleting the account.

Under CI=true these tests never skip: without Chromium they fail, saying how to get it.
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
import requests
from botocore.exceptions import ClientError
from playwright.sync_api import Browser, BrowserContext, Page, Route, ViewportSize, expect

from tests.stack import Stack
from tests.web.helpers import (
    PHONE,
    VIEWPORT,
    Tab,
    WebUser,
    alert,
    cancelled_both_ways,
    items,
    new_user,
    notes_list,
    open_tab,
    serious_violations,
    sign_in,
    sign_in_at_pool,
    status,
    wait_for_notes,
)

NEW_PASSWORD = "Another-Pass-5678?"

expect.set_options(timeout=10_000)


def trash_items(page: Page) -> Any:
    return page.get_by_role("list", name="Notes in the trash").get_by_role("listitem")


def trashed(page: Page, label: str) -> Any:
    return trash_items(page).filter(has=page.get_by_role("heading", name=label, exact=True))


def open_trash(page: Page) -> None:
    page.get_by_role("button", name="Trash", exact=True).click()
    expect(page.get_by_role("heading", name="Trash", level=1)).to_be_focused()
    expect(page.get_by_role("list", name="Notes in the trash")).not_to_have_attribute("aria-busy", "true")


def open_account(page: Page) -> None:
    page.get_by_role("button", name="Account", exact=True).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_focused()


def move_to_trash(user: WebUser, note: dict[str, Any]) -> None:
    gone = user.call("DELETE", f"/notes/{note['noteId']}", if_match=f'"{note["version"]}"')
    assert gone.status_code == 204, gone.text


def signs_in(stack: Stack, email: str, password: str) -> bool:
    try:
        stack.cognito().initiate_auth(
            ClientId=stack.facts.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except ClientError as error:
        assert error.response["Error"]["Code"] in ("NotAuthorizedException", "UserNotFoundException")
        return False
    return True


# --- the trash -----------------------------------------------------------------------------


def test_delete_moves_the_note_to_the_trash_and_undo_brings_it_back(tab: Tab, user: WebUser) -> None:
    page = tab.page
    for title in ("Oldest", "Middle", "Newest"):
        user.create_note(f"{title.lower()} words", title=title)
    sign_in(page, user)
    notes_list(page).get_by_role("button", name="Middle").click()
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_label("Title")).to_have_value("Middle")
    note_id = page.url.rsplit("#", 1)[-1]

    # Delete asks nothing of a saved note: the 204, then the news, with Undo, in the live region.
    page.get_by_role("button", name="Delete").click()
    expect(status(page)).to_have_text("Moved to the trash: “Middle”. Undo")
    expect(notes_list(page).locator(".note-title")).to_have_text(["Newest", "Oldest"])
    expect(page.get_by_role("button", name="New note")).to_be_focused()
    assert user.note(note_id).status_code == 404
    assert [n["noteId"] for n in user.call("GET", "/trash").json()["notes"]] == [note_id]

    # Undo: the note is back where it was, open again, and out of the trash.
    undo = status(page).get_by_role("button", name="Undo")
    undo.focus()
    page.keyboard.press("Enter")
    expect(status(page)).to_have_text("“Middle” is back in your notes.")
    expect(notes_list(page).locator(".note-title")).to_have_text(["Newest", "Middle", "Oldest"])
    expect(notes_list(page).get_by_role("button", name="Middle")).to_be_focused()
    expect(page.get_by_label("Title")).to_have_value("Middle")
    assert page.url.endswith(f"#{note_id}")
    back = user.note(note_id).json()
    assert (back["title"], back["content"], back["version"]) == ("Middle", "middle words", 2)
    assert user.call("GET", "/trash").json()["notes"] == []

    # The restored note saves as any other: its ETag is the restored version's.
    page.get_by_label("Content").fill("middle words, kept")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(status(page)).to_have_text("Saved.")
    assert user.note(note_id).json()["version"] == 3
    assert tab.page_errors == []


def test_the_trash_view_lists_what_was_deleted_and_restores_it(
    tab: Tab, user: WebUser, local_stack: Stack
) -> None:
    page = tab.page
    note = user.create_note("the receipt is attached\nsecond line", title="Expenses")
    note = user.attach(note["noteId"], "receipt.txt", b"receipt")
    user.create_note("stays", title="Kept")
    sign_in(page, user)

    # An empty trash says so.
    open_trash(page)
    expect(page.get_by_text("The trash is empty.")).to_be_visible()
    page.get_by_role("button", name="Back to your notes").click()
    expect(page.get_by_role("heading", name="Your notes")).to_be_focused()

    notes_list(page).get_by_role("button", name="Expenses").click()
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_label("Title")).to_have_value("Expenses")
    page.get_by_role("button", name="Delete").click()
    expect(status(page)).to_contain_text("Moved to the trash")
    expect(items(page)).to_have_count(1)

    # The trash: the note's title, a line of it, when it was deleted and when it goes for good.
    open_trash(page)
    assert page.url.endswith("#trash")
    [listed] = user.call("GET", "/trash").json()["notes"]
    item = trashed(page, "Expenses")
    expect(trash_items(page)).to_have_count(1)
    expect(item).to_contain_text("the receipt is attached second line")
    expect(item.locator(".note-meta")).to_have_text(
        re.compile(r"^Deleted .+, deleted for good on .+ · 1 file$")
    )
    expect(item.locator("time").nth(0)).to_have_attribute("datetime", listed["deletedAt"])
    expect(item.locator("time").nth(1)).to_have_attribute("datetime", listed["purgeAt"])
    purge_day = page.evaluate(
        "(iso) => new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' })", listed["purgeAt"]
    )
    expect(item.locator("time").nth(1)).to_have_text(purge_day)
    expect(item.get_by_role("button", name="Restore")).to_have_accessible_description("Expenses")
    assert tab.stack.facts.web_url in page.url

    # A reload comes back to the trash.
    page.reload()
    expect(trash_items(page)).to_have_count(1)

    # Restore: out of the trash, back in the notes with its file.
    item.get_by_role("button", name="Restore").click()
    expect(status(page)).to_have_text("“Expenses” is back in your notes.")
    expect(trash_items(page)).to_have_count(0)
    expect(page.get_by_text("The trash is empty.")).to_be_visible()
    expect(page.get_by_role("heading", name="Trash", level=1)).to_be_focused()
    restored = user.note(note["noteId"]).json()
    assert (restored["attachment"]["name"], restored["version"]) == ("receipt.txt", note["version"] + 1)
    assert any(f"/{note['noteId']}/" in key for key in local_stack.bucket_keys("files/"))

    page.get_by_role("button", name="Back to your notes").click()
    expect(notes_list(page).locator(".note-title")).to_have_text(["Kept", "Expenses"])
    assert not page.url.endswith("#trash")
    assert tab.page_errors == []


def test_delete_forever_asks_first_and_cancel_keeps_the_note(
    tab: Tab, user: WebUser, local_stack: Stack
) -> None:
    page = tab.page
    note = user.create_note("for good", title="Doomed")
    note = user.attach(note["noteId"], "doomed.txt", b"doomed")
    move_to_trash(user, note)
    spared = user.create_note("spared", title="Spared")
    move_to_trash(user, spared)
    sign_in(page, user)
    open_trash(page)
    expect(trash_items(page).locator("h2")).to_have_text(["Spared", "Doomed"])  # most recently deleted first
    item = trashed(page, "Doomed")
    question = page.get_by_role("alertdialog", name="Delete this note forever?")

    # Asked in the page; Cancel (and Escape) keeps the note, and focus goes back to the button.
    def both_kept() -> None:
        expect(trash_items(page)).to_have_count(2)

    cancelled_both_ways(
        page,
        item.get_by_role("button", name="Delete forever"),
        question,
        "“Doomed” and its file will be deleted for good. This cannot be undone.",
        both_kept,
    )
    assert len(user.call("GET", "/trash").json()["notes"]) == 2

    # OK: deleted for good, file and all.
    item.get_by_role("button", name="Delete forever").click()
    question.get_by_role("button", name="Delete forever").click()
    expect(status(page)).to_have_text("“Doomed” is deleted for good.")
    expect(trash_items(page).locator("h2")).to_have_text(["Spared"])
    expect(trashed(page, "Spared").get_by_role("button", name="Restore")).to_be_focused()
    assert [n["noteId"] for n in user.call("GET", "/trash").json()["notes"]] == [spared["noteId"]]
    assert user.call("POST", f"/trash/{note['noteId']}/restore").status_code == 404
    assert [key for key in local_stack.bucket_keys() if f"/{note['noteId']}/" in key] == []

    # Gone elsewhere meanwhile: said, and out of the view.
    assert user.call("DELETE", f"/trash/{spared['noteId']}").status_code == 204
    trashed(page, "Spared").get_by_role("button", name="Restore").click()
    expect(alert(page)).to_have_text(
        "“Spared” is no longer in the trash: it was restored or deleted for good elsewhere."
    )
    expect(trash_items(page)).to_have_count(0)


def test_the_trash_is_listed_a_page_at_a_time(tab: Tab, user: WebUser) -> None:
    page = tab.page
    for number in range(21):
        move_to_trash(user, user.create_note(f"number {number}", title=f"Trashed {number}"))
    sign_in(page, user)
    open_trash(page)
    expect(trash_items(page)).to_have_count(20)
    expect(trash_items(page).first).to_contain_text("Trashed 20")
    page.get_by_role("button", name="Load more").click()
    expect(trash_items(page)).to_have_count(21)
    expect(status(page)).to_have_text("1 more note shown.")
    expect(trashed(page, "Trashed 0").get_by_role("button", name="Restore")).to_be_focused()
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)


# --- the password --------------------------------------------------------------------------


def test_change_the_password_then_only_the_new_one_signs_in(
    tab: Tab, user: WebUser, local_stack: Stack
) -> None:
    page = tab.page
    sign_in(page, user)
    open_account(page)
    assert page.url.endswith("#account")
    form = page.get_by_role("region", name="Change password")
    current = form.get_by_label("Current password")
    new = form.get_by_label("New password", exact=True)
    repeat = form.get_by_label("Repeat the new password")
    change = form.get_by_role("button", name="Change password")

    # What the page checks itself: the rules, and the repetition.
    current.fill(user.password)
    new.fill("short")
    repeat.fill("short")
    change.click()
    expect(alert(page)).to_contain_text("The new password needs at least 12 characters")
    expect(new).to_be_focused()
    new.fill(NEW_PASSWORD)
    repeat.fill(NEW_PASSWORD + "x")
    change.click()
    expect(alert(page)).to_have_text(
        "The new password and its repetition are not the same: type the new password again."
    )
    expect(repeat).to_be_focused()

    # What the pool refuses: the current password wrong, in words.
    current.fill("Not-The-Password-1!")
    repeat.fill(NEW_PASSWORD)
    change.click()
    expect(alert(page)).to_have_text("The current password is not right: your password was not changed.")
    expect(current).to_be_focused()
    assert signs_in(local_stack, user.email, user.password)

    # A policy the pool holds and the page did not know of: the pool's own words are shown.
    def refuse(route: Route) -> None:
        if route.request.headers.get("x-amz-target", "").endswith(".ChangePassword"):
            route.fulfill(
                status=400,
                headers={
                    "Access-Control-Allow-Origin": tab.url.rstrip("/"),
                    "Content-Type": "application/x-amz-json-1.1",
                },
                body=json.dumps(
                    {"__type": "InvalidPasswordException", "message": "Password has previously been used"}
                ),
            )
        else:
            route.continue_()

    page.route(f"{tab.emulator}/", refuse)
    current.fill(user.password)
    change.click()
    expect(alert(page)).to_contain_text(
        "The new password was refused (the sign-in service said: “Password has previously been used”)."
    )
    expect(new).to_be_focused()
    page.unroute(f"{tab.emulator}/")

    # Changed: the fields are emptied, and the old password no longer signs in.
    change.click()
    expect(status(page)).to_have_text("Your password is changed: sign in with the new one from now on.")
    expect(current).to_have_value("")
    expect(new).to_have_value("")
    assert signs_in(local_stack, user.email, NEW_PASSWORD)
    assert not signs_in(local_stack, user.email, user.password)

    page.get_by_role("button", name="Sign out").click()
    # Signed out first: until then "Email" also names the Account screen's confirmation box.
    expect(status(page)).to_have_text("You are signed out.")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(alert(page)).to_have_text("Incorrect email or password.")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    wait_for_notes(page)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert tab.page_errors == []


# --- the export ----------------------------------------------------------------------------


def test_export_shows_its_progress_then_a_link_to_the_zip(tab: Tab, user: WebUser) -> None:
    page = tab.page
    kept = user.create_note("eggs\nmilk", title="Groceries", tags=["home"])
    kept = user.attach(kept["noteId"], "list.txt", b"eggs, milk")
    gone = user.create_note("in the trash", title="Binned")
    move_to_trash(user, gone)
    sign_in(page, user)
    open_account(page)

    # The first answers are held at "1 of 2 notes", so that the progress is seen.
    polls: list[str] = []
    hold = {"on": True}

    def progress(route: Route) -> None:
        real = route.fetch()
        polls.append(route.request.url)
        if hold["on"]:
            answer = {**real.json(), "status": "pending", "progress": {"done": 1, "total": 2}, "url": None}
            route.fulfill(response=real, json=answer)
        else:
            route.fulfill(response=real)

    page.route(f"{tab.api}/exports/*", progress)
    started = time.monotonic()
    page.get_by_role("button", name="Export my notes").click()
    bar = page.get_by_role("progressbar", name="Exporting your notes")
    expect(bar).to_have_attribute("value", "1")
    expect(bar).to_have_attribute("max", "2")
    count = page.locator("#export-count")  # the words beside the bar
    expect(count).to_be_visible()
    expect(count).to_have_text("1 of 2 notes")
    expect(page.get_by_role("button", name="Export my notes")).to_have_count(0)  # one at a time
    while len(polls) < 3:
        page.wait_for_timeout(50)
    assert time.monotonic() - started >= 2  # once the notes are counted, every second, not more often

    hold["on"] = False
    link = page.get_by_role("link", name="Download your notes")
    expect(link).to_be_visible()
    expect(status(page)).to_contain_text("Your notes are exported")
    expect(bar).to_have_count(0)
    expect(page.get_by_text("It can be downloaded until")).to_be_visible()
    href = link.get_attribute("href")
    assert href and href.startswith(f"{tab.emulator}/")  # the bucket's presigned URL, a navigation

    fetched = requests.get(href, timeout=10)
    assert fetched.status_code == 200, fetched.text
    with zipfile.ZipFile(io.BytesIO(fetched.content)) as archive:
        names = set(archive.namelist())
        assert f"{kept['noteId']}.md" in names and f"{kept['noteId']}.json" in names
        assert "eggs\nmilk" in archive.read(f"{kept['noteId']}.md").decode()
        assert archive.read(f"{kept['noteId']}/list.txt") == b"eggs, milk"
        assert json.loads(archive.read(f"{kept['noteId']}.json"))["title"] == "Groceries"
        assert any(name.startswith("trash/") and gone["noteId"] in name for name in names)
    expect(page.get_by_text(re.compile(r"\(ZIP, [\d.,]+ (bytes|KB)\)"))).to_be_visible()

    # Followed in the page, the link saves the ZIP under its name, and the page stays.
    with page.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert re.fullmatch(r"notes-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    assert open(download.path(), "rb").read() == fetched.content
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()

    # A link about to expire is asked for again before it is followed.
    asked = len(polls)
    page.evaluate(
        "() => { const a = document.getElementById('export-link'); a.href = 'http://127.0.0.1:9/expired'; }"
    )
    page.clock.install()  # the page's clock, moved past the link's expiry
    page.clock.set_system_time(time.time() + 2 * 3600)
    with page.expect_download() as downloading:
        link.click()
    assert downloading.value.suggested_filename == download.suggested_filename
    assert len(polls) == asked + 1
    assert tab.page_errors == []


# What the export shows, as it is shown: its words, and whether the bar (or the link) is in view
# and has the focus.
WATCH_THE_EXPORT = """() => {
  window.exportSeen = [];
  const inView = (element) => {
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth;
  };
  new MutationObserver(() => {
    const bar = document.getElementById("export-progress");
    const link = document.getElementById("export-link");
    const shown = bar || link;
    if (!shown) return;
    const seen = {
      words: bar ? document.getElementById("export-count").textContent : link.textContent,
      inView: inView(shown),
      focused: document.activeElement === shown,
    };
    const last = window.exportSeen.at(-1);
    if (!last || JSON.stringify(last) !== JSON.stringify(seen)) window.exportSeen.push(seen);
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["1280x800", "390x844"])
def test_the_exports_progress_and_link_are_shown_where_it_was_asked_for(
    browser: Browser, local_stack: Stack, viewport: ViewportSize
) -> None:
    context = browser.new_context(viewport=viewport)
    try:
        tab = open_tab(context, local_stack, Tab)
        page = tab.page
        user = new_user(local_stack)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda n: user.create_note(f"note {n}", title=f"Note {n}"), range(300)))
        sign_in(page, user)
        open_account(page)
        page.evaluate(WATCH_THE_EXPORT)

        # The button is below the fold: scrolled to, as a person does, and pressed.
        button = page.get_by_role("button", name="Export my notes")
        button.scroll_into_view_if_needed()
        button.click()
        link = page.get_by_role("link", name="Download your notes")
        expect(link).to_be_in_viewport()
        expect(link).to_be_focused()
        expect(status(page)).to_have_text("Your notes are exported: download them with the link below.")

        # The progress took the button's place, in view and focused, and counted the notes as the
        # export went (the API says how many are written, and of how many, while it is pending).
        seen = page.evaluate("window.exportSeen")
        bars = [shown for shown in seen if shown["words"] != "Download your notes"]
        assert bars, seen
        assert all(shown["inView"] and shown["focused"] for shown in seen), seen
        assert any(re.fullmatch(r"[\d,]+ of 300 notes", shown["words"]) for shown in bars), seen
        assert tab.page_errors == []
    finally:
        context.close()


def test_an_export_that_failed_says_why(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("one", title="One")
    sign_in(page, user)
    open_account(page)

    def failed(route: Route) -> None:
        real = route.fetch()
        answer = {
            **real.json(),
            "status": "failed",
            "url": None,
            "error": "the export could not be made; start another",
        }
        route.fulfill(response=real, json=answer)

    page.route(f"{tab.api}/exports/*", failed)
    page.get_by_role("button", name="Export my notes").click()
    expect(alert(page)).to_have_text("The export failed: the export could not be made; start another")
    expect(
        page.get_by_text("The export failed: the export could not be made; start another").last
    ).to_be_visible()
    expect(page.get_by_role("button", name="Export my notes again")).to_be_visible()
    expect(page.get_by_role("link", name="Download your notes")).to_have_count(0)


# --- deleting the account ------------------------------------------------------------------


def test_delete_the_account_needs_the_email_then_its_tokens_are_refused(
    browser: Browser, context: BrowserContext, tab: Tab, user: WebUser, local_stack: Stack
) -> None:
    page = tab.page
    user.create_note("soon gone", title="Everything")
    other_context = browser.new_context(viewport=VIEWPORT)
    try:
        other = other_context.new_page()
        sign_in(other, user)  # another browser, signed in as the same person, with text not saved
        write_a_draft(other, "Everything", "never saved")
        sign_in(page, user)
        session = tab.stored_session()
        assert session is not None
        sibling = context.new_page()  # another window of this browser, signed in with the same session
        sibling.goto(tab.url)
        wait_for_notes(sibling)
        write_a_draft(sibling, "Everything", "not saved either")
        page.bring_to_front()
        open_account(page)

        box = page.get_by_label("Type your email to confirm")
        button = page.get_by_role("button", name="Delete my account")
        expect(box).to_have_accessible_description(f"The email you signed in with: {user.email}")
        expect(button).to_be_disabled()
        for near in (user.email[:-1], f"{user.email}.org", f"x{user.email}"):
            box.fill(near)
            expect(button).to_be_disabled()
        # The email in any letter case, as the API takes it (the pool's usernames have none).
        for spelled in (user.email.upper(), f" {user.email}"):
            box.fill(spelled)
            expect(button).to_be_enabled()
        box.fill(user.email.upper())
        button.click()

        # Signed out here, at once, and told; the sign-in form does not offer the deleted email.
        expect(status(page)).to_have_text("Your account and everything in it are being deleted.")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
        expect(page.get_by_label("Email")).to_have_value("")
        expect(page.get_by_label("Email")).to_be_focused()
        assert tab.stored_session() is None
        assert "#" not in page.url  # whoever signs in next starts at their notes, not at Account

        # The other window of this browser is told why, and keeps nothing of the account.
        expect(alert(sibling)).to_have_text(
            "Your account has been deleted, in another window: you are signed out."
        )
        expect(sibling.get_by_label("Email")).to_have_value("")
        assert kept_drafts(sibling) is None

        # The old session's token is refused by the API.
        refused = requests.get(
            f"{tab.api}/notes", headers={"Authorization": f"Bearer {session['idToken']}"}, timeout=10
        )
        assert (refused.status_code, refused.json()) == (401, {"message": "Unauthorized"})

        # Then the pool forgets the user: the password signs in no more.
        deadline = time.monotonic() + 15
        while signs_in(local_stack, user.email, user.password):
            assert time.monotonic() < deadline, "the user was never deleted"
            time.sleep(0.2)

        # The other browser learns it from the API, which refuses its token though it has not
        # expired, and from the pool, which then refuses to renew it: its drafts are dropped.
        other.reload()
        expect(other.get_by_role("button", name="Sign in")).to_be_visible()
        expect(alert(other)).to_have_text(
            "Your account has been deleted, from another window or device: you are signed out."
        )
        expect(other.get_by_label("Email")).to_have_value("")
        assert kept_drafts(other) is None
    finally:
        other_context.close()
    assert tab.page_errors == []


def write_a_draft(page: Page, title: str, text: str) -> None:
    """Opens the note ``title`` and types ``text`` in it, without saving."""
    notes_list(page).get_by_role("button", name=title).click()
    page.get_by_role("button", name="Edit", exact=True).click()
    page.get_by_label("Content").fill(text)
    deadline = time.monotonic() + 5
    while kept_drafts(page) is None:  # kept in a moment
        assert time.monotonic() < deadline, "the draft was never kept"
        page.wait_for_timeout(50)


def kept_drafts(page: Page) -> Any:
    return page.evaluate("localStorage.getItem('notes.drafts')")


# --- every screen of it, accessible -------------------------------------------------------


def test_no_serious_accessibility_violation_on_the_trash_or_the_account(tab: Tab, user: WebUser) -> None:
    page = tab.page
    move_to_trash(user, user.create_note("binned", title="Binned"))
    user.create_note("kept", title="Kept")
    found: dict[str, list[str]] = {}
    sign_in(page, user)

    notes_list(page).get_by_role("button", name="Kept").click()
    page.get_by_role("button", name="Delete").click()
    expect(status(page).get_by_role("button", name="Undo")).to_be_visible()
    found["moved to the trash, with Undo"] = serious_violations(page)

    open_trash(page)
    expect(trash_items(page)).to_have_count(2)
    found["the trash"] = serious_violations(page)
    trashed(page, "Binned").get_by_role("button", name="Delete forever").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    found["delete forever, asked"] = serious_violations(page)

    page.get_by_role("button", name="Back to your notes").click()
    open_account(page)
    found["the account"] = serious_violations(page)
    page.get_by_role("button", name="Export my notes").click()
    expect(page.get_by_role("link", name="Download your notes")).to_be_visible()
    page.get_by_label("Type your email to confirm").fill(user.email)
    found["the account, exported, deletion confirmed"] = serious_violations(page)

    assert {screen: v for screen, v in found.items() if v} == {}


# --- scoped mode ---------------------------------------------------------------------------


def granted_scopes(tab: Tab) -> list[str]:
    """The scopes of the access token the signed-in page keeps."""
    session = tab.stored_session()
    assert session is not None
    scopes: str = jwt.decode(session["accessToken"], options={"verify_signature": False})["scope"]
    return scopes.split()


def test_scoped_mode_asks_for_the_pools_scope_and_changes_the_password_with_it(
    context: BrowserContext, scoped_stack: Stack
) -> None:
    tab = open_tab(context, scoped_stack, Tab)
    page = tab.page
    person = new_user(scoped_stack, "scoped-password")
    page.goto(tab.url)
    sign_in_at_pool(page, person.email, person.password)
    granted = granted_scopes(tab)
    assert "aws.cognito.signin.user.admin" in granted  # the page asked for the scope its config lists

    open_account(page)
    page.get_by_label("Current password").fill(person.password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(status(page)).to_have_text("Your password is changed: sign in with the new one from now on.")
    assert signs_in(scoped_stack, person.email, NEW_PASSWORD)
    assert not signs_in(scoped_stack, person.email, person.password)


def test_scoped_mode_without_the_pools_scope_sends_the_password_change_to_the_sign_in_page(
    context: BrowserContext, scoped_stack: Stack
) -> None:
    tab = open_tab(context, scoped_stack, Tab)
    page = tab.page
    config = requests.get(f"{tab.url}/config.json", timeout=5).json()
    needed = config["oauth"]["passwordScope"]
    assert needed == "aws.cognito.signin.user.admin"
    scopes = " ".join(scope for scope in config["oauth"]["scopes"].split() if scope != needed)
    narrower = {**config, "oauth": {**config["oauth"], "scopes": scopes}}
    page.route("**/config.json", lambda route: route.fulfill(json=narrower))
    person = new_user(scoped_stack, "scoped-no-password-scope")
    page.goto(tab.url)
    sign_in_at_pool(page, person.email, person.password)
    granted = granted_scopes(tab)
    assert needed not in granted
    open_account(page)
    elsewhere = "The password is changed on the sign-in page of your notes' accounts, not here"
    expect(page.get_by_text(elsewhere)).to_be_visible()
    expect(page.get_by_label("Current password")).to_have_count(0)
