"""The change feed over real HTTP on the local stack (``make run``): the notes table's stream
reaches the feed's function on its own, as Lambda delivers it deployed; writers on many threads
at once; a cursor older than the kept deletions on the local stack's clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.local_stack.test_your_data_http import DAY, move_clock
from tests.stack import Stack, StackUser, new_user, running_stack

# A write is in the feed of every request that starts this long after the write answered.
IN_FEED_WITHIN_SECONDS = 2.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("changes")) as started:
        yield started


def pull(user: StackUser, since: str | None = None, limit: int = 100) -> dict[str, Any]:
    path = f"/changes?limit={limit}" + (f"&since={since}" if since is not None else "")
    answer = user.call("GET", path)
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    note_ids = [change["noteId"] for change in page["changes"]]
    assert len(note_ids) == len(set(note_ids)), "a note twice in one answer"
    return page


def pull_all(user: StackUser, since: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str]:
    changes: list[dict[str, Any]] = []
    while True:
        page = pull(user, since, limit)
        changes.extend(page["changes"])
        since = page["cursor"]
        if not page["more"]:
            return changes, since


def apply(held: dict[str, dict[str, Any]], changes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for change in changes:
        if change.get("deleted"):
            held.pop(change["noteId"], None)
        else:
            held[change["noteId"]] = change["note"]
    return held


def notes_now(user: StackUser) -> dict[str, dict[str, Any]]:
    shown: dict[str, dict[str, Any]] = {}
    cursor = ""
    while True:
        answer = user.call("GET", "/notes?limit=100" + (f"&cursor={cursor}" if cursor else "")).json()
        shown.update({note["noteId"]: note for note in answer["notes"]})
        if answer["nextCursor"] is None:
            return shown
        cursor = answer["nextCursor"]


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
    held = apply({}, pull_all(owner)[0])
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
            apply(held, page["changes"])
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
    assert apply(held, changes) == notes_now(owner)


def test_a_cursor_older_than_the_kept_deletions_must_start_again(stack: Stack) -> None:
    """Thirty-one days on by the local stack's clock, the time to live has removed the entries a
    cursor of back then would need: it is refused, and the feed starts again without one. (This
    moves the stack's clock for good: the module's last test.)"""
    carol = new_user(stack, "resync")
    kept = carol.create_note("kept")
    gone = carol.create_note("gone")
    _, cursor = pull_all(carol)
    carol.call("DELETE", f"/notes/{gone['noteId']}")
    assert move_clock(stack, 31 * DAY).status_code == 200
    refused = carol.call("GET", f"/changes?since={cursor}")
    assert refused.status_code == 410, refused.text
    assert refused.json()["Code"] == "ResyncRequired"
    changes, _ = pull_all(carol)
    assert [change["noteId"] for change in changes] == [kept["noteId"]]
