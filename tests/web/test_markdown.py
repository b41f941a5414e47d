"""A note read shows its content as Markdown (web/markdown.js): GitHub's tables, task lists and
strikethrough, links; nothing a note holds runs or reaches another site; an attached image shows in
the note; the renderer is loaded only when a note is first read, and works offline."""

from __future__ import annotations

import struct
import zlib

from playwright.sync_api import Page, Request, expect

from tests.web.helpers import (
    WIDE_TABLE,
    WIDER_THAN_THE_SCREEN,
    Tab,
    WebUser,
    notes_list,
    requests_where,
    serious_violations,
    sign_in,
    wait_for_notes,
)
from tests.web.test_sync import DEVICE_TITLES, becomes

expect.set_options(timeout=10_000)

RENDERER = ("/markdown.js", "/vendor/marked.esm.js", "/vendor/purify.es.js")

GITHUB_FLAVOURED = """# Plans

| Day | Walk |
|:----|-----:|
| Monday | 5 km |
| Tuesday | ~~3 km~~ rest |

- [ ] book the hut
- [x] buy a map
- plain item

Read [the forecast](https://example.com/weather "Forecast") or write to <someone@example.com>.
Second line of the paragraph.

```
code stays as written: <b>not bold</b>
```

> quoted
"""


def read(page: Page, label: str) -> None:
    """Opens the note ``label`` to read it, and waits for its Markdown."""
    notes_list(page).get_by_role("button", name=label).click()
    expect(page.locator(".markdown:not(.as-written)")).to_have_count(1)


def renderer_requests(page: Page) -> list[Request]:
    return requests_where(page, lambda request: request.url.endswith(RENDERER))


def test_a_note_read_shows_tables_task_lists_strikethrough_and_links(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note(GITHUB_FLAVOURED, title="Walking week", tags=["travel"])
    sign_in(page, user)
    read(page, "Walking week")
    note = page.get_by_role("region", name="Walking week")
    shown = note.locator(".markdown")
    expect(page.get_by_role("heading", name="Walking week", level=2)).to_be_focused()
    expect(note).to_contain_text("Tags: travel")

    # The note's own headings come below its title.
    expect(shown.get_by_role("heading", name="Plans", level=3)).to_be_visible()
    # A table, its columns aligned, in a box that scrolls sideways on a narrow screen.
    table = shown.locator("table")
    expect(table.locator("th")).to_have_text(["Day", "Walk"])
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("td").first).to_have_attribute("align", "left")
    expect(shown.get_by_role("group", name="Table")).to_have_attribute("tabindex", "0")
    # Strikethrough.
    expect(table.locator("del")).to_have_text("3 km")
    # A task list: its checkboxes shown, disabled, each named by its task.
    boxes = shown.get_by_role("checkbox")
    expect(boxes).to_have_count(2)
    expect(shown.get_by_role("checkbox", name="book the hut")).not_to_be_checked()
    expect(shown.get_by_role("checkbox", name="buy a map")).to_be_checked()
    for box in boxes.all():
        expect(box).to_be_disabled()
    # Links open in a new tab, without the page as opener or referrer; mailto stays in the tab.
    link = shown.get_by_role("link", name="the forecast")
    expect(link).to_have_attribute("href", "https://example.com/weather")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("title", "Forecast")
    mail = shown.get_by_role("link", name="someone@example.com")
    expect(mail).to_have_attribute("href", "mailto:someone@example.com")
    expect(mail).not_to_have_attribute("target", "_blank")
    # A line break in a paragraph is kept; code and quotes are shown as such.
    assert shown.locator("p br").count() >= 1
    expect(shown.locator("pre code")).to_have_text("code stays as written: <b>not bold</b>\n")
    expect(shown.locator("blockquote")).to_have_text("quoted")
    assert shown.locator("b").count() == 0
    assert serious_violations(page) == []

    # Edit: the editor, with the text as written, one click away; Read goes back.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Title")).to_be_focused()
    expect(page.get_by_label("Content")).to_have_value(GITHUB_FLAVOURED)
    page.get_by_role("button", name="Read", exact=True).click()
    expect(page.get_by_role("heading", name="Walking week", level=2)).to_be_focused()
    expect(shown.locator("table")).to_have_count(1)
    assert tab.console_errors == [] and tab.page_errors == []


def test_a_note_with_unsaved_changes_opens_in_the_editor_and_stays_there(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("*as saved*", title="Draft")
    user.create_note("another", title="Other")
    sign_in(page, user)
    read(page, "Draft")
    page.get_by_role("button", name="Edit", exact=True).click()
    page.get_by_label("Content").fill("**typed, not saved**")

    # Read is refused while the text is not saved; another note, and back: still in the editor.
    page.get_by_role("button", name="Read", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("This note has changes not saved: save them to read it.")
    expect(page.get_by_label("Content")).to_have_value("**typed, not saved**")
    read(page, "Other")
    notes_list(page).get_by_role("button", name="Draft").click()
    expect(page.get_by_role("heading", name="Edit note")).to_be_focused()
    expect(page.get_by_label("Content")).to_have_value("**typed, not saved**")

    # Saved, then read: the text as saved, rendered.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    page.get_by_role("button", name="Read", exact=True).click()
    expect(page.locator(".markdown strong")).to_have_text("typed, not saved")


# Each of these, in a note's content, must run nothing, load nothing and show as text.
XSS = [
    "<script>window.__pwned = 1; alert(1)</script>",
    '<img src=x onerror="window.__pwned = 2; alert(2)">',
    'inline <svg onload="window.__pwned = 3"><circle r=9></circle></svg> svg',
    "[js](javascript:window.__pwned=4) [JS](JaVaScRiPt:alert(4)) [tab](java\tscript:alert(4))",
    "[data](data:text/html,<script>alert(5)</script>)",
    "[vb](vbscript:msgbox(6))",
    "[relative](notes/elsewhere) [anchor](#top)",
    '[titled](https://example.com/titled "<b onmouseover=window.__pwned=7>bold</b>")',
    "![elsewhere](https://other.example/pic.png) ![](https://other.example/untitled.png)",
    "![local](/app.js) ![inline](data:image/png;base64,iVBORw0KGgo=)",
    "<javascript:alert(8)> <vbscript:alert(8)> <https://example.com/auto>",
    '<a href="https://example.com/raw" onclick="alert(9)">raw anchor</a>',
    "<iframe src=https://other.example/></iframe><style>body{display:none}</style>",
    '<meta http-equiv="Content-Security-Policy" content="img-src *">',
    "<base href=https://other.example/>",
    "[ref][bad]\n\n[bad]: javascript:alert(10)",
]


def test_nothing_a_note_holds_runs_loads_from_elsewhere_or_becomes_markup(tab: Tab, user: WebUser) -> None:
    page = tab.page
    page.add_init_script(
        "window.__pwned = 0; window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));"
    )
    title = '<img src=x onerror="window.__pwned = 11">'
    user.create_note("\n\n".join(XSS), title=title)
    own = (tab.url, tab.api, tab.emulator)
    elsewhere = requests_where(page, lambda request: not request.url.startswith(own))
    answer = page.goto(tab.url)
    assert answer is not None
    policy = answer.headers["content-security-policy"]
    sign_in(page, user, go=False)
    notes_list(page).get_by_role("button").first.click()
    shown = page.locator(".markdown:not(.as-written)")
    expect(shown).to_have_count(1)
    page.get_by_role("link", name="titled", exact=True).hover()
    page.wait_for_timeout(300)  # time for an injected image to fail and its handler to run

    # Nothing ran, nothing was asked of another site, nothing was stopped by the page's policy
    # (nothing tried), and the policy is the page's own still.
    assert page.evaluate("window.__pwned") == 0
    assert tab.dialogs == []
    assert elsewhere == []
    assert page.evaluate("window.__violations") == []
    assert tab.console_errors == [] and tab.page_errors == []
    assert page.locator("meta[http-equiv], base").count() == 0
    assert "img-src 'self' data: " + tab.emulator in policy
    again = page.request.get(tab.url)
    assert again.headers["content-security-policy"] == policy

    # The title is text; the content holds no markup beyond Markdown's own.
    expect(page.get_by_role("heading", level=2)).to_have_text(title)
    for tag in ("script", "img", "svg", "iframe", "style", "meta", "base", "b", "object", "embed", "form"):
        assert shown.locator(tag).count() == 0, tag
    assert page.locator("img").count() == 0
    assert shown.locator("[onerror], [onload], [onclick], [onmouseover], [style]").count() == 0
    # Raw HTML shows as the text it is.
    for text in (XSS[0], XSS[1], "<svg onload="):
        expect(shown).to_contain_text(text)
    # Only http, https and mailto links; the others are their text.
    hrefs = shown.locator("a").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
    assert hrefs == [
        "https://example.com/titled",
        "https://other.example/pic.png",
        "https://other.example/untitled.png",
        "https://example.com/auto",
    ]
    for words in ("js", "JS", "data", "vb", "relative", "anchor", "local", "inline", "ref"):
        expect(shown).to_contain_text(words)
        assert shown.get_by_role("link", name=words, exact=True).count() == 0, words
    expect(shown).to_contain_text("javascript:alert(8)")
    # A title with HTML in it is the link's title, as text.
    titled = shown.get_by_role("link", name="titled", exact=True)
    expect(titled).to_have_attribute("title", "<b onmouseover=window.__pwned=7>bold</b>")
    # An image from another site is a link to it, never loaded.
    expect(shown.get_by_role("link", name="elsewhere")).to_have_attribute(
        "href", "https://other.example/pic.png"
    )
    expect(shown).to_contain_text('<a href="https://example.com/raw" onclick="alert(9)">raw anchor</a>')


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A PNG of ``width`` × ``height`` red pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def test_an_attached_image_is_shown_in_the_note_read(tab: Tab, user: WebUser) -> None:
    page = tab.page
    pictured = user.create_note("the view from the hut", title="Pictured")
    user.attach(pictured["noteId"], "view.png", tiny_png(), "image/png")
    drawn = user.create_note("a drawing, not shown", title="Drawn")
    user.attach(drawn["noteId"], "drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
    sign_in(page, user)

    read(page, "Pictured")
    image = page.get_by_role("region", name="Attachment").get_by_role("img", name="view.png")
    expect(image).to_be_visible()
    page.wait_for_function("(e) => e.complete && e.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("(e) => [e.naturalWidth, e.naturalHeight]") == [3, 2]
    assert (image.get_attribute("src") or "").startswith(f"{tab.emulator}/")  # its download URL
    assert serious_violations(page) == []

    # Only PNG, JPEG, GIF and WebP are shown; nor is one in the editor.
    read(page, "Drawn")
    expect(page.get_by_role("region", name="Attachment")).to_contain_text("drawing.svg")
    assert page.locator("img").count() == 0
    read(page, "Pictured")
    expect(image).to_be_visible()
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_label("Content")).to_be_visible()
    assert page.locator("img").count() == 0
    assert tab.console_errors == [] and tab.page_errors == []


def test_the_renderer_is_loaded_only_when_a_note_is_first_read(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("**one**", title="One")
    user.create_note("*two*", title="Two")
    loaded = renderer_requests(page)
    page.goto(tab.url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert loaded == []  # not in a first visit

    sign_in(page, user, go=False)
    page.get_by_role("button", name="New note").click()  # nor to write a note
    expect(page.get_by_label("Title")).to_be_focused()
    page.wait_for_load_state("networkidle")
    assert loaded == []

    read(page, "One")
    expect(page.locator(".markdown strong")).to_have_text("one")
    assert sorted(request.url.rsplit("/", 1)[-1] for request in loaded) == [
        "markdown.js",
        "marked.esm.js",
        "purify.es.js",
    ]
    read(page, "Two")
    expect(page.locator(".markdown em")).to_have_text("two")
    assert len(loaded) == 3  # once


def test_without_its_renderer_a_note_is_shown_as_written(tab: Tab, user: WebUser) -> None:
    page = tab.page
    user.create_note("# not a heading here\n<b>nor bold</b>", title="Plain")
    sign_in(page, user)
    page.route("**/vendor/marked.esm.js", lambda route: route.abort("connectionrefused"))
    notes_list(page).get_by_role("button", name="Plain").click()
    expect(page.get_by_text("the page could not load its Markdown renderer")).to_be_visible()
    expect(page.locator(".markdown.as-written")).to_have_text("# not a heading here\n<b>nor bold</b>")
    assert page.locator(".markdown b, .markdown h3").count() == 0
    assert tab.page_errors == []


def test_on_a_phone_offline_a_note_is_read_as_markdown(phone: Tab, user: WebUser) -> None:
    page = phone.page
    user.create_note(f"{WIDE_TABLE}\n\nhttps://example.com/{'long-path-' * 20}\n\n- [x] packed", title="Trip")
    sign_in(page, user)
    # The page's files are kept (its service worker), the notes on the device; then no network.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    becomes(lambda: page.evaluate(DEVICE_TITLES), ["Trip"])
    page.context.set_offline(True)
    page.reload()
    wait_for_notes(page)

    read(page, "Trip")  # the renderer was never loaded online: it comes from the kept files
    shown = page.locator(".markdown")
    expect(shown.locator("table th")).to_have_count(12)
    expect(shown.get_by_role("checkbox", name="packed")).to_be_checked()
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
    assert serious_violations(page) == []
    page.context.set_offline(False)
    assert phone.page_errors == []
