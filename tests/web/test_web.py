"""The web app in a real browser (headless Chromium) against the real local stack.

Controls are found as a person finds them, by role and accessible name. Under CI=true these
tests never skip: without Chromium they fail, saying how to get it.
"""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.stack import Stack
from tests.tokens import TokenFactory
from tests.web.helpers import (
    SESSION_KEY,
    VIEWPORT,
    Tab,
    WebUser,
    alert,
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
)

CORS = "Access-Control-Allow-Origin"

expect.set_options(timeout=10_000)


@pytest.fixture
def tab(context: BrowserContext, local_stack: Stack) -> Tab:
    return open_tab(context, local_stack, Tab)


@pytest.fixture
def user(local_stack: Stack) -> WebUser:
    return new_user(local_stack)


def open_note(page: Page, label: str) -> None:
    notes_list(page).get_by_role("button", name=label).click()
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

    # A conflict: the same note changed in a second browser (B) before A saves.
    other_context = browser.new_context(viewport=VIEWPORT)
    try:
        other = open_tab(other_context, local_stack, Tab).page
        sign_in(other, person)
        open_note(other, "Groceries for Sunday")
        other.get_by_label("Content").fill("B changed this")
        save(other)

        page.get_by_label("Content").fill("A typed this")
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
        other.get_by_label("Title").fill("B's title")
        other.get_by_role("button", name="Save", exact=True).click()
        expect(other.get_by_role("group", name="Changed elsewhere")).to_be_visible()
        expect(other.get_by_label("Title")).to_have_value("B's title")
        other.get_by_role("button", name="Reload the note").click()
        expect(other.get_by_label("Content")).to_have_value("A typed this")
        expect(other.get_by_label("Title")).to_have_value("Groceries for Sunday")
    finally:
        other_context.close()

    # Delete, after an in-page confirmation; the file goes with the note.
    page.get_by_role("button", name="Delete").click()
    confirmation = page.get_by_role("alertdialog", name="Delete this note?")
    expect(confirmation).to_be_visible()
    expect(confirmation).to_contain_text("and its file")
    confirmation.get_by_role("button", name="Delete").click()
    expect(status(page)).to_have_text("Note deleted.")
    expect(items(page)).to_have_count(0)
    assert person.note(note_id).status_code == 404
    assert [key for key in local_stack.bucket_keys() if f"/{note_id}/" in key] == []

    # Sign out: the tokens are forgotten, and no error is shown although the local pool has no
    # RevokeToken.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(status(page)).to_have_text("You are signed out.")
    expect(alert(page)).to_have_count(0)  # no error shown
    assert tab.stored_session() is None

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


def test_an_expired_id_token_is_renewed_with_the_refresh_token(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("still here", title="After renewal")
    sign_in(page, user)
    stored = tab.stored_session()
    assert stored is not None

    claims = jwt.decode(stored["idToken"], options={"verify_signature": False})
    now = int(time.time())
    expired = TokenFactory(claims["iss"], claims["aud"]).id_token(
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
    expect(items(tab.page).first).to_contain_text("first line")
    expect(items(tab.page).first).not_to_contain_text("second line")


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
    expect(status(page)).to_have_text("Attachment removed.")
    expect(attachment).to_contain_text("No file attached.")
    expect(page.get_by_role("button", name="Attach file")).to_be_focused()
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

    asked = requests_where(page, lambda request: request.url.startswith(f"{tab.api}/"))
    page.route("**/upload.js", lambda route: route.abort("connectionrefused"))
    choose_file(page, "Attach file", "later.txt", b"later")
    expect(alert(page)).to_have_text(
        "The page could not load its upload code (upload.js): reload it and attach the file again."
    )
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.get_by_role("button", name="Attach file")).to_be_enabled()
    assert asked == []  # nothing was asked of the API
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
    choose_file(page, "Attach file", "too-long.txt", b"data")
    expect(alert(page)).to_contain_text("rename the file (at most 8 characters, no slashes)")
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
    expect(page.get_by_label("Content")).to_have_value(markup)
    expect(page.get_by_label("Tags")).to_have_value("<b>tag</b>")
    expect(page.get_by_role("region", name="Attachment")).to_contain_text(file_name)
    page.wait_for_timeout(300)  # time for an injected image to fail and its handler to run
    assert page.locator("img").count() == 0
    assert page.locator("b").count() == 0
    assert tab.dialogs == []
    assert tab.console_errors == []
    assert tab.page_errors == []


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

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Delete")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(status(page)).to_have_text("Note deleted.")
    expect(page.get_by_role("button", name="New note")).to_be_focused()


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

    open_note(page, "Scanned")
    expect(page.get_by_role("button", name="Download")).to_be_visible()
    found["a note open"] = serious_violations(page)

    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    found["delete confirmation"] = serious_violations(page)

    assert {screen: v for screen, v in found.items() if v} == {}
