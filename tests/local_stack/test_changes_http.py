"""The change feed over real HTTP on the local stack (``make run``): the notes table's stream
reaches the feed's function on its own, as Lambda delivers it deployed; writers on many threads
at once. (A cursor older than the kept deletions, on the local stack's moved clock, is
test_your_data_http's.)"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.paging import applied, every_note, feed_pages
from tests.stack import Stack, StackUser, new_user

# A write is in the feed of every request that starts this long after the write answered.
IN_FEED_WITHIN_SECONDS = 2.0


@pytest.fixture
def stack(local_stack: Stack) -> Stack:
    """The suite's one real local stack (its clock is never moved: see test_your_data_http)."""
    return local_stack


def pull(user: StackUser, since: str | None = None, limit: int = 100) -> dict[str, Any]:
    answer = user.call(
        "GET", "/changes?" + urlencode({"limit": limit, **({"since": since} if since else {})})
    )
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


def pull_all(user: StackUser, since: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str]:
    return feed_pages(lambda params: pull(user, params.get("since"), limit), since)


def notes_now(user: StackUser) -> dict[str, dict[str, Any]]:
    return every_note(lambda params: user.call("GET", "/notes?" + urlencode({"limit": 100, **params})).json())


def after_the_delay(written_at: float) -> None:
    time.sleep(max(0.0, written_at + IN_FEED_WITHIN_SECONDS - time.monotonic()))


def test_each_write_is_in_the_feed_two_seconds_after_it_answered(stack: Stack) -> None:
    alice = new_user(stack, "feed")
    _, cursor = pull_all(alice)
    note = alice.create_note("first words", title="Plans")
    after_the_delay(time.monotonic())
    [made] = pull(alice, cursor)["changes"]
    assert made["note"] == note
    edited = alice.call("PATCH", f"/notes/{note['noteId']}", {"content": "second words"}).json()
    written = time.monotonic()
    after_the_delay(written)
    page = pull(alice, cursor)
    assert [change["note"] for change in page["changes"]] == [edited]  # once, in its latest state
    assert alice.call("DELETE", f"/notes/{note['noteId']}").status_code == 204
    after_the_delay(time.monotonic())
    [gone] = pull(alice, page["cursor"])["changes"]
    assert gone == {"noteId": note["noteId"], "changedAt": gone["changedAt"], "deleted": True}
    restored = alice.call("POST", f"/trash/{note['noteId']}/restore")
    after_the_delay(time.monotonic())
    [back] = pull(alice, page["cursor"])["changes"]
    assert back["note"] == restored.json()


def test_another_users_writes_never_reach_the_feed_nor_their_cursors(stack: Stack) -> None:
    alice, bob = new_user(stack, "feed"), new_user(stack, "feed")
    _, cursor = pull_all(alice)
    bob.create_note("bob's own")
    after_the_delay(time.monotonic())
    assert pull(alice, cursor)["changes"] == []
    assert pull(alice)["changes"] == []
    refused = bob.call("GET", f"/changes?since={cursor}")
    assert refused.status_code == 400 and "since" in refused.json()["Message"]
    assert bob.http.get(stack.facts.api_url + "/changes", timeout=10).status_code == 401


def test_writers_on_many_threads_every_write_found_in_its_latest_state(stack: Stack) -> None:
    """Four devices write at once while a fifth follows the feed: the follower ends holding
    exactly the notes, each in its latest state."""
    owner = new_user(stack, "busy")
    devices = [StackUser(stack, owner.email) for _ in range(4)]
    shared = [owner.create_note(f"shared {index}") for index in range(4)]
    held = applied({}, pull_all(owner)[0])
    cursor = pull_all(owner)[1]
    writing = threading.Event()
    writing.set()
    failures: list[str] = []

    def write(device: StackUser, index: int) -> None:
        for round_ in range(5):
            note = shared[(index + round_) % len(shared)]
            patched = device.call("PATCH", f"/notes/{note['noteId']}", {"content": f"{index}.{round_}"})
            made = device.call("POST", "/notes", {"title": f"device {index}", "content": str(round_)})
            if patched.status_code != 200 or made.status_code != 201:
                failures.append(f"{patched.status_code} {made.status_code}")
            elif round_ % 2:
                device.call("DELETE", f"/notes/{made.json()['noteId']}")

    def follow() -> None:
        nonlocal cursor
        while writing.is_set():
            page = pull(owner, cursor, limit=3)
            applied(held, page["changes"])
            cursor = page["cursor"]

    writers = [threading.Thread(target=write, args=(device, index)) for index, device in enumerate(devices)]
    follower = threading.Thread(target=follow)
    for thread in [*writers, follower]:
        thread.start()
    for thread in writers:
        thread.join()
    last_write = time.monotonic()
    writing.clear()
    follower.join()
    assert not failures, failures
    after_the_delay(last_write)
    changes, _ = pull_all(owner, cursor, limit=7)
    assert applied(held, changes) == notes_now(owner)
