"""A note's history over real HTTP on the local stack (``make run``): the notes table's stream
reaches the function that keeps versions on its own, as Lambda delivers it deployed; devices
write one note at once, with and without ``If-Match``."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.stack import Stack, StackUser, new_user

# A version is listed within this long of the write that replaced it.
KEPT_WITHIN_SECONDS = 5.0
DEVICES = 4
EDITS = 5


@pytest.fixture
def stack(local_stack: Stack) -> Stack:
    """The suite's one real local stack (its clock is never moved: see test_your_data_http)."""
    return local_stack


def every_version(user: StackUser, note_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = ""
    while True:
        answer = user.call(
            "GET", f"/notes/{note_id}/versions?limit=7" + (f"&cursor={cursor}" if cursor else "")
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        found.extend(page["versions"])
        if page["nextCursor"] is None:
            return found
        cursor = page["nextCursor"]


def test_devices_writing_at_once_each_write_keeps_exactly_the_version_it_replaced(stack: Stack) -> None:
    owner = new_user(stack, "history")
    devices = [StackUser(stack, owner.email) for _ in range(DEVICES)]
    note = owner.create_note("written first", title="Shared")
    written: dict[int, str] = {1: "written first"}  # each version's content, as the writes answered
    failures: list[str] = []
    lock = threading.Lock()

    def write(index: int, device: StackUser) -> None:
        guarded = index % 2 == 0  # half the devices send If-Match, as the web app does
        for edit in range(EDITS):
            content = f"device {index}, edit {edit}"
            while True:
                etag = device.note(note["noteId"]).headers["ETag"] if guarded else None
                answer = device.call("PATCH", f"/notes/{note['noteId']}", {"content": content}, if_match=etag)
                if answer.status_code == 412 and guarded:
                    continue  # another device was faster: read again, write again
                break
            if answer.status_code != 200:
                failures.append(f"{answer.status_code} {answer.text}")
                return
            with lock:
                written[answer.json()["version"]] = content

    threads = [threading.Thread(target=write, args=pair) for pair in enumerate(devices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    final = DEVICES * EDITS + 1
    assert sorted(written) == list(range(1, final + 1))  # every write its own version
    deadline = time.monotonic() + KEPT_WITHIN_SECONDS
    while len(kept := every_version(owner, note["noteId"])) < final - 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [item["version"] for item in kept] == list(range(final - 1, 0, -1))  # each once, newest first
    for item in kept[:: DEVICES + 1] + kept[-1:]:
        answer = owner.call("GET", f"/notes/{note['noteId']}/versions/{item['version']}")
        assert answer.json()["content"] == written[item["version"]]
        assert item["size"] == len(written[item["version"]].encode())
    assert owner.note(note["noteId"]).json()["content"] == written[final]


def test_another_user_cannot_reach_a_history_over_http(stack: Stack) -> None:
    alice, bob = new_user(stack, "history"), new_user(stack, "history")
    note = alice.create_note("alice's words")
    assert (
        alice.call("PATCH", f"/notes/{note['noteId']}", {"content": "alice's new words"}).status_code == 200
    )
    for method, path in (
        ("GET", "/versions"),
        ("GET", "/versions/1"),
        ("POST", "/versions/1/restore"),
    ):
        answer = bob.call(method, f"/notes/{note['noteId']}{path}")
        assert answer.status_code == 404 and answer.json()["Code"] == "NotFoundError"
    assert alice.note(note["noteId"]).json()["content"] == "alice's new words"
