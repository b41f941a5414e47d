"""The change feed (GET /changes) through the chalice test client, with DynamoDB in-process.

Every request is followed by the notes table's stream reaching the app's functions
(``tests.conftest.indexed``), as Lambda delivers it a moment after the write deployed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from moto.core.botocore_stubber import BotocoreStubber

import app as notes_app
from chalicelib import changes as feed
from tests.chalicelib.test_attachments import attach, uploaded
from tests.conftest import ApiUser, aws_client, recorded_dynamodb_calls, stream_feeder
from tests.paging import applied, every_note, feed_pages

CHANGES_TABLE = notes_app.settings.changes_table_name


def query(params: dict[str, Any]) -> str:
    return "&".join(f"{name}={value}" for name, value in params.items())


def pull(user: ApiUser, since: str | None = None, **params: Any) -> dict[str, Any]:
    """One page of the user's feed."""
    response = user.get("/changes?" + query({**({"since": since} if since is not None else {}), **params}))
    assert response.status_code == 200, response.body
    body: dict[str, Any] = response.json_body
    assert set(body) == {"changes", "cursor", "more"}
    return body


def pull_all(user: ApiUser, since: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str]:
    """Every page until ``more`` is false: the changes in order, and the last cursor."""
    return feed_pages(lambda params: pull(user, limit=limit, **params), since)


def notes_now(user: ApiUser) -> dict[str, dict[str, Any]]:
    return every_note(lambda params: user.get("/notes?" + query({"limit": 100, **params})).json_body)


def test_without_since_the_feed_starts_with_every_note(alice: ApiUser) -> None:
    made = [alice.create(title=f"note {index}") for index in range(5)]
    changes, _ = pull_all(alice, limit=2)
    assert [change["note"] for change in changes] == made  # by id, which is by creation
    assert all(change["changedAt"] == change["note"]["updatedAt"] for change in changes)


def test_a_new_user_has_an_empty_feed(alice: ApiUser) -> None:
    page = pull(alice)
    assert page["changes"] == [] and page["more"] is False
    again = pull(alice, page["cursor"])
    assert again["changes"] == [] and again["more"] is False


def test_changes_after_a_cursor_come_in_order_each_note_once_in_its_latest_state(alice: ApiUser) -> None:
    first, second = alice.create(title="first"), alice.create(title="second")
    _, cursor = pull_all(alice)
    alice.patch(f"/notes/{first['noteId']}", {"content": "one"})
    alice.patch(f"/notes/{second['noteId']}", {"content": "two"})
    third = alice.create(title="third")
    latest = alice.patch(f"/notes/{first['noteId']}", {"content": "one, again"}).json_body
    page = pull(alice, cursor)
    assert [change["noteId"] for change in page["changes"]] == [
        second["noteId"],
        third["noteId"],
        first["noteId"],
    ]  # each at its last change
    assert page["changes"][-1]["note"] == latest
    assert page["more"] is False


def test_a_deleted_note_is_a_tombstone_and_a_restore_a_change(alice: ApiUser) -> None:
    note = alice.create(title="going")
    _, cursor = pull_all(alice)
    assert alice.delete(f"/notes/{note['noteId']}").status_code == 204
    [gone] = pull(alice, cursor)["changes"]
    assert set(gone) == {"noteId", "changedAt", "deleted"}
    assert gone["noteId"] == note["noteId"] and gone["deleted"] is True
    _, cursor = pull_all(alice, cursor)
    restored = alice.post(f"/trash/{note['noteId']}/restore").json_body
    [back] = pull(alice, cursor)["changes"]
    assert back["note"] == restored
    _, cursor = pull_all(alice, cursor)
    alice.delete(f"/notes/{note['noteId']}")
    alice.delete(f"/trash/{note['noteId']}")
    [purged] = pull(alice, cursor)["changes"]
    assert purged["deleted"] is True


def test_an_attachment_is_a_change(alice: ApiUser) -> None:
    note = alice.create(title="with a file")
    _, cursor = pull_all(alice)
    upload = uploaded(alice, note["noteId"], b"pdf bytes")
    assert pull(alice, cursor)["changes"] == []  # an upload form changes nothing a user sees
    attached = attach(alice, note["noteId"], upload).json_body
    [change] = pull(alice, cursor)["changes"]
    assert change["note"] == attached and change["note"]["attachment"]["name"]


def test_a_client_applying_every_page_holds_exactly_the_notes(alice: ApiUser) -> None:
    notes = [alice.create(title=f"n{index}", content="x") for index in range(12)]
    held = applied({}, pull_all(alice, limit=5)[0])
    _, cursor = pull_all(alice)
    for note in notes[:4]:
        alice.delete(f"/notes/{note['noteId']}")
    for note in notes[4:9]:
        alice.patch(f"/notes/{note['noteId']}", {"title": "changed"})
    alice.create(title="new")
    changes, _ = pull_all(alice, cursor, limit=3)
    assert applied(held, changes) == notes_now(alice)


def test_nothing_new_costs_one_request_and_reads_no_note(alice: ApiUser) -> None:
    alice.create(title="one")
    _, cursor = pull_all(alice)
    clients = [
        aws_client("dynamodb"),  # unused: only the app's own clients are watched
        *(
            model._get_connection().connection.client
            for model in (notes_app.services.change_model, notes_app.services.note_model)
        ),
    ]
    with recorded_dynamodb_calls(clients[1:]) as calls:
        page = pull(alice, cursor)
    assert page["changes"] == [] and page["more"] is False
    assert [name for name, _ in calls] == ["Query"]
    assert calls[0][1]["TableName"] == CHANGES_TABLE


def test_the_cursor_is_bound_to_its_user(alice: ApiUser, bob: ApiUser) -> None:
    alice.create(title="alice's")
    _, cursor = pull_all(alice)
    refused = bob.get(f"/changes?since={cursor}")
    assert refused.status_code == 400 and "since" in refused.json_body["Message"]
    edited = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert alice.get(f"/changes?since={edited}").status_code == 400
    listing = alice.get("/notes?limit=1")
    assert alice.get(f"/changes?since={listing.json_body['nextCursor'] or 'x' * 20}").status_code == 400


def test_another_users_changes_never_reach_the_feed(alice: ApiUser, bob: ApiUser) -> None:
    _, cursor = pull_all(alice)
    bob.create(title="bob's")
    assert pull(alice, cursor)["changes"] == []
    assert pull(alice)["changes"] == []


def test_a_cursor_older_than_the_kept_deletions_must_start_again(
    alice: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice.create(title="one")
    _, cursor = pull_all(alice)
    later = time.time() + (feed.RESYNC_DAYS + 1) * 86400
    monkeypatch.setattr(notes_app.services.changes, "clock", lambda: later)
    response = alice.get(f"/changes?since={cursor}")
    assert response.status_code == 410
    assert response.json_body["Code"] == "ResyncRequired"
    assert "without 'since'" in response.json_body["Message"]


@pytest.mark.parametrize(
    ("query", "named"),
    [("limit=0", "limit"), ("limit=501", "limit"), ("limit=x", "limit"), ("cursor=abc", "cursor")],
)
def test_bad_parameters_are_named(alice: ApiUser, query: str, named: str) -> None:
    response = alice.get(f"/changes?{query}")
    assert response.status_code == 400
    assert named in response.json_body["Message"]


def test_limit_goes_up_to_500(alice: ApiUser) -> None:
    assert alice.get("/changes?limit=500").status_code == 200


def test_without_a_token_the_feed_is_refused(http: Any) -> None:
    assert http.get("/changes").status_code == 401


def test_a_place_given_out_and_not_yet_written_stops_the_page(alice: ApiUser) -> None:
    """A function between its UpdateItem and its BatchWriteItem: the page stops before the gap,
    so the entry written later is not passed over; an old gap (a failed function) is passed."""
    one = alice.create(title="one")
    _, cursor = pull_all(alice)
    model = notes_app.services.change_model
    head = model(alice.sub, feed.HEAD)
    head.update(actions=[model.last.add(1)])  # a place given out, its entry not written yet
    two = alice.create(title="two")
    page = pull(alice, cursor)
    assert page["changes"] == [] and page["more"] is False
    model(
        alice.sub,
        int(head.last),
        noteId=one["noteId"],
        changedAt=one["updatedAt"],
        writtenAt=int(time.time() * 1000),
    ).save()
    assert [change["noteId"] for change in pull(alice, page["cursor"])["changes"]] == [
        one["noteId"],
        two["noteId"],
    ]


def test_a_gap_left_by_a_failed_function_is_passed_over(
    alice: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, cursor = pull_all(alice)
    model = notes_app.services.change_model
    model(alice.sub, feed.HEAD).update(actions=[model.last.add(1)])  # given out, never written
    two = alice.create(title="two")
    assert pull(alice, cursor)["changes"] == []
    later = time.time() + feed.GAP_SECONDS + 1
    monkeypatch.setattr(notes_app.services.changes, "clock", lambda: later)
    assert [change["noteId"] for change in pull(alice, cursor)["changes"]] == [two["noteId"]]


class OneByOneLastFirst:
    """A BatchWriteItem whose items become visible one by one, the last first, as DynamoDB may
    write them (each item on its own)."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def __enter__(self) -> OneByOneLastFirst:
        return self

    def save(self, item: Any) -> None:
        self.items.append(item)

    def __exit__(self, *_: object) -> None:
        for item in reversed(self.items):
            time.sleep(0.002)
            item.save()


class Threads:
    """Threads whose failures are kept (``errors``), run while ``running`` is set."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.running = threading.Event()
        self.running.set()

    def start(self, work: Any, *args: Any) -> threading.Thread:
        def run() -> None:
            try:
                work(*args)
            except BaseException as error:  # reported by the test
                self.errors.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        return thread


def write_a_while(owner: str, notes: list[dict[str, Any]], index: int) -> None:
    """One device's writes: changes to shared notes, new notes, some moved to the trash."""
    services = notes_app.services
    for round_ in range(6):
        note = notes[(index + round_) % len(notes)]
        services.notes.update_note(owner, note["noteId"], {"content": f"{index}.{round_}"}, None)
        made = services.notes.create_note(owner, {"title": f"w{index}", "content": "", "tags": []})
        if round_ % 2:
            services.trash.move(owner, made["noteId"], None)


def test_concurrent_writers_every_write_found_in_its_latest_state(
    alice: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writers on four threads, the stream delivered and the feed read on others meanwhile: a
    reader that applies every page it gets ends holding exactly the notes. The stream function's
    entries become visible one by one, the last first, so that readers meet places given out and
    not yet written."""
    monkeypatch.setattr(notes_app.services.change_model, "batch_write", OneByOneLastFirst)
    # Each request to the in-process AWS answered whole, as the service answers it: the emulator's
    # tables are not made for threads.
    answer = BotocoreStubber.__call__
    one_at_a_time = threading.Lock()

    def answered_whole(*args: Any, **kwargs: Any) -> Any:
        with one_at_a_time:
            return answer(*args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", answered_whole)
    notes = [alice.create(title=f"shared {index}") for index in range(6)]
    held = applied({}, pull_all(alice)[0])
    cursor = pull_all(alice)[1]
    threads = Threads()

    def deliver() -> None:
        feeder = stream_feeder()
        while threads.running.is_set():
            feeder.deliver()
        feeder.deliver()

    def read() -> None:
        nonlocal cursor
        while threads.running.is_set():
            page = notes_app.services.changes.page(alice.sub, cursor, 3)
            applied(held, page.changes)
            cursor = page.cursor

    writers = [threads.start(write_a_while, alice.sub, notes, index) for index in range(4)]
    others = [threads.start(deliver), threads.start(read)]
    for thread in writers:
        thread.join()
    threads.running.clear()
    for thread in others:
        thread.join()
    assert not threads.errors, threads.errors
    changes, _ = pull_all(alice, cursor, limit=7)
    assert applied(held, changes) == notes_now(alice)


def test_functions_appending_at_once_never_share_a_place(alice: ApiUser) -> None:
    """Two functions (a stream's shards) appending to one user's feed at the same time."""
    services = notes_app.services
    made = [alice.create(title=f"n{index}") for index in range(20)]
    _, cursor = pull_all(alice)
    from chalicelib.models import NoteModel
    from chalicelib.stream_records import MODIFY, StreamRecord

    def appender(notes: list[dict[str, Any]]) -> None:
        for note in notes:
            model = NoteModel(alice.sub, note["noteId"], title="x", updatedAt=note["updatedAt"])
            old = NoteModel(alice.sub, note["noteId"], title="y", updatedAt=note["updatedAt"])
            keys = {"userId": alice.sub, "noteId": note["noteId"]}
            services.changes.record([StreamRecord(MODIFY, keys, model, old)])

    threads = [threading.Thread(target=appender, args=(made[half::2],)) for half in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    changes, _ = pull_all(alice, cursor, limit=4)
    assert sorted(change["noteId"] for change in changes) == sorted(note["noteId"] for note in made)
    items = aws_client("dynamodb").query(
        TableName=CHANGES_TABLE,
        KeyConditionExpression="userId = :owner AND seq > :head",
        ExpressionAttributeValues={":owner": {"S": alice.sub}, ":head": {"N": "0"}},
    )["Items"]
    assert sorted(int(item["seq"]["N"]) for item in items) == list(range(1, len(items) + 1))


def feed_items(owner: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = aws_client("dynamodb").query(
        TableName=CHANGES_TABLE,
        KeyConditionExpression="userId = :owner",
        ExpressionAttributeValues={":owner": {"S": owner}},
    )["Items"]
    return items


def test_a_deleted_accounts_feed_goes_with_it(alice: ApiUser, bob: ApiUser) -> None:
    """The deletion deletes the feed, and the removals of the account's notes it makes (handed to
    the feed's function after the deletion ran) make no new entries."""
    for index in range(3):
        alice.create(title=f"n{index}")
    bob.create(title="bob's")
    assert feed_items(alice.sub)
    assert alice.delete("/me", headers={"X-Confirm-Delete": alice.email}).status_code == 202
    stream_feeder().deliver()
    assert feed_items(alice.sub) == []
    assert len(feed_items(bob.sub)) == 2  # the head and bob's one entry


def test_a_cursor_is_as_old_as_the_entries_it_goes_on_to(
    alice: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that pages slowly through a backlog: the cursor of a page with more to come is as
    old as the entries after it, not as the answer, so it is refused once those may be gone."""
    for index in range(3):
        alice.create(title=f"n{index}")
    start = pull(alice)  # every note, and the head's place
    _, cursor = pull_all(alice, start["cursor"])
    for index in range(3):
        alice.create(title=f"later {index}")
    now = time.time()
    monkeypatch.setattr(notes_app.services.changes, "clock", lambda: now + 20 * 86400)
    first = pull(alice, cursor, limit=1)  # twenty days on, one page of the backlog
    assert first["more"] is True
    monkeypatch.setattr(notes_app.services.changes, "clock", lambda: now + 31 * 86400)
    # The backlog's entries were written 31 days ago: the TTL may have removed them.
    assert alice.get(f"/changes?since={first['cursor']}").status_code == 410
    monkeypatch.setattr(notes_app.services.changes, "clock", lambda: now + 29 * 86400)
    assert alice.get(f"/changes?since={first['cursor']}").status_code == 200
