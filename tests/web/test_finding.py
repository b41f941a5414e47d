"""Finding notes in the web app, in headless Chromium against the real local stack: the search
box, the tags as filters, the order, the line of each note and the words found marked in it.

The search index follows a write within a fraction of a second: a test that writes through the
API and then searches in the page first waits until the API finds what it wrote (the page asks
once; a person would type again).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Request, Route, expect

from tests.stack import Stack
from tests.web.helpers import (
    WIDER_THAN_THE_SCREEN,
    Tab,
    WebUser,
    items,
    new_user,
    notes_list,
    requests_where,
    sign_in,
    status,
)

expect.set_options(timeout=10_000)


@pytest.fixture
def user(local_stack: Stack) -> WebUser:
    return new_user(local_stack, "find")


def search_box(page: Page) -> Any:
    return page.get_by_role("searchbox", name="Search notes")


def your_notes(page: Page) -> Any:
    return page.get_by_role("region", name="Your notes")


def titles(page: Page) -> Any:
    return notes_list(page).locator(".note-title")


def listed(user: WebUser, **params: str) -> list[str]:
    """The titles the API lists for ``params`` (q, tag, sort), first page."""
    answer = user.http.get(
        f"{user.stack.facts.api_url}/notes",
        params=params,
        headers={"Authorization": f"Bearer {user.token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return [note["title"] for note in answer.json()["notes"]]


def until_listed(user: WebUser, wanted: list[str], **params: str) -> None:
    """Waits until the API lists exactly ``wanted`` for ``params``: the index has followed the writes."""
    deadline = time.monotonic() + 5
    while (found := listed(user, **params)) != wanted:
        assert time.monotonic() < deadline, f"the API still lists {found} for {params}, not {wanted}"
        time.sleep(0.02)


def searches(page: Page) -> list[Request]:
    """Every listing with words the page asks the API for from now on."""
    return requests_where(page, lambda request: request.method == "GET" and "q=" in request.url)


def query_of(request: Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url).query)


def next_pages(asked: list[Request]) -> list[Request]:
    """The requests for a next page (with a cursor): what Load more asks, whatever first pages a
    search typed or cleared asks meanwhile (a busy machine may send one late)."""
    return [request for request in asked if "cursor" in query_of(request)]


def notes_to_find(user: WebUser) -> None:
    user.create_note("Two shots, oat milk", title="Café au lait", tags=["drinks"])
    user.create_note("eggs, milk and bread for Sunday", title="Groceries", tags=["home"])
    user.create_note("Die Straße ist lang und die Häuser sind alt", title="Walk")
    user.create_note("nothing to see", title="Other")
    until_listed(user, ["Café au lait"], q="cafe")


def test_typing_in_search_notes_shows_only_the_matching_notes(tab: Tab, user: WebUser) -> None:
    page = tab.page
    notes_to_find(user)
    sign_in(page, user)
    expect(items(page)).to_have_count(4)
    asked = searches(page)

    search_box(page).press_sequentially("cafe", delay=25)  # no accent typed: "Café" is found
    expect(titles(page)).to_have_text(["Café au lait"])
    expect(notes_list(page).locator("mark")).to_have_text(["Café"])
    # Sent once typing paused, not at every keystroke.
    assert [query_of(request)["q"] for request in asked] == [["cafe"]]

    search_box(page).fill("GRO")  # the start of a word, in any case; only the title holds it
    expect(titles(page)).to_have_text(["Groceries"])
    expect(notes_list(page).locator("mark")).to_have_text(["Groceries"])

    search_box(page).fill("strasse hau")  # "ß" is "ss", "ä" is "a"; every word must be found
    expect(titles(page)).to_have_text(["Walk"])
    expect(notes_list(page).locator("mark")).to_have_text(["Straße", "Häuser"])

    search_box(page).fill("milk")  # in the content of two notes, newest first
    expect(titles(page)).to_have_text(["Groceries", "Café au lait"])
    expect(notes_list(page).locator("mark")).to_have_text(["milk", "milk"])
    expect(page.locator("#found")).to_have_text("2 notes match “milk”.")  # read out
    assert tab.page_errors == []


def test_a_note_open_that_a_search_does_not_find_is_closed_and_its_draft_kept(
    tab: Tab, user: WebUser
) -> None:
    page = tab.page
    notes_to_find(user)
    sign_in(page, user)
    editor = page.get_by_role("region", name="Edit note")

    # Found by the search: it stays open.
    notes_list(page).get_by_role("button", name="Groceries").click()
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_label("Title")).to_have_value("Groceries")
    search_box(page).fill("milk")
    expect(titles(page)).to_have_text(["Groceries", "Café au lait"])
    expect(page.get_by_label("Title")).to_have_value("Groceries")

    # Not found: closed, and said; its unsaved text is kept, and shown when it is opened again.
    page.get_by_label("Content").fill("eggs, bread and jam")
    search_box(page).fill("cafe")
    expect(titles(page)).to_have_text(["Café au lait"])
    expect(editor).to_have_count(0)
    expect(page.get_by_text("Choose a note to read or edit it")).to_be_visible()
    expect(status(page)).to_have_text(
        "“Groceries” is not among the notes found, so it is closed. "
        "Its unsaved changes are kept: show all notes to find it."
    )
    assert "#" not in page.url
    expect(search_box(page)).to_be_focused()
    page.keyboard.press("Escape")
    expect(items(page)).to_have_count(4)
    expect(notes_list(page).get_by_role("button", name="Groceries")).to_contain_text("unsaved changes")
    notes_list(page).get_by_role("button", name="Groceries").click()
    expect(page.get_by_label("Content")).to_have_value("eggs, bread and jam")

    # A new note being written is not closed by a search.
    page.get_by_role("button", name="New note").click()
    page.get_by_label("Title").fill("Half written")
    search_box(page).fill("walk")
    expect(titles(page)).to_have_text(["Walk"])
    expect(page.get_by_label("Title")).to_have_value("Half written")
    assert tab.page_errors == []


def test_the_words_found_are_marked_and_note_text_stays_text(tab: Tab, user: WebUser) -> None:
    page = tab.page
    markup = "Some <b>bold</b> words, <img src=x onerror=alert(1)> and a Café"
    user.create_note(markup, title="Markup")
    until_listed(user, ["Markup"], q="bold onerror")
    sign_in(page, user)
    # Without a search, the note's line is its content's start, as text.
    expect(items(page).first.locator(".note-preview")).to_have_text(markup)

    search_box(page).fill("bold onerror caf")
    expect(items(page)).to_have_count(1)
    preview = items(page).first.locator(".note-preview")
    expect(preview).to_have_text(markup)
    expect(preview.locator("mark")).to_have_text(["bold", "onerror", "Café"])
    # Each mark holds one text node and nothing else; the note's markup made no element.
    node_types = "(ms) => ms.map((m) => [...m.childNodes].map((c) => c.nodeType))"
    kinds = preview.locator("mark").evaluate_all(node_types)
    assert kinds == [[3], [3], [3]]
    assert preview.evaluate("(e) => [...e.querySelectorAll('*')].map((c) => c.tagName)") == ["MARK"] * 3
    page.wait_for_timeout(300)  # time for an injected image to fail and its handler to run
    assert page.locator("img").count() == 0
    assert page.locator("b").count() == 0
    assert tab.dialogs == []
    assert tab.page_errors == []


def test_escape_clears_the_search_and_shows_every_note(tab: Tab, user: WebUser) -> None:
    page = tab.page
    notes_to_find(user)
    sign_in(page, user)
    search_box(page).fill("groceries")
    expect(titles(page)).to_have_text(["Groceries"])

    search_box(page).press("Escape")
    expect(search_box(page)).to_have_value("")
    expect(search_box(page)).to_be_focused()
    expect(titles(page)).to_have_text(["Other", "Walk", "Groceries", "Café au lait"])
    expect(notes_list(page).locator("mark")).to_have_count(0)


def test_a_search_that_finds_nothing_says_so(tab: Tab, user: WebUser) -> None:
    page = tab.page
    notes_to_find(user)
    sign_in(page, user)
    search_box(page).fill("zebra")
    expect(your_notes(page)).to_contain_text("No notes match “zebra”.")
    expect(items(page)).to_have_count(0)
    expect(your_notes(page)).not_to_contain_text("No notes yet")

    search_box(page).fill("!!!")  # no word: no search, every note
    expect(items(page)).to_have_count(4)
    search_box(page).fill("zebra")
    expect(items(page)).to_have_count(0)
    page.get_by_role("button", name="Show all notes").click()
    expect(items(page)).to_have_count(4)
    expect(search_box(page)).to_have_value("")
    expect(search_box(page)).to_be_focused()


def test_a_tag_filters_the_list_and_shows_as_pressed(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("milk", title="Shopping", tags=["Home"])
    user.create_note("the roof", title="Repairs", tags=["home", "money"])
    user.create_note("the report", title="Report", tags=["work"])
    until_listed(user, ["Report", "Repairs"], q="the")
    sign_in(page, user)
    tags = page.get_by_role("group", name="Filter by tag").get_by_role("button")
    # The tags of the notes listed, each once as the list first spells it: the API compares them
    # ignoring case.
    expect(tags).to_have_text(["home", "money", "work"])
    home = page.get_by_role("button", name="home", exact=True)
    expect(home).to_have_attribute("aria-pressed", "false")
    asked = requests_where(page, lambda request: request.method == "GET" and "/notes?" in request.url)

    home.click()
    expect(titles(page)).to_have_text(["Repairs", "Shopping"])
    expect(home).to_have_attribute("aria-pressed", "true")
    expect(home).to_be_focused()
    assert query_of(asked[-1])["tag"] == ["home"]
    expect(tags).to_have_text(["home", "money", "work"])  # the other tags stay on offer

    search_box(page).fill("the")  # combined with the search box
    expect(titles(page)).to_have_text(["Repairs"])
    expect(home).to_have_attribute("aria-pressed", "true")

    home.click()  # again: the filter is off, the words stay
    expect(home).to_have_attribute("aria-pressed", "false")
    expect(titles(page)).to_have_text(["Report", "Repairs"])
    assert "tag" not in query_of(asked[-1])

    page.get_by_role("button", name="work", exact=True).click()
    search_box(page).fill("")
    expect(titles(page)).to_have_text(["Report"])
    page.get_by_role("button", name="money", exact=True).click()  # another tag replaces it
    expect(titles(page)).to_have_text(["Repairs"])
    expect(page.get_by_role("button", name="work", exact=True)).to_have_attribute("aria-pressed", "false")
    search_box(page).fill("zebra")
    expect(your_notes(page)).to_contain_text("No notes tagged “money” match “zebra”.")


def test_sort_recently_changed_puts_the_last_edited_note_first(tab: Tab, user: WebUser) -> None:
    page = tab.page
    first = user.create_note("made first", title="First", tags=["list"])
    user.create_note("made second", title="Second", tags=["list"])
    user.create_note("made third", title="Third", tags=["list"])
    changed = user.call("PATCH", f"/notes/{first['noteId']}", {"content": "changed last"})
    assert changed.status_code == 200
    until_listed(user, ["First", "Third", "Second"], sort="updated")
    sign_in(page, user)
    sort = page.get_by_label("Sort", exact=True)
    expect(sort).to_have_accessible_name("Sort")
    expect(titles(page)).to_have_text(["Third", "Second", "First"])

    sort.select_option(label="Recently changed")
    expect(titles(page)).to_have_text(["First", "Third", "Second"])
    expect(sort).to_have_value("updated")

    # Edited in the page, a note goes first at once.
    notes_list(page).get_by_role("button", name="Second").click()
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_label("Title")).to_have_value("Second")
    page.get_by_label("Content").fill("edited here")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(status(page)).to_have_text("Saved.")
    expect(titles(page)).to_have_text(["Second", "First", "Third"])

    # With a tag and words too; and back to the order they were made in.
    until_listed(user, ["Second", "First", "Third"], tag="list", sort="updated")
    page.get_by_role("button", name="list", exact=True).click()
    search_box(page).fill("ma")
    expect(titles(page)).to_have_text(["Third"])
    search_box(page).fill("")
    expect(titles(page)).to_have_text(["Second", "First", "Third"])
    sort.select_option(label="Newest first")
    expect(titles(page)).to_have_text(["Third", "Second", "First"])


def test_load_more_keeps_the_search(tab: Tab, user: WebUser) -> None:
    page = tab.page
    for number in range(1, 26):
        user.create_note(f"an apple a day, number {number}", title=f"Apple {number:02d}", tags=["fruit"])
    for number in range(1, 4):
        user.create_note("a pear", title=f"Pear {number}", tags=["fruit"])
    until_listed(user, [f"Apple {n:02d}" for n in range(25, 5, -1)], q="apple")
    sign_in(page, user)
    asked = requests_where(page, lambda request: request.method == "GET" and "/notes?" in request.url)

    search_box(page).fill("apple")
    expect(titles(page)).to_have_count(20)
    expect(titles(page).first).to_have_text("Apple 25")
    page.get_by_role("button", name="Load more").click()
    expect(titles(page)).to_have_count(25)
    expect(titles(page).last).to_have_text("Apple 01")
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    more = query_of(next_pages(asked)[-1])
    assert more["q"] == ["apple"] and more["cursor"]  # the next page of the same search

    # Paging by tag and order works the same way.
    search_box(page).fill("")
    page.get_by_role("button", name="fruit", exact=True).click()
    page.get_by_label("Sort", exact=True).select_option("updated")
    expect(titles(page)).to_have_count(20)
    expect(titles(page).first).to_have_text("Pear 3")
    page.get_by_role("button", name="Load more").click()
    expect(titles(page)).to_have_count(28)
    more = query_of(next_pages(asked)[-1])
    assert (more["tag"], more["sort"], "q" in more) == (["fruit"], ["updated"], False)


def test_an_answer_to_an_earlier_search_never_replaces_a_later_one(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("the first word", title="Alpha")
    user.create_note("the second word", title="Beta")
    until_listed(user, ["Alpha"], q="alpha")
    sign_in(page, user)
    held: list[Route] = []

    def hold_alpha(route: Route) -> None:
        if route.request.method == "GET" and "q=alpha" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.route(f"{tab.api}/notes?*", hold_alpha)
    search_box(page).fill("alpha")
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(20)
    assert held, "the search for alpha was never sent"

    search_box(page).fill("beta")  # sent while alpha's answer is still on its way
    expect(titles(page)).to_have_text(["Beta"])
    with page.expect_response(lambda response: "q=alpha" in response.url):
        held[0].continue_()
    page.wait_for_timeout(200)  # time for the late answer to be (wrongly) drawn
    expect(titles(page)).to_have_text(["Beta"])
    expect(notes_list(page).locator("mark")).to_have_text(["Beta"])
    expect(notes_list(page)).not_to_have_attribute("aria-busy", "true")


def test_on_a_phone_finding_notes_fits_the_screen(phone: Tab, local_stack: Stack) -> None:
    page = phone.page
    person = new_user(local_stack, "find-phone")
    long_word = "supercalifragilisticexpialidocious" * 3
    long_tag = "a-tag-that-goes-on-" * 2
    person.create_note(f"{long_word} and more words after it", title="Long words", tags=[long_tag])
    person.create_note("short", title="Short", tags=["short"])
    until_listed(person, ["Long words"], q="supercali")
    sign_in(page, person)
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
    expect(search_box(page)).to_be_in_viewport(ratio=1)
    expect(page.get_by_label("Sort", exact=True)).to_be_in_viewport(ratio=1)

    search_box(page).fill("supercali")
    expect(titles(page)).to_have_text(["Long words"])
    preview = items(page).first.locator(".note-preview")
    expect(preview).to_have_css("text-overflow", "ellipsis")
    # One line, cut (read in one go in the page: a redraw never leaves an element detached between).
    assert page.evaluate(
        "() => { const e = document.querySelector('ul.notes .note-preview');"
        " return e.scrollWidth > e.clientWidth; }"
    )
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
