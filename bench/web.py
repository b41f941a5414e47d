"""Measurements of the web app in headless Chromium against a running local stack.

``web_rows(stack)`` gives rows for ``make bench``'s table: the bytes a first visit loads (every
file, compressed as served), the time from clicking "Sign in" to the first page of notes in the
page, and from clicking "Load more" to the next page in it, each against the same HTTP calls made
without the page; from clicking a note to its content drawn as Markdown the first time (the
renderer and its libraries loaded then), against a note read once they are; and from "Save" in
one page to the note drawn in another page of the same user (live updates), against the 2
seconds it must stay within. Medians of a few runs.
``python -m bench.web`` runs them against a stack of its own.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Browser, Page, Request, expect, sync_playwright

from tests.stack import Stack
from tests.web.helpers import VIEWPORT, WebUser, chromium_missing, launch, new_user, notes_list, sign_in

Row = tuple[str, str, str, str]
RUNS = 5
NOTES = 45
PAGE = 20
BYTES_GOAL = 60 * 1024
LIVE_GOAL_S = 2.0  # a change shows on the user's other devices within 2 seconds
# The Markdown renderer (web/markdown.js) and its libraries, loaded when a note is first read.
RENDERER = ("/markdown.js", "/vendor/marked.esm.js", "/vendor/purify.es.js")

# Installed before a click: the time of the click on the button named `label`, and of the first
# animation frame after the list of notes holds `count` items (the page drawn, about to paint).
_TIMER = """([label, count]) => {
  const timing = (window.__timing = { start: 0, end: 0 });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button && button.textContent.trim() === label && !timing.start) timing.start = performance.now();
  }, true);
  const watcher = new MutationObserver(() => {
    const list = document.querySelector('[aria-label="Notes"]');
    if (timing.start && !timing.end && list && list.children.length >= count) {
      watcher.disconnect();
      requestAnimationFrame(() => { timing.end = performance.now(); });
    }
  });
  watcher.observe(document.body, { childList: true, subtree: true });
}"""


# Installed before a click on a note of the list: the time of the click, and of the first
# animation frame after the note's content is drawn as Markdown.
_READ_TIMER = """() => {
  const timing = (window.__timing = { start: 0, end: 0 });
  document.addEventListener("click", (event) => {
    if (event.target.closest(".note-link") && !timing.start) timing.start = performance.now();
  }, true);
  const watcher = new MutationObserver(() => {
    if (timing.start && !timing.end && document.querySelector(".markdown:not(.as-written)")) {
      watcher.disconnect();
      requestAnimationFrame(() => { timing.end = performance.now(); });
    }
  });
  watcher.observe(document.body, { childList: true, subtree: true });
}"""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def kib(count: float) -> str:
    return f"{count / 1024:.1f} KiB"


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.1f}×" if baseline else ""


def _clicked_until(page: Page, label: str, count: int) -> float:
    """Seconds from clicking `label` to `count` notes drawn, as the page itself timed it."""
    page.evaluate(_TIMER, [label, count])
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_function("() => window.__timing && window.__timing.end > 0", timeout=30_000)
    timing: dict[str, float] = page.evaluate("window.__timing")
    return (timing["end"] - timing["start"]) / 1000


def first_visit(browser: Browser, stack: Stack) -> tuple[int, int, int]:
    """Files, compressed bytes and uncompressed bytes a first visit loads from the web app's server."""
    web = stack.facts.web_url
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        finished: list[Request] = []

        def record(request: Request) -> None:
            if request.url.startswith(web):
                finished.append(request)

        page.on("requestfinished", record)
        page.goto(web, wait_until="networkidle")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        compressed = sum(request.sizes()["responseBodySize"] for request in finished)
        plain = 0
        for request in finished:
            body = request.response()
            plain += len(body.body()) if body else 0
        return len(finished), compressed, plain
    finally:
        context.close()


def _sign_in_calls(stack: Stack, user: WebUser) -> Callable[[], None]:
    """The page's own calls, made without it: InitiateAuth, then the first page of notes."""
    endpoint, api = stack.facts.aws_endpoint, stack.facts.api_url

    def calls() -> None:
        answer = requests.post(
            f"{endpoint}/",
            json={
                "ClientId": stack.facts.user_pool_client_id,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": user.email, "PASSWORD": user.password},
            },
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
            },
            timeout=30,
        )
        token = answer.json()["AuthenticationResult"]["IdToken"]
        listed = requests.get(
            f"{api}/notes", params={"limit": PAGE}, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        listed.raise_for_status()

    return calls


def sign_in_and_load_more(browser: Browser, stack: Stack, user: WebUser) -> tuple[list[float], list[float]]:
    """Per run: seconds from "Sign in" to 20 notes drawn, and from "Load more" to 40."""
    signing_in: list[float] = []
    loading_more: list[float] = []
    for _ in range(RUNS):
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.goto(stack.facts.web_url)
            page.get_by_label("Email").fill(user.email)
            page.get_by_label("Password").fill(user.password)
            signing_in.append(_clicked_until(page, "Sign in", PAGE))
            expect(notes_list(page).get_by_role("listitem")).to_have_count(PAGE)
            loading_more.append(_clicked_until(page, "Load more", 2 * PAGE))
            expect(notes_list(page).get_by_role("listitem")).to_have_count(2 * PAGE)
        finally:
            context.close()
    return signing_in, loading_more


def _read(page: Page, label: str) -> float:
    """Seconds from clicking the note ``label`` to its Markdown drawn, as the page itself timed it."""
    page.evaluate(_READ_TIMER)
    notes_list(page).locator(".note-title").get_by_text(label, exact=True).click()
    page.wait_for_function("() => window.__timing && window.__timing.end > 0", timeout=30_000)
    timing: dict[str, float] = page.evaluate("window.__timing")
    return (timing["end"] - timing["start"]) / 1000


def first_read(browser: Browser, stack: Stack, user: WebUser) -> tuple[list[float], list[float], int, int]:
    """Per run: seconds from clicking a note to its Markdown drawn the first time (the renderer
    loaded then), and for the next note read; the renderer's files and their bytes as served."""
    first: list[float] = []
    after: list[float] = []
    files, compressed = 0, 0
    for _ in range(RUNS):
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            loaded: list[Request] = []

            def record(request: Request, loaded: list[Request] = loaded) -> None:
                if request.url.endswith(RENDERER):
                    loaded.append(request)

            page.on("requestfinished", record)
            sign_in(page, user)
            first.append(_read(page, f"Note {NOTES - 1}"))
            after.append(_read(page, f"Note {NOTES - 2}"))
            files, compressed = len(loaded), sum(request.sizes()["responseBodySize"] for request in loaded)
        finally:
            context.close()
    return first, after, files, compressed


def live_update(browser: Browser, stack: Stack, user: WebUser) -> list[float]:
    """Per run: seconds from "Save" of a new note in one page to its title drawn in another page
    of the same user (another context, as another device), as live updates bring it."""
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(2)]
    try:
        writer, reader = (context.new_page() for context in contexts)
        for page in (writer, reader):
            sign_in(page, user)
        seen: list[float] = []
        for run in range(RUNS):
            title = f"Live {run}"
            writer.get_by_role("button", name="New note").click()
            writer.get_by_label("Title").fill(title)
            started = time.perf_counter()
            writer.get_by_role("button", name="Save", exact=True).click()
            reader.wait_for_function(
                "(t) => [...document.querySelectorAll('.note-title')].some((e) => e.textContent === t)",
                arg=title,
                polling="raf",
                timeout=30_000,
            )
            seen.append(time.perf_counter() - started)
        return seen
    finally:
        for context in contexts:
            context.close()


def _timed(fn: Callable[[], Any], runs: int = RUNS) -> list[float]:
    fn()  # warm: connections, the emulator's caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def web_rows(stack: Stack) -> list[Row]:
    """The web app's rows for the bench table."""
    missing = chromium_missing()
    if missing:
        return [("web app (headless Chromium)", "not measured", missing, "")]
    user = new_user(stack, "bench-web")
    for number in range(NOTES):
        user.create_note(f"note {number}\nmeasured", title=f"Note {number}", tags=["bench"])
    first_token = user.token
    next_page = requests.get(
        f"{stack.facts.api_url}/notes",
        params={"limit": PAGE},
        headers={"Authorization": f"Bearer {first_token}"},
        timeout=30,
    ).json()["nextCursor"]

    def more_calls() -> None:
        requests.get(
            f"{stack.facts.api_url}/notes",
            params={"limit": PAGE, "cursor": next_page},
            headers={"Authorization": f"Bearer {first_token}"},
            timeout=30,
        ).raise_for_status()

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            files, compressed, plain = first_visit(browser, stack)
            signing_in, loading_more = sign_in_and_load_more(browser, stack, user)
            reading, reading_after, renderer_files, renderer_bytes = first_read(browser, stack, user)
            live = live_update(browser, stack, new_user(stack, "bench-live"))
        finally:
            browser.close()
    sign_in_s, sign_in_calls_s = (
        statistics.median(signing_in),
        statistics.median(_timed(_sign_in_calls(stack, user))),
    )
    more_s, more_calls_s = statistics.median(loading_more), statistics.median(_timed(more_calls))
    read_s, read_after_s = statistics.median(reading), statistics.median(reading_after)
    return [
        (
            f"web: first visit, {files} files gzipped as served (plain {kib(plain)})",
            kib(compressed),
            f"goal {kib(BYTES_GOAL)}",
            ratio(compressed, BYTES_GOAL),
        ),
        (
            f"web: click Sign in to {PAGE} notes drawn ({NOTES} notes; Cognito, GET /notes, preflights)",
            ms(sign_in_s),
            f"its 2 calls alone {ms(sign_in_calls_s)}",
            ratio(sign_in_s, sign_in_calls_s),
        ),
        (
            f"web: click Load more to {PAGE} more drawn (GET /notes, drawing)",
            ms(more_s),
            f"its call alone {ms(more_calls_s)}",
            ratio(more_s, more_calls_s),
        ),
        (
            f"web: click a note to its Markdown drawn, the first time (renderer: {renderer_files} files, "
            f"{kib(renderer_bytes)} gzipped)",
            ms(read_s),
            f"a note read after {ms(read_after_s)}",
            ratio(read_s, read_after_s),
        ),
        (
            "web: Save in one page to the note drawn in another (stream, message, GET /changes)",
            ms(statistics.median(live)),
            f"goal {ms(LIVE_GOAL_S)}",
            ratio(statistics.median(live), LIVE_GOAL_S),
        ),
    ]


def main() -> None:
    from tests.stack import running_stack

    with tempfile.TemporaryDirectory() as folder, running_stack(Path(folder)) as stack:
        rows = web_rows(stack)
        stack.interrupt()
    header = ("measure", "median", "baseline", "ratio")
    widths = [max(len(row[i]) for row in [*rows, header]) for i in range(4)]
    line = " | ".join(f"{{:<{w}}}" for w in widths)
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(line.format(*row))


if __name__ == "__main__":
    main()
