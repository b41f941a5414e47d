"""Every device up to date, online or not: two pages of one user (two browser contexts, as two
devices), live updates without a reload, and a page that goes offline (``context.set_offline``),
writes, reloads without a network, and sends what it wrote when the network returns."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, ViewportSize, expect

from tests.stack import Stack
from tests.web.helpers import (
    PHONE,
    VIEWPORT,
    WIDER_THAN_THE_SCREEN,
    Tab,
    WebUser,
    alert,
    notes_list,
    open_tab,
    serious_violations,
    sign_in,
    status,
)

expect.set_options(timeout=10_000)

# The titles of the notes in this device's copy (web/device.js), without creating the database.
DEVICE_TITLES = """() => indexedDB.databases().then((found) => {
  if (!found.some((db) => db.name === "notes")) return null;
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open("notes");
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
      const db = opening.result;
      const reading = db.transaction("notes").objectStore("notes").getAll();
      reading.onsuccess = () => { db.close(); resolve(reading.result.map((note) => note.title).sort()); };
    };
  });
})"""


def becomes(check: Callable[[], Any], wanted: Any, seconds: float = 10) -> None:
    """Until ``check()`` answers ``wanted`` (its last answer said otherwise)."""
    deadline = time.monotonic() + seconds
    while (seen := check()) != wanted:
        assert time.monotonic() < deadline, f"still {seen!r}, not {wanted!r}, after {seconds} s"
        time.sleep(0.1)


class Device:
    """A browser context of its own (a device), with one tab of the web app."""

    def __init__(self, browser: Browser, stack: Stack, viewport: ViewportSize = VIEWPORT) -> None:
        self.context: BrowserContext = browser.new_context(viewport=viewport)
        self.tab = open_tab(self.context, stack, Tab)
        self.page: Page = self.tab.page

    def sign_in(self, user: WebUser) -> None:
        sign_in(self.page, user)

    def ready_offline(self, titles: list[str]) -> None:
        """Until the page's files are kept (its service worker) and the device's copy holds ``titles``."""
        self.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        becomes(lambda: self.page.evaluate(DEVICE_TITLES), sorted(titles))

    def offline(self, now: bool) -> None:
        self.context.set_offline(now)

    def offline_with(self, user: WebUser, titles: list[str]) -> None:
        """Signed in, ready for a visit without a network (its copy holding ``titles``), then offline."""
        self.sign_in(user)
        self.ready_offline(titles)
        self.offline(True)
        expect(self.sync_state()).to_have_text("Offline")

    def note_button(self, label: str) -> Any:
        return notes_list(self.page).get_by_role("button", name=label)

    def read(self, label: str) -> None:
        """Opens the note ``label`` to read it."""
        self.note_button(label).click()
        expect(self.page.get_by_role("button", name="Edit", exact=True)).to_be_visible()

    def open(self, label: str) -> None:
        """Opens the note ``label`` in the editor: read, then Edit."""
        self.read(label)
        self.page.get_by_role("button", name="Edit", exact=True).click()
        expect(self.page.get_by_label("Title")).to_be_editable()

    def write(self, title: str, content: str) -> None:
        self.page.get_by_role("button", name="New note").click()
        self.page.get_by_label("Title").fill(title)
        self.page.get_by_label("Content").fill(content)
        self.page.get_by_role("button", name="Save", exact=True).click()

    def save(self) -> None:
        self.page.get_by_role("button", name="Save", exact=True).click()

    def sync_state(self) -> Any:
        return self.page.locator("#sync-state")


@pytest.fixture
def devices(browser: Browser, local_stack: Stack) -> Iterator[tuple[Device, Device]]:
    """A laptop and a phone (390 px wide): two browser contexts, nothing shared but the stack."""
    laptop, phone = Device(browser, local_stack), Device(browser, local_stack, PHONE)
    yield laptop, phone
    for device in (laptop, phone):
        assert not device.tab.page_errors
        device.context.close()


def server_notes(user: WebUser) -> dict[str, dict[str, Any]]:
    """The user's notes as the API has them, by title."""
    listed = user.call("GET", "/notes?limit=100")
    assert listed.status_code == 200, listed.text
    return {note["title"]: note for note in listed.json()["notes"]}


def test_a_change_on_one_device_shows_on_the_other_without_a_reload_or_a_word_typed_lost(
    devices: tuple[Device, Device], user: WebUser
) -> None:
    laptop, phone = devices
    user.create_note("milk", title="Groceries")
    user.create_note("for now", title="Soon gone")
    laptop.sign_in(user)
    phone.sign_in(user)
    phone.page.evaluate("window.sameDocument = true")

    # The phone reads "Groceries"; the laptop changes it: the phone shows the new text.
    phone.read("Groceries")
    expect(phone.page.locator(".markdown")).to_have_text("milk")
    laptop.open("Groceries")
    laptop.page.get_by_label("Content").fill("milk, eggs")
    laptop.save()
    expect(phone.page.locator(".markdown")).to_have_text("milk, eggs")

    # The phone types a new note; meanwhile the laptop writes one and deletes another.
    phone.page.get_by_role("button", name="New note").click()
    phone.page.get_by_label("Content").press_sequentially("Half a thought")
    laptop.write("From the laptop", "written there")
    expect(status(laptop.page)).to_have_text("Saved.")
    laptop.open("Soon gone")
    laptop.page.get_by_role("button", name="Delete", exact=True).click()
    expect(phone.note_button("From the laptop")).to_be_visible()
    expect(phone.note_button("Soon gone")).to_have_count(0)

    # The phone's typing was never touched: the text, the field focused, the caret at its end.
    expect(phone.page.get_by_label("Content")).to_be_focused()
    phone.page.keyboard.type(", and more")
    expect(phone.page.get_by_label("Content")).to_have_value("Half a thought, and more")
    assert phone.page.evaluate("window.sameDocument") is True


def test_a_note_changed_elsewhere_while_typed_in_keeps_the_text_typed(
    devices: tuple[Device, Device], user: WebUser
) -> None:
    _, phone = devices
    note = user.create_note("first", title="Plans")
    phone.sign_in(user)
    with phone.page.expect_response(lambda answer: answer.url.endswith(f"/notes/{note['noteId']}")):
        phone.open("Plans")  # the page reads the note as it opens it
    phone.page.get_by_label("Content").fill("typed on the phone")

    changed = user.call(
        "PUT", f"/notes/{note['noteId']}", {"title": "Plans", "content": "from the laptop"}, '"1"'
    )
    assert changed.status_code == 200, changed.text
    expect(status(phone.page)).to_contain_text("“Plans” was changed on another device")
    expect(phone.page.get_by_label("Content")).to_have_value("typed on the phone")

    # Saving says what happened, and nothing is lost.
    phone.save()
    expect(phone.page.get_by_role("heading", name="Changed elsewhere")).to_be_visible()
    expect(phone.page.get_by_label("Content")).to_have_value("typed on the phone")
    assert server_notes(user)["Plans"]["content"] == "from the laptop"


def test_offline_a_device_writes_reloads_searches_and_sends_it_all_when_back(
    devices: tuple[Device, Device], user: WebUser
) -> None:
    laptop, phone = devices
    user.create_note("stays as it is", title="Keep")
    user.create_note("before", title="Edit me")
    user.create_note("to go", title="Delete me")
    laptop.sign_in(user)
    phone.offline_with(user, ["Delete me", "Edit me", "Keep"])
    phone.write("Written offline", "on the train")
    expect(status(phone.page)).to_have_text("Saved on this device: it is sent when you are back online.")
    phone.open("Edit me")
    phone.page.get_by_label("Content").fill("after, offline")
    phone.save()
    phone.open("Delete me")
    phone.page.get_by_role("button", name="Delete", exact=True).click()
    expect(status(phone.page)).to_contain_text("Deleted on this device")
    expect(phone.sync_state()).to_have_text("Offline: 3 changes wait to be sent")

    # Attachments are not on the device, and the page says so.
    phone.open("Keep")
    expect(phone.page.get_by_text("Attachments are not available offline.")).to_be_visible()

    # A reload without a network: the page, the notes as changed here, and what waits.
    phone.page.reload()
    expect(phone.note_button("Written offline")).to_be_visible()
    expect(phone.note_button("Edit me")).to_contain_text("after, offline")
    expect(phone.note_button("Delete me")).to_have_count(0)
    expect(phone.sync_state()).to_have_text("Offline: 3 changes wait to be sent")

    # Search among this device's notes.
    phone.page.get_by_label("Search notes").fill("train")
    expect(notes_list(phone.page).get_by_role("listitem")).to_have_count(1)
    expect(phone.note_button("Written offline")).to_be_visible()
    phone.page.get_by_label("Search notes").fill("")
    expect(notes_list(phone.page).get_by_role("listitem")).to_have_count(3)
    assert server_notes(user).keys() == {"Keep", "Edit me", "Delete me"}  # nothing sent yet

    # Back online: everything is sent, in order, and the laptop shows it without a reload.
    phone.offline(False)
    expect(phone.page.locator("#sync-state")).to_have_count(0)
    becomes(lambda: sorted(server_notes(user)), ["Edit me", "Keep", "Written offline"])
    stored = server_notes(user)
    assert stored["Edit me"]["content"] == "after, offline"
    assert stored["Written offline"]["content"] == "on the train"
    trash = user.call("GET", "/trash").json()["notes"]
    assert [note["title"] for note in trash] == ["Delete me"]
    expect(laptop.note_button("Written offline")).to_be_visible()
    expect(laptop.note_button("Delete me")).to_have_count(0)
    expect(phone.note_button("Written offline")).to_be_visible()


def test_the_same_note_edited_on_both_devices_keeps_both_texts(
    devices: tuple[Device, Device], user: WebUser
) -> None:
    _, phone = devices
    note = user.create_note("the first words", title="Shared")
    gone = user.create_note("short-lived", title="Deleted there")
    phone.offline_with(user, ["Deleted there", "Shared"])
    phone.open("Shared")
    phone.page.get_by_label("Content").fill("written on the phone")
    phone.save()
    phone.open("Deleted there")
    phone.page.get_by_label("Content").fill("still wanted")
    phone.save()
    expect(phone.sync_state()).to_have_text("Offline: 2 changes wait to be sent")

    # Meanwhile, on another device: "Shared" changed, "Deleted there" deleted.
    changed = user.call(
        "PUT", f"/notes/{note['noteId']}", {"title": "Shared", "content": "written on the laptop"}, '"1"'
    )
    assert changed.status_code == 200, changed.text
    assert user.call("DELETE", f"/notes/{gone['noteId']}").status_code == 204

    phone.offline(False)
    expect(phone.page.locator("#sync-state")).to_have_count(0)
    becomes(lambda: len(server_notes(user)), 3)
    stored = server_notes(user)
    assert stored["Shared"]["content"] == "written on the laptop"
    copies = [title for title in stored if title.startswith("Shared (conflict ")]
    assert len(copies) == 1 and stored[copies[0]]["content"] == "written on the phone"
    assert stored["Deleted there"]["content"] == "still wanted"
    assert stored["Deleted there"]["noteId"] != gone["noteId"]
    expect(phone.note_button(copies[0])).to_be_visible()
    expect(status(phone.page)).to_contain_text(f"yours is the new note “{copies[0]}”")


def test_signing_out_deletes_the_device_copy_after_saying_what_waits(
    devices: tuple[Device, Device], user: WebUser
) -> None:
    _, phone = devices
    user.create_note("private", title="Mine")
    phone.offline_with(user, ["Mine"])
    phone.write("Not sent", "never leaves")
    expect(phone.sync_state()).to_have_text("Offline: 1 change waits to be sent")
    # On the phone's narrow screen, nothing is cut off.
    expect(phone.sync_state()).to_be_in_viewport(ratio=1)
    assert phone.page.evaluate(WIDER_THAN_THE_SCREEN) == []
    assert serious_violations(phone.page) == []
    phone.page.get_by_role("button", name="Sign out").click()
    expect(alert(phone.page)).to_contain_text("1 change made offline has not been sent yet")
    assert phone.page.evaluate(DEVICE_TITLES) == ["Mine"]

    phone.page.get_by_role("button", name="Sign out").click()
    expect(phone.page.get_by_role("button", name="Sign in")).to_be_visible()
    becomes(lambda: phone.page.evaluate(DEVICE_TITLES), None)
    phone.offline(False)
    assert set(server_notes(user)) == {"Mine"}


def test_a_change_made_offline_that_the_api_refuses_is_said_and_its_text_kept(
    devices: tuple[Device, Device], user: WebUser
) -> None:
    _, phone = devices
    user.create_note("here already", title="Existing")
    phone.offline_with(user, ["Existing"])
    too_long = "A title far too long " + "x" * 200
    phone.write(too_long, "the text typed offline")
    expect(phone.sync_state()).to_have_text("Offline: 1 change waits to be sent")

    phone.offline(False)
    expect(phone.page.locator("#sync-state")).to_have_count(0)
    expect(status(phone.page)).to_contain_text("was refused: Field 'title' is 221 characters")
    expect(status(phone.page)).to_contain_text("Its text is kept as unsaved changes.")
    # The text is back in the editor of a new note, not saved, and nothing was stored.
    expect(phone.page.get_by_role("heading", name="New note, not saved yet")).to_be_visible()
    expect(phone.page.get_by_label("Title")).to_have_value(too_long)
    expect(phone.page.get_by_label("Content")).to_have_value("the text typed offline")
    expect(notes_list(phone.page).get_by_role("listitem")).to_have_count(1)
    assert set(server_notes(user)) == {"Existing"}


def test_a_cursor_the_feed_no_longer_keeps_starts_the_device_copy_again(
    browser: Browser, local_stack: Stack, user: WebUser
) -> None:
    # Without the service worker, so that the route below sees the page's own requests.
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    try:
        page = open_tab(context, local_stack, Tab).page
        user.create_note("stays", title="Kept")
        gone = user.create_note("goes while away", title="Gone while away")
        sign_in(page, user)
        becomes(lambda: page.evaluate(DEVICE_TITLES), ["Gone while away", "Kept"])

        # The feed has dropped what the device's cursor points at: 410, once.
        refused: list[str] = []

        def too_old(route: Route) -> None:
            if "since=" in route.request.url and not refused:
                refused.append(route.request.url)
                route.fulfill(
                    status=410,
                    headers={"Access-Control-Allow-Origin": local_stack.facts.web_url},
                    json={"Code": "ResyncRequired", "Message": "the cursor is older than the feed keeps"},
                )
            else:
                route.continue_()

        page.route(f"{local_stack.facts.api_url}/changes?*", too_old)
        assert user.call("DELETE", f"/notes/{gone['noteId']}").status_code == 204
        becomes(lambda: page.evaluate(DEVICE_TITLES), ["Kept"])
        assert len(refused) == 1
        expect(notes_list(page).get_by_role("button", name="Gone while away")).to_have_count(0)
        expect(notes_list(page).get_by_role("listitem")).to_have_count(1)
    finally:
        context.close()
