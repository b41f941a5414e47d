"""The web app in a real browser (headless Chromium) against the real local stack.

Controls are found as a person finds them, by role and accessible name. Under CI=true these
tests never skip: without Chromium they fail, saying how to get it.
"""

from __future__ import annotations

import re
import time

import jwt
import pytest
import requests
from botocore.exceptions import ClientError
from playwright.sync_api import Browser, Page, Route, expect

from tests.stack import Stack
from tests.tokens import TokenFactory
from tests.web.helpers import (
    SESSION_KEY,
    VIEWPORT,
    WIDER_THAN_THE_SCREEN,
    Tab,
    WebUser,
    alert,
    cancelled_both_ways,
    choose_file,
    items,
    new_user,
    notes_list,
    open_tab,
    refuse_first_get,
    requests_where,
    serious_violations,
    sign_in,
    status,
    wait_for_notes,
    without_live_updates,
)

CORS = "Access-Control-Allow-Origin"

expect.set_options(timeout=10_000)


def shown_text(page: Page) -> str:
    """Everything the page shows in words, as a person reads it."""
    return page.locator("body").inner_text()


def read_note(page: Page, label: str) -> None:
    """Opens the note ``label``: it is read, its content shown as Markdown."""
    notes_list(page).get_by_role("button", name=label).click()
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_visible()


def open_note(page: Page, label: str) -> None:
    """Opens the note ``label`` in the editor: read, then Edit."""
    read_note(page, label)
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", name="Edit note")).to_be_visible()
    expect(page.get_by_label("Title")).to_be_editable()


def save(page: Page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    expect(status(page)).to_have_text("Saved.")


# --- the journey ---------------------------------------------------------------------------


def test_the_whole_journey(browser: Browser, tab: Tab, local_stack: Stack) -> None:
    page = tab.page
    email = f"journey-{time.time_ns()}@example.com"
    password = "Journey-Pass-1234!"

    # Sign up, with the password rules in view before anything is sent.
    page.goto(tab.url)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("At least 12 characters")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()

    # Confirm: locally, the page says no email is sent and any code will do.
    expect(page.get_by_text("no email is sent")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)
    page.get_by_label("Confirmation code").fill("000000")
    page.get_by_role("button", name="Confirm").click()

    # Sign in.
    expect(status(page)).to_contain_text("confirmed")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_for_notes(page)
    expect(items(page)).to_have_count(0)
    person = WebUser(local_stack, email, password)

    # Create.
    page.get_by_role("button", name="New note").click()
    page.get_by_label("Title").fill("Groceries")
    page.get_by_label("Content").fill("eggs\nmilk")
    page.get_by_label("Tags").fill("home, errands")
    save(page)
    expect(items(page)).to_have_count(1)
    expect(items(page).first).to_contain_text("Groceries")
    [note] = person.call("GET", "/notes").json()["notes"]
    assert (note["title"], note["content"], note["tags"], note["version"]) == (
        "Groceries",
        "eggs\nmilk",
        ["home", "errands"],
        1,
    )
    note_id = note["noteId"]

    # Edit: title, content and tags, saved with If-Match.
    page.get_by_label("Title").fill("Groceries for Sunday")
    page.get_by_label("Content").fill("eggs\nmilk\nbread")
    page.get_by_label("Tags").fill("home, weekend")
    save(page)
    stored = person.note(note_id).json()
    assert (stored["title"], stored["content"], stored["tags"], stored["version"]) == (
        "Groceries for Sunday",
        "eggs\nmilk\nbread",
        ["home", "weekend"],
        2,
    )
    expect(items(page).first).to_contain_text("Groceries for Sunday")

    # Attach a small file: the progress shows while it goes up, then the attachment.
    data = b"receipt: eggs 2.10, milk 1.05\n"
    bucket_url = f"{tab.emulator}/{local_stack.facts.bucket_name}"
    held: list[Route] = []

    def hold_upload(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(f"{bucket_url}**", hold_upload)
    choose_file(page, "Attach file", "receipt.txt", data)
    progress = page.get_by_role("progressbar", name="Uploading receipt.txt")
    expect(progress).to_be_visible()
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(20)
    assert held, "the file never went to the bucket"
    expect(progress).to_be_visible()
    held[0].continue_()
    expect(status(page)).to_contain_text("Attached “receipt.txt”")
    expect(progress).to_have_count(0)
    page.unroute(f"{bucket_url}**")
    attachment = page.get_by_role("region", name="Attachment")
    expect(attachment).to_contain_text("receipt.txt")
    expect(attachment).to_contain_text(f"{len(data)} bytes")
    assert person.note(note_id).json()["attachment"]["name"] == "receipt.txt"

    # Download: the file saved is the file attached.
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download").click()
    download = downloading.value
    assert download.suggested_filename == "receipt.txt"
    assert open(download.path(), "rb").read() == data
    expect(page.get_by_role("heading", name="Edit note")).to_be_visible()  # the page stayed

    # A conflict: the same note changed in a second browser (B) while A types, before A saves.
    # (A note is shown changed live in the other page only while nothing typed in it is unsaved.)
    other_context = browser.new_context(viewport=VIEWPORT)
    try:
        other = open_tab(other_context, local_stack, Tab).page
        sign_in(other, person)
        open_note(other, "Groceries for Sunday")
        page.get_by_label("Content").fill("A typed this")
        other.get_by_label("Content").fill("B changed this")
        save(other)
        other.get_by_label("Title").fill("B's title")  # B types on, and does not save yet

        expect(status(page)).to_contain_text("was changed on another device")
        expect(page.get_by_label("Content")).to_have_value("A typed this")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(alert(page)).to_contain_text("changed elsewhere")
        expect(page.get_by_role("group", name="Changed elsewhere")).to_be_visible()
        expect(page.get_by_label("Content")).to_have_value("A typed this")  # nothing typed is lost
        assert person.note(note_id).json()["content"] == "B changed this"

        # A keeps their text, then saves it over B's.
        page.get_by_role("button", name="Keep my text").click()
        expect(page.get_by_role("group", name="Changed elsewhere")).to_have_count(0)
        expect(page.get_by_label("Content")).to_have_value("A typed this")
        save(page)
        assert person.note(note_id).json()["content"] == "A typed this"

        # B, now behind, meets the conflict too, and reloads the note instead.
        other.get_by_role("button", name="Save", exact=True).click()
        expect(other.get_by_role("group", name="Changed elsewhere")).to_be_visible()
        expect(other.get_by_label("Title")).to_have_value("B's title")
        other.get_by_role("button", name="Reload the note").click()
        expect(other.get_by_label("Content")).to_have_value("A typed this")
        expect(other.get_by_label("Title")).to_have_value("Groceries for Sunday")
    finally:
        other_context.close()

    # Delete: nothing is asked, the note goes to the trash with its file (Undo is offered).
    page.get_by_role("button", name="Delete").click()
    expect(status(page)).to_contain_text("Moved to the trash: “Groceries for Sunday”.")
    expect(status(page).get_by_role("button", name="Undo")).to_be_visible()
    expect(items(page)).to_have_count(0)
    assert person.note(note_id).status_code == 404
    [trashed] = person.call("GET", "/trash").json()["notes"]
    assert (trashed["noteId"], trashed["attachment"]["name"]) == (note_id, "receipt.txt")

    # Sign out: the refresh token is revoked at the pool (it renews nothing any more) and forgotten,
    # with no error on the page, in its console or in the make run terminal.
    kept = tab.stored_session()
    assert kept is not None
    refresh_token = kept["refreshToken"]
    errors_before = len(tab.console_errors)  # the 412 of the conflict above is logged by the browser
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(status(page)).to_have_text("You are signed out.")
    expect(alert(page)).to_have_count(0)  # no error shown
    assert tab.stored_session() is None
    with pytest.raises(ClientError, match="NotAuthorizedException"):
        local_stack.cognito().initiate_auth(
            ClientId=local_stack.facts.user_pool_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    assert tab.console_errors[errors_before:] == []
    assert "Traceback" not in local_stack.output.text()

    # And in again.
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_for_notes(page)
    expect(page.get_by_role("button", name="New note")).to_be_visible()
    assert tab.page_errors == []
    assert tab.dialogs == []


# --- sessions ------------------------------------------------------------------------------


def test_a_reload_keeps_the_session_and_what_was_typed(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("kept across reloads", title="Reloaded")
    sign_in(page, user)
    session = tab.stored_session()
    assert session and session["refreshToken"]
    assert "idToken" not in page.url and session["idToken"] not in page.url  # never in the address

    open_note(page, "Reloaded")
    page.get_by_label("Content").fill("typed, not saved")
    page.reload()

    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(items(page)).to_have_count(1)
    expect(page.get_by_label("Content")).to_have_value("typed, not saved")
    expect(items(page).first).to_contain_text("unsaved changes")

    # Signing out would drop what was typed: the page says so first, and signs out when asked again.
    page.get_by_role("button", name="Sign out").click()
    expect(alert(page)).to_contain_text("You have unsaved changes in 1 note")
    expect(page.get_by_label("Content")).to_have_value("typed, not saved")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert tab.stored_session() is None
    assert page.evaluate("Object.keys(localStorage)") == []
    assert tab.page_errors == []


def test_an_expired_id_token_is_renewed_with_the_refresh_token(
    tab: Tab, user: WebUser, local_stack: Stack
) -> None:
    page = tab.page
    user.create_note("still here", title="After renewal")
    sign_in(page, user)
    stored = tab.stored_session()
    assert stored is not None

    claims = jwt.decode(stored["idToken"], options={"verify_signature": False})
    now = int(time.time())
    expired = TokenFactory(claims["iss"], claims["aud"], local_stack.signing_key()).id_token(
        sub=claims["sub"], email=user.email, iat=now - 7200, auth_time=now - 7200, exp=now - 3600
    )
    page.evaluate(
        "([key, token]) => { const s = JSON.parse(localStorage.getItem(key)); s.idToken = token;"
        " localStorage.setItem(key, JSON.stringify(s)); }",
        [SESSION_KEY, expired],
    )
    renewals = requests_where(page, lambda request: "REFRESH_TOKEN_AUTH" in (request.post_data or ""))
    page.reload()

    expect(items(page)).to_have_count(1)
    expect(items(page).first).to_contain_text("After renewal")
    assert len(renewals) == 1
    renewed = tab.stored_session()
    assert renewed is not None and renewed["idToken"] != expired
    assert jwt.decode(renewed["idToken"], options={"verify_signature": False})["exp"] > now
    assert renewed["refreshToken"] == stored["refreshToken"]
    expect(alert(page)).to_have_count(0)  # no error shown


def test_an_expired_answer_from_the_api_renews_once_and_tries_again(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("after a 401", title="Renewed on 401")
    refused = refuse_first_get(page, f"{tab.api}/notes?*", tab.url, "The incoming token has expired")
    sign_in(page, user)
    expect(items(page)).to_have_count(1)
    assert len(refused) == 1
    expect(alert(page)).to_have_count(0)  # no error shown


def test_a_session_that_cannot_be_renewed_asks_to_sign_in_again(tab: Tab, user: WebUser) -> None:
    page = tab.page
    sign_in(page, user)
    page.evaluate(
        "(key) => { const s = JSON.parse(localStorage.getItem(key));"
        " s.idToken = s.idToken.split('.')[0] + '.eyJleHAiOjF9.x'; s.refreshToken = 'not-a-refresh-token';"
        " localStorage.setItem(key, JSON.stringify(s)); }",
        SESSION_KEY,
    )
    page.reload()
    expect(alert(page)).to_contain_text("Your session has expired: sign in again.")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(user.email)
    assert tab.stored_session() is None


def test_a_forgotten_password_is_replaced(tab: Tab, user: WebUser) -> None:
    page = tab.page
    page.goto(tab.url)
    page.get_by_role("button", name="Forgot your password?").click()
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_text("no email is sent")).to_be_visible()
    page.get_by_label("Confirmation code").fill("111111")
    page.get_by_label("New password").fill("Another-Pass-5678?")
    page.get_by_role("button", name="Set new password").click()
    expect(status(page)).to_contain_text("Your password is changed")
    user.password = "Another-Pass-5678?"
    sign_in(page, user, go=False)


def test_the_password_rules_are_checked_before_signing_up(tab: Tab) -> None:
    page = tab.page
    sent = requests_where(page, lambda request: request.headers.get("x-amz-target", "").endswith(".SignUp"))
    page.goto(tab.url)
    page.get_by_role("button", name="Sign up").click()
    for rule in (
        "At least 12 characters",
        "An upper-case letter",
        "A lower-case letter",
        "A digit",
        "A symbol",
    ):
        expect(page.get_by_text(rule)).to_be_visible()
    page.get_by_label("Email").fill("weak@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(alert(page)).to_contain_text("at least 12 characters")
    expect(alert(page)).to_contain_text("a digit")
    expect(page.get_by_label("Password")).to_be_focused()
    # Letters beyond ASCII are no symbols to Cognito, so not to the page either.
    page.get_by_label("Password").fill("Longenough1éé€")
    page.get_by_role("button", name="Sign up").click()
    expect(alert(page)).to_contain_text("a symbol")
    expect(alert(page)).not_to_contain_text("a digit")
    assert sent == []


# --- notes ---------------------------------------------------------------------------------


def test_notes_come_newest_first_and_load_more_adds_the_next_page(tab: Tab, user: WebUser) -> None:
    page = tab.page
    for number in range(1, 26):
        user.create_note(f"body {number}", title=f"Note {number:02d}")
    sign_in(page, user)
    expect(items(page)).to_have_count(20)
    expect(items(page).first).to_contain_text("Note 25")
    expect(items(page).last).to_contain_text("Note 06")
    page.get_by_role("button", name="Load more").click()
    expect(items(page)).to_have_count(25)
    expect(items(page).last).to_contain_text("Note 01")
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    # The first note just shown has focus, so keyboard use goes on from there.
    expect(items(page).nth(20).get_by_role("button")).to_be_focused()


def test_a_note_without_title_is_listed_by_its_first_line(tab: Tab, user: WebUser) -> None:
    user.create_note("\nfirst line\nsecond line")
    sign_in(tab.page, user)
    expect(items(tab.page).first.locator(".note-title")).to_have_text("first line")
    # The line below the label shows the content after the line that names the note.
    expect(items(tab.page).first.locator(".note-preview")).to_have_text("second line")


def test_a_blank_title_gives_way_to_the_first_line_then_to_untitled(tab: Tab, user: WebUser) -> None:
    page = tab.page
    # The rule: the title, else the content's first line that is not blank (its first 80
    # characters), else "Untitled note"; blank is what JavaScript's trim() removes.
    cases = [
        (" \t ", "\n \t\nfirst line\nsecond line", "first line"),
        ("\u00a0\u3000", "\r\n  the line after a blank one\r\n", "the line after a blank one"),
        ("   ", "  \n\t", "Untitled note"),
        ("\n", "", "Untitled note"),
        ("  ", "x" * 79 + "😀 is the 80th character", "x" * 79 + "😀"),  # never half a character
    ]
    for title, content, _ in cases:
        user.create_note(content, title=title)
    sign_in(page, user)
    listed = [label for _, _, label in reversed(cases)]  # newest first
    expect(notes_list(page).locator(".note-title")).to_have_text(listed)
    expect(items(page).first).not_to_contain_text("\ufffd")

    # Where the page names a note it uses the same label: deleting, bringing back, attaching.
    open_note(page, "first line")
    expect(page.get_by_label("Title")).to_have_value(" \t ")  # what was saved is kept as it is
    page.get_by_role("button", name="Delete").click()
    expect(status(page)).to_contain_text("Moved to the trash: “first line”.")
    status(page).get_by_role("button", name="Undo").click()
    expect(status(page)).to_have_text("“first line” is back in your notes.")
    expect(notes_list(page).locator(".note-title")).to_have_text(listed)  # where it was
    expect(page.get_by_label("Title")).to_have_value(" \t ")
    choose_file(page, "Attach file", "list.txt", b"list")
    expect(status(page)).to_have_text("Attached “list.txt” to “first line”.")


def test_replace_and_remove_the_attachment(tab: Tab, user: WebUser, local_stack: Stack) -> None:
    page = tab.page
    note = user.create_note("with files", title="Files")
    sign_in(page, user)
    open_note(page, "Files")
    for name in ("one.txt", "two.txt"):
        choose_file(page, "Attach file", name, name.encode())
        expect(status(page)).to_contain_text(f"Attached “{name}”")
    expect(page.get_by_role("button", name="Attach file")).to_have_accessible_description(
        "One file per note, up to 10 MB: a file attached replaces “two.txt”."
    )
    attachment = page.get_by_role("region", name="Attachment")
    expect(attachment).to_contain_text("two.txt")
    files = [key for key in local_stack.bucket_keys("files/") if f"/{note['noteId']}/" in key]
    assert len(files) == 1  # the file replaced was deleted

    page.get_by_role("button", name="Remove attachment").click()
    question = page.get_by_role("alertdialog", name="Remove the attachment?")
    question.get_by_role("button", name="Remove").click()
    expect(status(page)).to_have_text("Attachment removed.")
    expect(attachment).to_contain_text("No file attached.")
    expect(page.get_by_role("button", name="Attach file")).to_be_focused()
    assert user.note(note["noteId"]).json()["attachment"] is None
    assert [key for key in local_stack.bucket_keys() if f"/{note['noteId']}/" in key] == []


def test_removing_the_attachment_asks_first(tab: Tab, user: WebUser, local_stack: Stack) -> None:
    page = tab.page
    note = user.create_note("with a file", title="Asked")
    user.attach(note["noteId"], "kept.txt", b"kept")
    sign_in(page, user)
    open_note(page, "Asked")
    attachment = page.get_by_role("region", name="Attachment")
    question = page.get_by_role("alertdialog", name="Remove the attachment?")

    # Asked, then cancelled with the button and with Escape: the file stays.
    def file_kept() -> None:
        expect(attachment).to_contain_text("kept.txt")
        assert user.note(note["noteId"]).json()["attachment"]["name"] == "kept.txt"

    cancelled_both_ways(
        page,
        page.get_by_role("button", name="Remove attachment"),
        question,
        "“kept.txt” will be removed from this note and deleted. This cannot be undone.",
        file_kept,
    )

    page.get_by_role("button", name="Remove attachment").click()
    assert serious_violations(page) == []
    question.get_by_role("button", name="Remove").click()
    expect(status(page)).to_have_text("Attachment removed.")
    expect(attachment).to_contain_text("No file attached.")
    assert user.note(note["noteId"]).json()["attachment"] is None
    assert [key for key in local_stack.bucket_keys() if f"/{note['noteId']}/" in key] == []


def test_the_upload_code_is_loaded_at_the_first_upload_and_its_failure_said(tab: Tab, user: WebUser) -> None:
    page = tab.page
    loaded = requests_where(page, lambda request: request.url.endswith((".js", ".css")))
    user.create_note("a file comes later", title="Later")
    sign_in(page, user)
    open_note(page, "Later")
    names = {request.url.rsplit("/", 1)[-1] for request in loaded}
    assert "app.js" in names
    assert {"upload.js", "oauth.js"} & names == set()  # neither a first visit nor ID mode needs them

    # The note's routes (the change feed may be pulled meanwhile, as the page follows changes).
    asked = requests_where(page, lambda request: request.url.startswith(f"{tab.api}/notes"))
    page.route("**/upload.js", lambda route: route.abort("connectionrefused"))
    choose_file(page, "Attach file", "later.txt", b"later")
    expect(alert(page)).to_have_text(
        "The page could not load its upload code (upload.js): reload it and attach the file again."
    )
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.get_by_role("button", name="Attach file")).to_be_enabled()
    assert asked == []  # nothing was asked of the API about the note
    assert tab.page_errors == []


def test_the_notes_screen_is_loaded_at_sign_in_and_its_failure_said(tab: Tab, user: WebUser) -> None:
    page = tab.page
    loaded = requests_where(page, lambda request: request.url.endswith("/notes-screen.js"))
    user.create_note("shown once loaded", title="Loaded")
    page.goto(tab.url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert loaded == []  # a first visit does without it

    page.route("**/notes-screen.js", lambda route: route.abort("connectionrefused"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Notes cannot start")).to_be_visible()
    expect(alert(page)).to_have_text("The page could not load its notes screen (notes-screen.js): reload it.")
    assert tab.page_errors == []

    page.unroute("**/notes-screen.js")
    page.reload()  # still signed in
    expect(items(page)).to_have_count(1)
    expect(items(page).first).to_contain_text("Loaded")
    expect(alert(page)).to_have_count(0)


def test_the_signed_in_files_are_asked_for_at_once(tab: Tab, user: WebUser) -> None:
    """At sign-in no file waits for another to arrive first (the module that imports it): held
    until nothing more is asked for, the files asked for are every file the sign-in loads."""
    page = tab.page
    page.goto(tab.url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    held: list[Route] = []
    released = False

    def hold(route: Route) -> None:
        if released:
            route.continue_()
        else:
            held.append(route)

    page.route("**/*.{js,css}", hold)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    asked = -1
    while asked != len(held):  # until half a second passes with nothing more asked for
        asked = len(held)
        page.wait_for_timeout(500)
    at_once = {route.request.url.rsplit("/", 1)[-1] for route in held}
    later = requests_where(page, lambda request: request.url.endswith((".js", ".css")))
    released = True
    for route in held:
        route.continue_()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    wait_for_notes(page)
    page.wait_for_load_state("networkidle")
    # None asked for once others came, but what is loaded on purpose once the first page of notes
    # is drawn (note-actions.js): the history's and the links' modules.
    after_the_first_page = {"history.js", "sharing.js"}
    assert [
        name for request in later if (name := request.url.rsplit("/", 1)[-1]) not in after_the_first_page
    ] == []
    assert not after_the_first_page & at_once  # a sign-in does not wait for them
    assert {"notes-screen.js", "notes-list.js", "notes-screen.css"} <= at_once
    assert tab.page_errors == []


def test_a_file_too_large_is_refused_before_uploading(tab: Tab, user: WebUser) -> None:
    page = tab.page
    config = requests.get(f"{tab.url}/config.json", timeout=5).json()
    page.route("**/config.json", lambda route: route.fulfill(json={**config, "maxAttachmentBytes": 8}))
    asked = requests_where(page, lambda request: request.url.endswith("/attachment"))
    user.create_note("small files only", title="Tiny")
    sign_in(page, user)
    open_note(page, "Tiny")
    expect(page.get_by_text("up to 8 bytes")).to_be_visible()
    choose_file(page, "Attach file", "big.txt", b"x" * 20)
    expect(alert(page)).to_contain_text("“big.txt” is 20 bytes: a note can carry a file of at most 8 bytes")
    assert asked == []


def test_a_size_just_under_a_unit_is_said_in_that_unit(tab: Tab, user: WebUser) -> None:
    page = tab.page
    note = user.create_note("a file of 1 MiB less one byte", title="Almost")
    user.attach(note["noteId"], "almost.bin", b"\0" * (1024 * 1024 - 1))
    sign_in(page, user)
    open_note(page, "Almost")
    attachment = page.get_by_role("region", name="Attachment")
    expect(attachment).to_contain_text("1.0 MB")  # rounded as shown, never "1024 KB"
    expect(attachment).not_to_contain_text("1024 KB")


def test_a_file_just_over_the_limit_is_said_in_figures_that_differ(tab: Tab, user: WebUser) -> None:
    page = tab.page
    limit = requests.get(f"{tab.url}/config.json", timeout=5).json()["maxAttachmentBytes"]
    assert limit == 10 * 1024 * 1024  # the stage's default, 10 MB as the page rounds it
    asked = requests_where(page, lambda request: request.url.endswith("/attachment"))
    user.create_note("a large file", title="Large")
    sign_in(page, user)
    open_note(page, "Large")
    choose_file(page, "Attach file", "big.bin", b"\0" * (limit + 1), "application/octet-stream")
    # Both sizes round to "10 MB": the page says them in bytes.
    expect(alert(page)).to_have_text(
        "“big.bin” is 10,485,761 bytes: a note can carry a file of at most 10,485,760 bytes."
    )
    assert asked == []


def test_the_rules_checked_before_asking_are_the_settings(tab: Tab, user: WebUser) -> None:
    page = tab.page
    config = requests.get(f"{tab.url}/config.json", timeout=5).json()
    stricter = {
        **config,
        "passwordPolicy": {**config["passwordPolicy"], "minimumLength": 16, "requireSymbols": False},
        "fileNameMaxChars": 8,
    }
    page.route("**/config.json", lambda route: route.fulfill(json=stricter))
    asked = requests_where(page, lambda request: request.url.endswith("/attachment"))
    page.goto(tab.url)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("At least 16 characters")).to_be_visible()
    expect(page.get_by_text("A symbol")).to_have_count(0)
    page.get_by_label("Email").fill("strict@example.com")
    page.get_by_label("Password").fill("Only-15-chars-A")
    page.get_by_role("button", name="Sign up").click()
    expect(alert(page)).to_have_text("The password needs at least 16 characters.")
    page.get_by_role("button", name="Sign in").click()
    user.create_note("short names only", title="Short")
    sign_in(page, user, go=False)
    open_note(page, "Short")
    # Short enough, but a right-to-left override shows "a\u202eb.txt" as "atxt.b": refused, as by the API.
    choose_file(page, "Attach file", "a\u202eb.txt", b"data")
    expect(alert(page)).to_contain_text("invisible formatting characters")
    assert asked == []
    page.reload()
    open_note(page, "Short")
    choose_file(page, "Attach file", "too-long.txt", b"data")
    expect(alert(page)).to_contain_text("rename the file (at most 8 characters, no slashes")
    assert asked == []


def test_note_text_and_file_names_show_as_text_and_run_nothing(tab: Tab, user: WebUser) -> None:
    page = tab.page
    markup = "<img src=x onerror=alert(1)>"
    file_name = "<img src=y onerror=alert(2)>.txt"
    note = user.create_note(markup, tags=["<b>tag</b>"])
    user.attach(note["noteId"], file_name, b"payload")
    sign_in(page, user)
    expect(items(page).first).to_contain_text(markup)
    items(page).first.get_by_role("button").click()
    expect(page.locator(".markdown:not(.as-written)")).to_have_text(markup)  # read: as text
    expect(page.get_by_role("region", name="Attachment")).to_contain_text(file_name)
    page.wait_for_timeout(300)
    assert page.locator("img").count() == 0
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_label("Content")).to_have_value(markup)
    expect(page.get_by_label("Tags")).to_have_value("<b>tag</b>")
    expect(page.get_by_role("region", name="Attachment")).to_contain_text(file_name)
    page.wait_for_timeout(300)  # time for an injected image to fail and its handler to run
    assert page.locator("img").count() == 0
    assert page.locator("b").count() == 0
    assert tab.dialogs == []
    assert tab.console_errors == []
    assert tab.page_errors == []


def test_a_conflict_is_said_once(tab: Tab, user: WebUser) -> None:
    page = tab.page
    note = user.create_note("as it was", title="Said once")
    without_live_updates(page)  # the page meets the changes made elsewhere only as it saves
    sign_in(page, user)
    open_note(page, "Said once")
    changed = user.call("PATCH", f"/notes/{note['noteId']}", {"content": "changed in another window"})
    assert changed.status_code == 200
    page.get_by_label("Content").fill("typed here")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("group", name="Changed elsewhere")).to_be_visible()
    expect(alert(page)).to_have_text(
        "This note was changed elsewhere since you opened it, so your changes were not saved."
        " Your text is still here."
    )
    assert shown_text(page).count("your changes were not saved") == 1
    assert shown_text(page).count("Your text is still here") == 1

    # Deleted elsewhere meanwhile: said once too.
    assert user.call("DELETE", f"/notes/{note['noteId']}").status_code == 204
    page.get_by_role("button", name="Keep my text").click()
    expect(page.get_by_role("group", name="Deleted elsewhere")).to_be_visible()
    expect(alert(page)).to_have_text(
        "This note was deleted elsewhere, so your changes were not saved. Your text is still here."
    )
    assert shown_text(page).count("your changes were not saved") == 1
    assert shown_text(page).count("Your text is still here") == 1
    expect(page.get_by_label("Content")).to_have_value("typed here")


# --- errors, in words ----------------------------------------------------------------------


def test_the_api_unreachable_is_said_in_words_and_can_be_retried(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("back again", title="Reachable")
    page.route(f"{tab.api}/**", lambda route: route.abort("connectionrefused"))
    sign_in(page, user)
    expect(alert(page)).to_contain_text(f"the notes service ({tab.api}) cannot be reached")
    page.unroute(f"{tab.api}/**")
    page.get_by_role("button", name="Try again").click()
    expect(items(page)).to_have_count(1)
    expect(alert(page)).to_have_count(0)  # no error shown


def test_the_emulator_unreachable_is_said_in_words(tab: Tab, user: WebUser) -> None:
    page = tab.page
    page.route(f"{tab.emulator}/**", lambda route: route.abort("connectionrefused"))
    page.goto(tab.url)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(alert(page)).to_contain_text("the sign-in service")
    expect(alert(page)).to_contain_text("cannot be reached")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_wrong_password_is_said_in_words(tab: Tab, user: WebUser) -> None:
    page = tab.page
    page.goto(tab.url)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("Not-The-Password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(alert(page)).to_have_text("Incorrect email or password.")
    expect(page.get_by_label("Password")).to_be_focused()


def test_settings_that_cannot_load_are_said_in_words(tab: Tab) -> None:
    page = tab.page
    page.route("**/config.json", lambda route: route.fulfill(status=500, body="broken"))
    page.goto(tab.url)
    expect(page.get_by_role("heading", name="Notes cannot start")).to_be_visible()
    expect(alert(page)).to_contain_text("config.json")
    expect(alert(page)).to_contain_text("500")


def test_settings_without_the_shared_rules_are_said_in_words(tab: Tab) -> None:
    page = tab.page
    config = requests.get(f"{tab.url}/config.json", timeout=5).json()
    lacking = {
        key: value for key, value in config.items() if key not in ("passwordPolicy", "mediaTypePattern")
    }
    page.route("**/config.json", lambda route: route.fulfill(json=lacking))
    page.goto(tab.url)
    expect(page.get_by_role("heading", name="Notes cannot start")).to_be_visible()
    expect(alert(page)).to_have_text(
        "The page's settings (config.json) lack mediaTypePattern, passwordPolicy."
    )


def test_a_busy_api_is_tried_again_then_said_in_words(tab: Tab, user: WebUser) -> None:
    page = tab.page
    answered: list[str] = []

    def busy(route: Route) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        answered.append(route.request.url)
        route.fulfill(
            status=503,
            headers={CORS: tab.url, "Retry-After": "0", "Content-Type": "application/json"},
            body='{"Code": "ServiceUnavailable", "Message": "the notes table is throttled"}',
        )

    page.route(f"{tab.api}/notes?*", busy)
    sign_in(page, user)
    expect(alert(page)).to_contain_text("unavailable right now (503)")
    assert len(answered) == 3  # the first try and two more


def test_a_refusal_of_the_api_is_said_with_its_message(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("tags", title="Tagged")
    sign_in(page, user)
    open_note(page, "Tagged")
    page.get_by_label("Tags").fill("x" * 51)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(alert(page)).to_contain_text("The note was not saved:")
    expect(alert(page)).to_contain_text("tags[0]")
    expect(page.get_by_label("Tags")).to_have_value("x" * 51)


# --- on a phone, and messages ---------------------------------------------------------------

# What of the page scrolls sideways, or reaches past the right edge of the screen (and is not cut
# off by a box within it, as a title cut with an ellipsis is).


def test_on_a_phone_the_page_is_never_wider_than_the_screen(phone: Tab, local_stack: Stack) -> None:
    page = phone.page
    person = new_user(local_stack, email=f"someone-with-a-rather-long-address-{time.time_ns()}@example.com")
    title = "A note whose title is far longer than a phone's screen is wide, however it is held"
    note = person.create_note("the content", title=title, tags=["one-long-tag-without-a-single-space-in-it"])
    person.attach(note["noteId"], "a-file-whose-name-goes-on-without-a-space-" + "x" * 40 + ".txt", b"x")
    page.goto(phone.url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
    page.get_by_role("button", name="Sign in").click()

    sign_in(page, person, go=False)
    expect(items(page)).to_have_count(1)
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
    expect(page.get_by_role("button", name="New note")).to_be_in_viewport(ratio=1)
    # The title is cut with an ellipsis on screen; the button is still named by all of it.
    shown = notes_list(page).locator(".note-title")
    assert shown.evaluate("(e) => getComputedStyle(e).textOverflow") == "ellipsis"
    assert shown.evaluate("(e) => e.scrollWidth > e.clientWidth")
    expect(notes_list(page).get_by_role("button")).to_have_accessible_name(re.compile(f"^{re.escape(title)}"))

    read_note(page, title)
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_label("Title")).to_be_editable()
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
    page.get_by_role("button", name="Remove attachment").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []


# The note's fields that something else is drawn over, at any place they take while the page
# scrolls from top to bottom (a frame drawn at each step) and they are in view.
FIELDS_COVERED = """async () => {
  const fields = ["title", "content", "tags", "save"].map((id) => document.getElementById(id));
  const scrolls = (e) => e.scrollHeight > e.clientHeight && /auto|scroll/.test(getComputedStyle(e).overflowY);
  let scroller = fields[0].parentElement;
  while (scroller && !scrolls(scroller)) scroller = scroller.parentElement;
  scroller = scroller || document.scrollingElement;
  const whole = scroller === document.scrollingElement;
  const view = whole ? { top: 0, bottom: innerHeight } : scroller.getBoundingClientRect();
  const covered = [];
  for (let top = 0; top <= scroller.scrollHeight; top += 20) {
    scroller.scrollTop = top;
    await new Promise(requestAnimationFrame);
    for (const field of fields) {
      const box = field.getBoundingClientRect();
      const x = box.left + box.width / 2;
      const y = box.top + box.height / 2;
      if (y < view.top + 1 || y > view.bottom - 1) continue;
      const seen = document.elementFromPoint(x, y);
      if (seen && !field.contains(seen)) covered.push(`${field.id} under ${seen.outerHTML.slice(0, 50)}`);
    }
  }
  return { covered: [...new Set(covered)], scrolled: scroller.scrollTop };
}"""


def fields_covered(page: Page) -> list[str]:
    seen = page.evaluate(FIELDS_COVERED)
    assert seen["scrolled"] > 400  # the note's fields went out of view at the top
    covered: list[str] = seen["covered"]
    return covered


def test_a_message_never_covers_the_note_being_written(tab: Tab, user: WebUser) -> None:
    page = tab.page
    for number in range(1, 21):  # a list longer than the screen: the page scrolls past the note
        user.create_note(f"body {number}", title=f"Note {number:02d}")
    sign_in(page, user)
    open_note(page, "Note 02")
    page.get_by_label("Content").fill("saved on a phone")
    save(page)
    assert fields_covered(page) == []
    expect(status(page)).to_be_in_viewport()  # the message is still in view, the page scrolled
    page.get_by_label("Tags").fill("x" * 51)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(alert(page)).to_contain_text("The note was not saved:")
    assert fields_covered(page) == []
    expect(alert(page)).to_be_in_viewport()


def test_who_is_signed_in_is_said_once(tab: Tab, user: WebUser) -> None:
    page = tab.page
    sign_in(page, user)
    expect(page.get_by_role("banner")).to_contain_text(f"Signed in as {user.email}")
    expect(status(page)).to_have_count(0)  # nothing else said
    assert shown_text(page).count("Signed in as") == 1


def test_a_password_typed_can_be_shown(tab: Tab) -> None:
    page = tab.page
    toggle = page.get_by_role("button", name="Show password")

    def shown_then_hidden(label: str) -> None:
        password = page.get_by_label(label)
        password.fill("Seen-As-Typed-123")
        expect(password).to_have_attribute("type", "password")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        toggle.click()
        expect(password).to_have_attribute("type", "text")
        expect(password).to_have_value("Seen-As-Typed-123")
        expect(toggle).to_have_attribute("aria-pressed", "true")
        toggle.press("Space")  # the keyboard's way
        expect(password).to_have_attribute("type", "password")
        expect(toggle).to_have_attribute("aria-pressed", "false")

    page.goto(tab.url)
    page.get_by_role("button", name="Sign up").click()
    shown_then_hidden("Password")
    # Still shown when the page draws the form again (here: the email is missing).
    toggle.click()
    page.get_by_role("button", name="Sign up").click()
    expect(alert(page)).to_have_text("Enter your email.")
    expect(page.get_by_label("Password")).to_have_attribute("type", "text")
    expect(page.get_by_label("Password")).to_have_value("Seen-As-Typed-123")
    expect(toggle).to_have_attribute("aria-pressed", "true")

    # Another form starts hidden; signing in and choosing a new password have the toggle too.
    page.get_by_role("button", name="Sign in").click()
    shown_then_hidden("Password")
    page.get_by_role("button", name="Forgot your password?").click()
    page.get_by_label("Email").fill("forgot@example.com")
    page.get_by_role("button", name="Send code").click()
    shown_then_hidden("New password")


# --- keyboard and accessibility ------------------------------------------------------------


def test_keyboard_only(tab: Tab, user: WebUser) -> None:
    page = tab.page
    page.goto(tab.url)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(user.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your notes")).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="New note")).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page.get_by_label("Title")).to_be_focused()
    page.keyboard.type("Typed by keyboard")
    page.keyboard.press("Tab")
    page.keyboard.type("no mouse needed")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Tags")).to_be_focused()
    page.keyboard.press("Enter")  # submits the note's form: Save
    expect(status(page)).to_have_text("Saved.")
    expect(items(page)).to_have_count(1)
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_focused()

    # Changes not saved: Delete asks first, and Escape keeps the note.
    page.get_by_label("Content").press("End")
    page.keyboard.type(", really")
    page.get_by_role("button", name="Delete").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Save
    expect(status(page)).to_have_text("Saved.")

    # Saved: Delete moves it to the trash at once, and Undo is one Shift+Tab away from New note.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Delete")).to_be_focused()
    page.keyboard.press("Enter")
    expect(status(page)).to_contain_text("Moved to the trash: “Typed by keyboard”.")
    expect(items(page)).to_have_count(0)
    expect(page.get_by_role("button", name="New note")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Enter")
    expect(status(page)).to_have_text("“Typed by keyboard” is back in your notes.")
    expect(items(page)).to_have_count(1)
    expect(notes_list(page).get_by_role("button", name="Typed by keyboard")).to_be_focused()


def test_no_serious_accessibility_violation_on_any_screen(tab: Tab, user: WebUser) -> None:
    page = tab.page
    note = user.create_note("for the scan", title="Scanned", tags=["a11y"])
    user.attach(note["noteId"], "scan.txt", b"scanned")
    user.create_note("another", title="Second")
    found: dict[str, list[str]] = {}

    page.goto(tab.url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    found["signed out"] = serious_violations(page)

    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("button", name="Sign up")).to_be_visible()
    found["sign up"] = serious_violations(page)

    page.get_by_role("button", name="Sign in").click()  # back to the signed-out screen
    page.get_by_role("button", name="Confirm your account").click()
    expect(page.get_by_label("Confirmation code")).to_be_visible()
    found["confirm"] = serious_violations(page)

    page.get_by_role("button", name="Back to sign in").click()
    sign_in(page, user, go=False)
    expect(items(page)).to_have_count(2)
    found["notes list"] = serious_violations(page)

    search = page.get_by_role("searchbox", name="Search notes")
    search.fill("scan")
    page.get_by_role("button", name="a11y", exact=True).click()
    expect(page.get_by_role("button", name="a11y", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(notes_list(page).locator("mark")).to_have_text(["scan"])
    wait_for_notes(page)
    found["a search"] = serious_violations(page)

    search.fill("nowhere")
    expect(page.get_by_role("button", name="Show all notes")).to_be_visible()
    found["a search that finds nothing"] = serious_violations(page)
    page.get_by_role("button", name="Show all notes").click()
    expect(items(page)).to_have_count(2)

    read_note(page, "Scanned")
    expect(page.get_by_role("button", name="Download")).to_be_visible()
    expect(page.locator(".markdown:not(.as-written)")).to_be_visible()
    found["a note read"] = serious_violations(page)

    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_label("Content")).to_be_visible()
    found["a note open in the editor"] = serious_violations(page)

    page.get_by_label("Content").fill("changed, not saved")
    page.get_by_role("button", name="Delete").click()  # text not saved: asked first
    expect(page.get_by_role("alertdialog")).to_be_visible()
    found["delete confirmation"] = serious_violations(page)

    assert {screen: v for screen, v in found.items() if v} == {}
