"""A note's history and its read-only link, in the web app: the versions of a note listed with
their times, one read as it was (its Markdown rendered) and restored, a restore refused because
the note changed elsewhere said in words; a link made, copied, replaced and stopped, the list's
mark of the notes shared, and the page the link opens for anyone (web/shared-page.js): the note
rendered, read-only, asked for without a token, nothing in it run or loaded from elsewhere, and a
clear page once the link opens nothing. Offline, history and sharing say they need the network."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Request, expect

from tests.stack import Stack
from tests.web.helpers import (
    VIEWPORT,
    WIDE_TABLE,
    WIDER_THAN_THE_SCREEN,
    Tab,
    WebUser,
    alert,
    items,
    new_user,
    notes_list,
    open_tab,
    requests_where,
    serious_violations,
    sign_in,
    status,
    without_live_updates,
)
from tests.web.test_markdown import XSS, tiny_png
from tests.web.test_sync import DEVICE_TITLES, becomes

expect.set_options(timeout=10_000)

NOWHERE = "This link opens no note: it may have expired or been stopped by its owner."
SHARED_PAGE = "/shared-page.js"
NOT_FOUND = "Failed to load resource: the server responded with a status of 404 (Not Found)"

PLANNED = """# Walk

| Day | Distance |
|:----|---------:|
| Monday | 5 km |

- [x] book the hut
- [ ] buy a map
"""


def edited(user: WebUser, note_id: str, version: int, **fields: Any) -> dict[str, Any]:
    """The note changed through the API, from ``version``."""
    changed = user.call("PUT", f"/notes/{note_id}", fields, f'"{version}"')
    assert changed.status_code == 200, changed.text
    note: dict[str, Any] = changed.json()
    return note


def versions_kept(user: WebUser, note_id: str, count: int) -> list[dict[str, Any]]:
    """Until the API lists ``count`` earlier versions of the note (kept from the stream within 2 s)."""
    deadline = time.monotonic() + 10
    while True:
        listed = user.call("GET", f"/notes/{note_id}/versions")
        assert listed.status_code == 200, listed.text
        found: list[dict[str, Any]] = listed.json()["versions"]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"{len(found)} versions listed, not {count}"
        time.sleep(0.2)


def read(page: Page, label: str) -> None:
    notes_list(page).get_by_role("button", name=label).click()
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_visible()


def local_time(page: Page, iso: str) -> str:
    """``iso`` as the page shows a time: the browser's local date and time."""
    shown: str = page.evaluate(
        "(iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })", iso
    )
    return shown


def test_a_notes_history_lists_its_versions_shows_one_and_restores_it(tab: Tab, user: WebUser) -> None:
    page = tab.page
    note = user.create_note(PLANNED, title="Hut trip", tags=["travel"])
    note_id = note["noteId"]
    sign_in(page, user)

    # Edited twice in the page.
    read(page, "Hut trip")
    for content in ("Changed plans: **no hut**", "Changed again: *stay home*"):
        page.get_by_role("button", name="Edit", exact=True).click()
        page.get_by_label("Content").fill(content)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(status(page)).to_have_text("Saved.")
        page.get_by_role("button", name="Read", exact=True).click()
    kept = versions_kept(user, note_id, 2)
    assert [version["version"] for version in kept] == [2, 1]

    page.get_by_role("button", name="History", exact=True).click()
    history = page.get_by_role("region", name="History of “Hut trip”")
    expect(history.get_by_role("heading", name="History of “Hut trip”")).to_be_focused()
    expect(history).to_contain_text("Now: version 3")
    versions = history.get_by_role("list", name="Earlier versions, newest first").get_by_role("listitem")
    expect(versions).to_have_count(2)
    # Each with its time (local), its title and its size.
    for item, version in zip(versions.all(), kept, strict=True):
        expect(item).to_contain_text(f"Version {version['version']} · Hut trip")
        expect(item.locator("time")).to_have_attribute("datetime", version["updatedAt"])
        expect(item.locator("time")).to_have_text(local_time(page, version["updatedAt"]))
    expect(versions.nth(1)).to_contain_text(f"{len(PLANNED.encode())} bytes")
    assert serious_violations(page) == []

    # Version 1, as it was: read-only, its Markdown rendered.
    versions.nth(1).get_by_role("button").click()
    expect(history.get_by_role("heading", name="Version 1")).to_be_focused()
    shown = history.locator(".markdown:not(.as-written)")
    expect(shown.locator("table td").first).to_have_text("Monday")
    expect(shown.get_by_role("checkbox", name="book the hut")).to_be_checked()
    expect(shown.get_by_role("checkbox", name="book the hut")).to_be_disabled()
    expect(history).to_contain_text("Tags: travel")
    assert history.get_by_role("textbox").count() == 0
    assert serious_violations(page) == []

    # Back to the list, at the version shown; then restored.
    history.get_by_role("button", name="Back to the versions").click()
    expect(history.get_by_role("button", name=re.compile("^Version 1"))).to_be_focused()
    history.get_by_role("button", name=re.compile("^Version 1")).click()
    page.get_by_role("button", name="Restore this version").click()
    expect(status(page)).to_contain_text("Version 1 is restored: the note is now version 4")
    expect(page.get_by_role("heading", name="Hut trip", level=2)).to_be_focused()
    reader = page.get_by_role("region", name="Hut trip")
    expect(reader.locator(".markdown table td").first).to_have_text("Monday")
    expect(reader).to_contain_text("Version 4")
    expect(items(page).first).to_contain_text("Walk")  # the list has it too

    # So has the API; the text it replaced is kept in turn.
    now = user.note(note_id).json()
    assert (now["content"], now["version"], now["tags"]) == (PLANNED, 4, ["travel"])
    assert [version["version"] for version in versions_kept(user, note_id, 3)] == [3, 2, 1]
    assert tab.page_errors == [] and tab.console_errors == []


def test_a_restore_meets_a_change_made_elsewhere_and_says_so(tab: Tab, user: WebUser) -> None:
    page = tab.page
    without_live_updates(page)  # the change below is met only when the restore is refused
    note = user.create_note("first text", title="Moving")
    edited(user, note["noteId"], 1, title="Moving", content="second text")
    versions_kept(user, note["noteId"], 1)
    sign_in(page, user)
    becomes(lambda: page.evaluate(DEVICE_TITLES), ["Moving"])  # the page has followed the feed once
    read(page, "Moving")
    page.get_by_role("button", name="History", exact=True).click()
    page.get_by_role("button", name=re.compile("^Version 1")).click()
    expect(page.locator(".version .markdown:not(.as-written)")).to_have_text("first text")

    edited(user, note["noteId"], 2, title="Moving", content="third text, from elsewhere")
    page.get_by_role("button", name="Restore this version").click()
    expect(alert(page)).to_have_text(
        "This note was changed elsewhere since you opened it, so version 1 was not restored. Reload the"
        " note to see it as it is now, then restore this version again if you still want it."
    )
    changed = page.get_by_role("group", name="Changed elsewhere")
    expect(changed.get_by_role("heading", name="Changed elsewhere")).to_be_focused()
    assert user.note(note["noteId"]).json()["content"] == "third text, from elsewhere"

    # Reloaded, then restored after all.
    changed.get_by_role("button", name="Reload the note").click()
    expect(status(page)).to_contain_text("it is now version 3")
    expect(page.get_by_text("Now: version 3")).to_be_visible()
    page.get_by_role("button", name="Restore this version").click()
    expect(status(page)).to_contain_text("Version 1 is restored: the note is now version 4")
    assert user.note(note["noteId"]).json()["content"] == "first text"


def test_history_and_sharing_refuse_to_hide_unsaved_text(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("as saved", title="Typed")
    sign_in(page, user)
    read(page, "Typed")
    page.get_by_role("button", name="Edit", exact=True).click()
    page.get_by_label("Content").fill("typed, not saved")
    page.get_by_role("button", name="History", exact=True).click()
    expect(alert(page)).to_have_text("This note has changes not saved: save them to see its history.")
    expect(page.get_by_label("Content")).to_have_value("typed, not saved")
    assert page.get_by_role("button", name="Share", exact=True).count() == 0  # only on the note read


def shared_requests(page: Page) -> list[Request]:
    return requests_where(page, lambda request: "/shared/" in request.url)


def test_a_link_opens_the_note_for_anyone_until_it_is_replaced_or_stopped(
    browser: Browser, context: BrowserContext, tab: Tab, user: WebUser, local_stack: Stack
) -> None:
    page = tab.page
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    note = user.create_note(PLANNED, title="Hut trip", tags=["travel", "summer"])
    user.create_note("not shared", title="Private")
    sign_in(page, user)
    read(page, "Hut trip")
    assert page.get_by_role("button", name="Edit", exact=True).is_visible()

    # Share: not shared yet; a link for 7 days.
    page.get_by_role("button", name="Share", exact=True).click()
    box = page.get_by_role("region", name="Share “Hut trip”")
    expect(box.get_by_role("heading", name="Share “Hut trip”")).to_be_focused()
    expect(box).to_contain_text("This note is not shared.")
    expect(box.get_by_label("The link expires after")).to_have_value("30")
    box.get_by_label("The link expires after").select_option("7")
    box.get_by_role("button", name="Make a link").click()
    expect(status(page)).to_contain_text("The link is made: anyone who has it can read this note until")
    link = box.get_by_label("Link", exact=True)
    expect(link).to_have_attribute("readonly", "")
    url = link.input_value()
    assert re.fullmatch(re.escape(tab.url.rstrip("/")) + r"/shared\.html#[A-Za-z0-9_-]{20,}", url), url
    made = user.call("GET", f"/notes/{note['noteId']}/share").json()
    assert made["url"] == url
    expect(box.locator("time")).to_have_text(local_time(page, made["expiresAt"]))
    expires = time.time() + 7 * 86400
    assert (
        abs(time.mktime(time.strptime(made["expiresAt"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone - expires)
        < 120
    )
    box.get_by_role("button", name="Copy link").click()
    expect(status(page)).to_have_text("The link is copied.")
    assert page.evaluate("navigator.clipboard.readText()") == url
    assert serious_violations(page) == []

    # The list marks the note shared, and only it.
    expect(notes_list(page).get_by_role("button", name="Hut trip")).to_contain_text("Shared")
    expect(notes_list(page).get_by_role("button", name="Private")).not_to_contain_text("Shared")

    # Someone else, signed out, in a browser of their own: the note, rendered, read-only.
    visitor_context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    try:
        visitor = open_tab(visitor_context, local_stack, Tab).page
        asked = shared_requests(visitor)
        visitor.goto(url)
        expect(visitor.get_by_role("heading", name="Hut trip", level=1)).to_be_visible()
        expect(visitor.get_by_text("Tags: travel, summer")).to_be_visible()
        shown = visitor.locator(".markdown:not(.as-written)")
        expect(shown.locator("table td").first).to_have_text("Monday")
        expect(shown.get_by_role("checkbox", name="book the hut")).to_be_checked()
        expect(visitor.get_by_text("Last changed")).to_be_visible()
        for control in ("Edit", "Save", "Delete", "History", "Share", "Sign out"):
            assert visitor.get_by_role("button", name=control, exact=True).count() == 0, control
        assert visitor.get_by_role("textbox").count() == 0
        expect(visitor.get_by_role("link", name="Open your notes")).to_have_attribute("href", "./")
        assert [request.headers.get("authorization") for request in asked] == [None]
        assert serious_violations(visitor) == []

        # A new link: the old one opens nothing, the new one the note.
        box.get_by_label("A new link expires after").select_option("1")
        box.get_by_role("button", name="Make a new link").click()
        expect(status(page)).to_contain_text("the earlier link no longer opens the note")
        expect(link).not_to_have_value(url)
        renewed = link.input_value()
        visitor.reload()
        expect(visitor.get_by_text(NOWHERE)).to_be_visible()
        visitor.goto(renewed)
        expect(visitor.get_by_role("heading", name="Hut trip", level=1)).to_be_visible()

        # Stopped: said, the mark gone; the visitor's page says the link opens nothing.
        box.get_by_role("button", name="Stop sharing").click()
        expect(status(page)).to_have_text("Sharing is stopped: the link no longer opens this note.")
        expect(box).to_contain_text("This note is not shared.")
        expect(notes_list(page).get_by_role("button", name="Hut trip")).not_to_contain_text("Shared")
        assert user.call("GET", f"/notes/{note['noteId']}/share").status_code == 404
        visitor.reload()
        expect(visitor.get_by_role("heading", name="No note here", level=1)).to_be_focused()
        expect(visitor.get_by_text(NOWHERE)).to_be_visible()
        expect(visitor.get_by_role("link", name="Open your notes")).to_be_visible()
        assert visitor.locator(".markdown").count() == 0
        assert serious_violations(visitor) == []
        # "Open your notes": the app itself, at its sign-in.
        visitor.get_by_role("link", name="Open your notes").click()
        expect(visitor.get_by_role("button", name="Sign in")).to_be_visible()
        assert all(request.headers.get("authorization") is None for request in asked)
    finally:
        visitor_context.close()
    # The browser logs one 404 itself: asking for the link of a note that had none.
    assert tab.page_errors == [] and tab.console_errors == [NOT_FOUND]


def test_a_signed_in_visitor_opens_a_link_without_a_token(
    context: BrowserContext, tab: Tab, user: WebUser
) -> None:
    page = tab.page
    note = user.create_note("**bold** words", title="For a friend")
    url = user.call("POST", f"/notes/{note['noteId']}/share", {}).json()["url"]
    friend_note = user.create_note("mine", title="Mine")
    assert friend_note
    sign_in(page, user)

    # The page of the link, in another tab of the signed-in browser: no token sent anywhere.
    other = open_tab(context, tab.stack, Tab)
    api_calls = requests_where(other.page, lambda request: request.url.startswith(tab.api))
    other.page.goto(url)
    expect(other.page.get_by_role("heading", name="For a friend", level=1)).to_be_visible()
    expect(other.page.locator(".markdown strong")).to_have_text("bold")
    other.page.wait_for_load_state("networkidle")
    assert [request.url.split(tab.api, 1)[1] for request in api_calls] == [f"/shared/{url.rsplit('#', 1)[1]}"]
    assert all(request.headers.get("authorization") is None for request in api_calls)
    assert other.page.get_by_role("button", name="Sign out").count() == 0
    assert other.page_errors == [] and other.console_errors == []

    # A link typed in the address of the signed-in page opens too.
    page.evaluate("(url) => { location.href = url; }", url)
    expect(page.get_by_role("heading", name="For a friend", level=1)).to_be_visible()


def test_the_marks_of_shared_notes_come_after_the_first_page_of_notes(tab: Tab, user: WebUser) -> None:
    page = tab.page
    shared = user.create_note("shared before", title="Shared one")
    user.create_note("not shared", title="Kept to myself")
    assert user.call("POST", f"/notes/{shared['noteId']}/share", {"expiresInDays": 1}).status_code == 201
    calls = requests_where(page, lambda request: request.url.startswith(tab.api) and request.method == "GET")
    loaded = requests_where(page, lambda request: request.url.endswith(SHARED_PAGE))
    sign_in(page, user)
    expect(notes_list(page).get_by_role("button", name="Shared one")).to_contain_text("· Shared")
    expect(notes_list(page).get_by_role("button", name="Kept to myself")).not_to_contain_text("Shared")
    paths = [request.url.split(tab.api, 1)[1].split("?")[0] for request in calls]
    assert paths.index("/shares") > paths.index("/notes")  # never in the way of the first page
    assert loaded == []  # the link's page is no part of a sign-in


def test_the_page_of_a_link_on_a_phone_with_a_file(phone: Tab, user: WebUser) -> None:
    page = phone.page
    note = user.create_note(
        f"{WIDE_TABLE}\n\n- [x] packed\n\nhttps://example.com/{'long-path-' * 20}", title="Wide " * 20
    )
    user.attach(note["noteId"], "view.png", tiny_png(), "image/png")
    url = user.call("POST", f"/notes/{note['noteId']}/share", {}).json()["url"]
    page.goto(url)
    expect(page.locator(".markdown:not(.as-written) table th")).to_have_count(12)
    image = page.get_by_role("img", name="view.png")
    expect(image).to_be_visible()
    page.wait_for_function("(e) => e.complete && e.naturalWidth > 0", arg=image.element_handle())
    download = page.get_by_role("link", name="view.png")
    assert (download.get_attribute("href") or "").startswith(f"{phone.emulator}/")
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
    assert serious_violations(page) == []
    assert phone.page_errors == [] and phone.console_errors == []


def test_the_history_view_on_a_phone(phone: Tab, user: WebUser) -> None:
    page = phone.page
    note = user.create_note("one", title="Small " * 12)
    edited(user, note["noteId"], 1, title="Small " * 12, content="two")
    versions_kept(user, note["noteId"], 1)
    sign_in(page, user)
    notes_list(page).get_by_role("button").first.click()
    page.get_by_role("button", name="History", exact=True).click()
    expect(page.get_by_role("button", name=re.compile("^Version 1"))).to_be_visible()
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
    assert serious_violations(page) == []
    page.get_by_role("button", name=re.compile("^Version 1")).click()
    expect(page.get_by_role("button", name="Restore this version")).to_be_visible()
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
    assert serious_violations(page) == []


def test_nothing_a_shared_note_holds_runs_or_loads_from_elsewhere(
    browser: Browser, local_stack: Stack
) -> None:
    owner = new_user(local_stack, "share-xss")
    title = '<img src=x onerror="window.__pwned = 11">'
    note = owner.create_note("\n\n".join(XSS), title=title, tags=["<b>tag</b>"])
    url = owner.call("POST", f"/notes/{note['noteId']}/share", {}).json()["url"]
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    try:
        visitor = open_tab(context, local_stack, Tab)
        page = visitor.page
        page.add_init_script(
            "window.__pwned = 0; window.__violations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));"
        )
        own = (visitor.url, visitor.api, visitor.emulator)
        elsewhere = requests_where(page, lambda request: not request.url.startswith(own))
        answer = page.goto(url)
        assert answer is not None
        policy = answer.headers["content-security-policy"]
        shown = page.locator(".markdown:not(.as-written)")
        expect(shown).to_have_count(1)
        page.get_by_role("link", name="titled", exact=True).hover()
        page.wait_for_timeout(300)

        assert page.evaluate("window.__pwned") == 0
        assert visitor.dialogs == []
        assert elsewhere == []
        assert page.evaluate("window.__violations") == []
        assert visitor.console_errors == [] and visitor.page_errors == []
        assert page.locator("meta[http-equiv], base").count() == 0
        assert page.request.get(visitor.url).headers["content-security-policy"] == policy
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.get_by_text("Tags: <b>tag</b>")).to_be_visible()
        for tag in (
            "script",
            "img",
            "svg",
            "iframe",
            "style",
            "meta",
            "base",
            "b",
            "object",
            "embed",
            "form",
        ):
            assert shown.locator(tag).count() == 0, tag
        assert page.locator("img, script:not([src]), iframe").count() == 0
        assert shown.locator("[onerror], [onload], [onclick], [onmouseover], [style]").count() == 0
        hrefs = shown.locator("a").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
        assert hrefs == [
            "https://example.com/titled",
            "https://other.example/pic.png",
            "https://other.example/untitled.png",
            "https://example.com/auto",
        ]
        expect(shown).to_contain_text(XSS[0])
    finally:
        context.close()


def test_a_link_that_opens_nothing_says_so(tab: Tab) -> None:
    page = tab.page
    for link in ("shared.html#" + "A" * 32, "shared.html#not%20an%20id"):
        page.goto(tab.url.rstrip("/") + "/" + link)
        expect(page.get_by_role("heading", name="No note here", level=1)).to_be_focused()
        expect(page.get_by_text(NOWHERE)).to_be_visible()
        expect(page).to_have_title("No note · Notes")
    assert tab.page_errors == []
    # The browser logs the API's 404 itself (once: the second id is not even asked); nothing else.
    assert tab.console_errors == [NOT_FOUND]


def test_offline_history_and_sharing_say_they_need_the_network(
    context: BrowserContext, tab: Tab, user: WebUser
) -> None:
    page = tab.page
    user.create_note("kept here", title="On the train")
    sign_in(page, user)
    becomes(lambda: page.evaluate(DEVICE_TITLES), ["On the train"])
    read(page, "On the train")
    context.set_offline(True)
    expect(page.locator("#sync-state")).to_have_text("Offline")

    page.get_by_role("button", name="History", exact=True).click()
    expect(alert(page)).to_have_text(
        "History needs the network: you are offline. See this note's history once you are back online."
    )
    page.get_by_role("button", name="Share", exact=True).click()
    expect(alert(page)).to_have_text(
        "Sharing needs the network: you are offline. Share this note once you are back online."
    )
    assert page.locator("#share, .history").count() == 0

    # A note written offline: nothing to share until it is sent.
    page.get_by_role("button", name="New note").click()
    page.get_by_label("Title").fill("Written offline")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(status(page)).to_have_text("Saved on this device: it is sent when you are back online.")
    page.get_by_role("button", name="Read", exact=True).click()
    page.get_by_role("button", name="Share", exact=True).click()
    expect(alert(page)).to_have_text(
        "This note was made offline and is not sent yet: share it once it is sent."
    )
    context.set_offline(False)
    assert tab.page_errors == []
