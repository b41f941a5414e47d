"""Finding notes over real HTTP on the local stack (``make run``): the search index follows the notes
table's stream on its own, as the indexer function does deployed, and a note is found by its new
words, and no longer by its old ones, within the delay the API promises (2 seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from notes_cli.stack_file import STACK_FILE_ENV
from tests.conftest import ROOT
from tests.paging import walked_ids
from tests.stack import Stack, StackUser, new_user, running_stack

# A note is found by a search that starts this long after its write answered.
FOUND_WITHIN_SECONDS = 2.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("search")) as started:
        yield started


def search(user: StackUser, **params: Any) -> dict[str, Any]:
    answer = user.call("GET", "/notes?" + urlencode(params))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def ids(user: StackUser, **params: Any) -> list[str]:
    return [note["noteId"] for note in search(user, **params)["notes"]]


def walk(user: StackUser, **params: Any) -> list[str]:
    """Every page to the end, checking the paging rules on the way: the ids in order."""
    return walked_ids(lambda more: search(user, **params, **more))


def found_after_write(user: StackUser, written_at: float, note_id: str, **params: Any) -> bool:
    """Whether a search that starts FOUND_WITHIN_SECONDS after ``written_at`` finds ``note_id``."""
    time.sleep(max(0.0, written_at + FOUND_WITHIN_SECONDS - time.monotonic()))
    return note_id in ids(user, **params)


def test_a_new_note_is_found_by_prefix_case_and_accent_within_the_delay(stack: Stack) -> None:
    alice = new_user(stack, "alice")
    note = alice.create_note("Milk, eggs and a Café crème", title="Groceries", tags=["Home"])
    written = time.monotonic()
    assert found_after_write(alice, written, note["noteId"], q="gro")
    assert note["noteId"] in ids(alice, q="CAFE creme")
    assert note["noteId"] in ids(alice, q="milk", tag="home")
    [shown] = search(alice, q="cafe")["notes"]
    assert "Café" in shown["snippet"]
    assert ids(alice, q="gro tea") == []


def test_an_edited_note_is_found_by_its_new_words_and_never_by_its_old_ones(stack: Stack) -> None:
    bob = new_user(stack, "bob")
    note = bob.create_note("the old harbour plan", title="Plans")
    assert found_after_write(bob, time.monotonic(), note["noteId"], q="harbour")
    edited = bob.call("PATCH", f"/notes/{note['noteId']}", {"content": "a brand new lighthouse"})
    assert edited.status_code == 200, edited.text
    written = time.monotonic()
    assert ids(bob, q="harbour") == [], "a word the note lost finds it at no moment"
    assert found_after_write(bob, written, note["noteId"], q="lighthouse")
    assert found_after_write(bob, written, note["noteId"], sort="updated")


def test_a_deleted_note_is_never_found(stack: Stack) -> None:
    carol = new_user(stack, "carol")
    note = carol.create_note("quince jam recipe", tags=["kitchen"])
    assert found_after_write(carol, time.monotonic(), note["noteId"], q="quince")
    assert carol.call("DELETE", f"/notes/{note['noteId']}").status_code == 204
    assert ids(carol, q="quince") == []
    assert ids(carol, tag="kitchen") == []
    assert ids(carol, sort="updated") == []


def test_another_users_notes_are_never_found(stack: Stack) -> None:
    dave, erin = new_user(stack, "dave"), new_user(stack, "erin")
    secret = dave.create_note("the zeppelin passphrase", tags=["private"])
    assert found_after_write(dave, time.monotonic(), secret["noteId"], q="zeppelin")
    assert ids(erin, q="zeppelin") == []
    assert ids(erin, tag="private") == []
    assert ids(erin, sort="updated") == []
    cursor = search(dave, q="zeppelin", limit=1)["nextCursor"]
    assert cursor is None
    dave.create_note("zeppelin two")
    time.sleep(FOUND_WITHIN_SECONDS)
    cursor = search(dave, q="zeppelin", limit=1)["nextCursor"]
    refused = erin.call("GET", "/notes?" + urlencode({"q": "zeppelin", "limit": 1, "cursor": cursor}))
    assert refused.status_code == 400, refused.text


def test_every_combination_pages_to_the_end_in_its_order(stack: Stack) -> None:
    frank = new_user(stack, "frank")
    made = [frank.create_note(f"walnut number {n}", tags=["nuts"] if n % 2 else ["other"]) for n in range(7)]
    time.sleep(FOUND_WITHIN_SECONDS)
    newest_first = [note["noteId"] for note in reversed(made)]
    assert walk(frank, q="walnut", limit=2) == newest_first
    assert walk(frank, tag="NUTS", limit=2) == [n["noteId"] for n in reversed(made) if "nuts" in n["tags"]]
    touched = made[2]
    assert frank.call("PATCH", f"/notes/{touched['noteId']}", {"title": "touched"}).status_code == 200
    time.sleep(FOUND_WITHIN_SECONDS)
    by_change = [touched["noteId"], *[n for n in newest_first if n != touched["noteId"]]]
    assert walk(frank, sort="updated", limit=3) == by_change
    assert walk(frank, q="walnut", sort="updated", limit=2) == by_change
    assert walk(frank, q="walnut", tag="other", sort="updated", limit=1) == [
        n for n in by_change if n in {m["noteId"] for m in made if "other" in m["tags"]}
    ]


def test_make_reindex_makes_a_lost_index_again_on_the_running_stack(stack: Stack) -> None:
    grace = new_user(stack, "grace")
    note = grace.attach(grace.create_note("a note about otters")["noteId"], "Field-Report.txt", b"otters")
    assert found_after_write(grace, time.monotonic(), note["noteId"], q="field report otters")
    dynamodb = stack.client("dynamodb")
    search_table = stack.facts.table_name + "-search"
    for page in dynamodb.get_paginator("scan").paginate(TableName=search_table):
        for item in page["Items"]:
            dynamodb.delete_item(TableName=search_table, Key=item)
    assert ids(grace, q="otters") == []
    rebuilt = subprocess.run(
        [sys.executable, "-m", "local_stack.reindex"],
        cwd=ROOT,
        env={**os.environ, STACK_FILE_ENV: stack.stack_file},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "search index of notes-local rebuilt:" in rebuilt.stdout
    assert ids(grace, q="field report otters") == [note["noteId"]]
    assert ids(grace, sort="updated")[:1] == [note["noteId"]]


def test_make_reindex_without_a_running_stack_says_to_start_one(tmp_path: Any) -> None:
    missing = tmp_path / "stack.json"
    refused = subprocess.run(
        [sys.executable, "-m", "local_stack.reindex"],
        cwd=ROOT,
        env={**os.environ, STACK_FILE_ENV: str(missing)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert (
        refused.stderr
        == f"make reindex: no running local stack ({missing} cannot be read): start it with make run\n"
    )
