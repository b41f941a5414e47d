"""Which stream records reach which function: Lambda's filter matching as the declarations use it,
each declared function's records matched and not, and the local stack delivering only those."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client

import app as notes_app
from chalicelib.models import NoteModel
from chalicelib.stream_consumers import CONSUMERS, FOLLOWER, INDEXER, JOBS, PURGER, Consumer, matches
from chalicelib.stream_records import TTL_IDENTITY
from chalicelib.tables import ACCOUNT, NOTES
from local_stack import background as background_functions
from local_stack.background import Background, background
from local_stack.provisioning import Provisioned
from local_stack.streams import StreamFeeder
from local_stack.ttl import LocalClock
from tests.conftest import ROOT, STAGE, ApiUser, indexed, new_user, time_to_live_of

OWNER = "5f1c2a7e-8d1b-4b8e-9a37-2f4c0e6d1a90"
EXPORT_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


def change(event_name: str, keys: dict[str, str], by_ttl: bool = False) -> dict[str, Any]:
    """A stream record of ``keys`` (string keys), as Lambda's JSON has it."""
    record: dict[str, Any] = {
        "eventName": event_name,
        "dynamodb": {"Keys": {name: {"S": value} for name, value in keys.items()}},
    }
    if by_ttl:
        record["userIdentity"] = dict(TTL_IDENTITY)
    return record


def note(event_name: str, by_ttl: bool = False) -> dict[str, Any]:
    return change(event_name, {"userId": OWNER, "noteId": EXPORT_ID}, by_ttl)


def account(event_name: str, item: str, by_ttl: bool = False) -> dict[str, Any]:
    return change(event_name, {"userId": OWNER, "item": item}, by_ttl)


# ---- the matching -----------------------------------------------------------------------------


def test_every_field_a_pattern_names_must_be_in_the_record_with_a_value_it_lists() -> None:
    pattern = {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"item": {"S": ["deleted"]}}}}
    assert matches(pattern, account("INSERT", "deleted"))
    assert matches(pattern, account("MODIFY", "deleted"))
    assert not matches(pattern, account("REMOVE", "deleted"))  # a value not listed
    assert not matches(pattern, account("INSERT", "sweep"))  # within an object, too
    assert not matches(pattern, {"eventName": "INSERT"})  # a field missing
    assert not matches(pattern, {"eventName": "INSERT", "dynamodb": "deleted"})  # not an object
    assert not matches(pattern, note("INSERT"))  # the key the pattern names is not the record's
    assert matches({}, note("REMOVE"))  # a pattern of nothing: every record


def test_a_prefix_matches_the_strings_that_start_with_it_and_nothing_else() -> None:
    pattern = {"dynamodb": {"Keys": {"item": {"S": [{"prefix": "export#"}, "deleted"]}}}}
    assert matches(pattern, account("INSERT", f"export#{EXPORT_ID}"))
    assert matches(pattern, account("INSERT", "export#"))
    assert matches(pattern, account("INSERT", "deleted"))
    assert not matches(pattern, account("INSERT", "exporting"))
    assert not matches(pattern, account("INSERT", "my-export#1"))
    assert not matches({"size": [{"prefix": "1"}]}, {"size": 12})  # a number starts with nothing


@pytest.mark.parametrize(
    "pattern",
    [
        {"eventName": "INSERT"},  # a value, not a list of them
        {"eventName": []},
        {"eventName": [{"anything-but": ["REMOVE"]}]},
        {"dynamodb": {"Keys": {"item": {"S": [{"prefix": "export#", "suffix": "1"}]}}}},
        {"size": [{"numeric": [">", 0]}]},
        {"eventName": [["INSERT"]]},
    ],
    ids=["bare value", "empty list", "anything-but", "prefix and suffix", "numeric", "nested list"],
)
def test_a_declaration_using_what_the_matching_does_not_implement_is_refused(pattern: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="filter field"):
        Consumer("some_function", NOTES, notes_app.services.note_model, (pattern,)).declared()


def test_a_declaration_reading_another_tables_items_is_refused() -> None:
    with pytest.raises(ValueError, match="some_function: TrashedNote is no item of the account table"):
        Consumer("some_function", ACCOUNT, notes_app.services.trash_model).declared()


# ---- each declared function's records -----------------------------------------------------------

# For every declared function: records Lambda hands it, and records it never sees.
CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    INDEXER.name: (
        # Every change of a note: made, edited, moved to the trash.
        [note("INSERT"), note("MODIFY"), note("REMOVE")],
        [],
    ),
    FOLLOWER.name: (
        # Every change of a note: made, edited, moved to the trash (and its owner's feed shows it).
        [note("INSERT"), note("MODIFY"), note("REMOVE")],
        [],
    ),
    PURGER.name: (
        # A trashed note the TTL removed.
        [note("REMOVE", by_ttl=True)],
        # Moved in, restored or deleted for good by its owner.
        [note("INSERT"), note("REMOVE"), {**note("REMOVE"), "userIdentity": {"type": "Service"}}],
    ),
    JOBS.name: (
        # An export asked for, an account to delete, a deleted account's sweep item expired.
        [
            account("INSERT", f"export#{EXPORT_ID}"),
            account("INSERT", "deleted"),
            account("REMOVE", "sweep", by_ttl=True),
        ],
        [
            account("INSERT", "exporting"),  # names the pending export: written with it
            account("INSERT", "sweep"),  # written at the end of a deletion: its removal is the job
            account("MODIFY", f"export#{EXPORT_ID}"),  # an export's progress, or ready
            account("REMOVE", f"export#{EXPORT_ID}", by_ttl=True),  # an export's record expired
            account("REMOVE", "exporting"),  # the pending export done
            account("REMOVE", "sweep"),  # not the TTL's
            account("MODIFY", "deleted"),
        ],
    ),
}


def test_every_declared_function_has_its_cases() -> None:
    assert set(CASES) == {consumer.name for consumer in CONSUMERS}


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda consumer: consumer.name)
def test_a_function_is_handed_the_records_its_filter_matches_and_no_other(consumer: Consumer[Any]) -> None:
    handed, never = CASES[consumer.name]
    for record in handed:
        assert consumer.admits(record), record
    for record in never:
        assert not consumer.admits(record), record
    event = {"Records": [*never, *handed, *never]}
    assert consumer.admitted(event) == {"Records": handed}
    assert [record.keys for record in consumer.records(event)] == [
        {name: value["S"] for name, value in record["dynamodb"]["Keys"].items()} for record in handed
    ]


def test_the_jobs_function_handed_what_its_filter_drops_does_nothing() -> None:
    # No table is read or written: nothing the function is given is a job.
    _, never = CASES[JOBS.name]
    assert notes_app.run_jobs({"Records": never}, None) == {"exports": 0, "deletions": 0, "sweeps": 0}
    assert notes_app.purge_trash({"Records": CASES[PURGER.name][1]}, None) == {
        "records": 3,
        "files": 0,
        "versions": 0,
    }


# ---- the local stack's delivery -----------------------------------------------------------------


@pytest.fixture
def user(feeder: StreamFeeder) -> ApiUser:
    """A user whose account table's stream is delivered by the test alone (the notes' is indexed)."""
    return new_user(indexed(Client(notes_app.app, stage_name=STAGE, project_dir=str(ROOT)).http, feeder))


def account_items(event: dict[str, Any]) -> list[tuple[str, str]]:
    return [(record["eventName"], record["dynamodb"]["Keys"]["item"]["S"]) for record in event["Records"]]


def test_an_export_invokes_the_jobs_function_once_with_its_record_alone(user: ApiUser) -> None:
    settings = notes_app.settings
    invoked: list[dict[str, Any]] = []
    jobs = StreamFeeder(settings.account_table_name, settings.region, invoked.append, consumer=JOBS)
    user.create(content="one note")
    export_id = user.post("/exports").json_body["exportId"]
    # Written in one transaction: the export's record and the item naming it; only the first is a job.
    assert jobs.deliver() == 2
    assert [account_items(event) for event in invoked] == [[("INSERT", f"export#{export_id}")]]
    assert notes_app.run_jobs(invoked[0], None) == {"exports": 1, "deletions": 0, "sweeps": 0}
    assert user.get(f"/exports/{export_id}").json_body["status"] == "ready"
    # Its progress, ready, the item naming it deleted: read off the stream, handed to nobody.
    assert jobs.deliver() > 0
    assert len(invoked) == 1
    # A day later the TTL removes the export's record: no job either.
    clock = LocalClock()
    ttl = time_to_live_of(JOBS, invoked.append, clock)
    clock.advance(3 * 24 * 60 * 60)
    assert ttl.sweep() == {settings.account_table_name: 1}
    assert len(invoked) == 1


def test_the_purge_is_handed_the_ttls_removals_of_the_trash_and_not_its_owners(alice: ApiUser) -> None:
    settings = notes_app.settings
    invoked: list[dict[str, Any]] = []
    stream = StreamFeeder(settings.trash_table_name, settings.region, invoked.append, consumer=PURGER)
    kept, purged, restored = (alice.create(content=name) for name in ("kept", "purged", "restored"))
    for each in (kept, purged, restored):
        assert alice.delete(f"/notes/{each['noteId']}").status_code == 204
    assert alice.post(f"/trash/{restored['noteId']}/restore").status_code == 200
    assert alice.delete(f"/trash/{purged['noteId']}").status_code == 204
    assert stream.deliver() > 0  # moved in, restored, deleted for good: the API's own
    assert invoked == []
    clock = LocalClock()
    ttl = time_to_live_of(PURGER, invoked.append, clock)
    clock.advance(31 * 24 * 60 * 60)
    assert ttl.sweep() == {settings.trash_table_name: 1}
    assert [
        [record["dynamodb"]["Keys"]["noteId"]["S"] for record in event["Records"]] for event in invoked
    ] == [[kept["noteId"]]]
    assert stream.deliver() == 1  # the emulator's own record of that removal is not the TTL's
    assert len(invoked) == 1


def test_make_runs_feeders_hand_a_tables_stream_to_each_of_its_functions(
    aws: Provisioned, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second function of the notes table (a change feed, say) gets its batches beside the
    indexer's, each the records its own filter matches."""
    removals = Consumer("note_removals", NOTES, NoteModel, ({"eventName": ["REMOVE"]},))
    monkeypatch.setattr(background_functions, "CONSUMERS", (*CONSUMERS, removals))
    run = background(aws)
    seen: list[dict[str, Any]] = []
    declared = Background.handler
    monkeypatch.setattr(
        Background,
        "handler",
        lambda self, consumer: seen.append if consumer is removals else declared(self, consumer),
    )
    feeders = run.feeders()
    assert sorted(feeder._table_name for feeder in feeders) == sorted(
        (aws.table_name, aws.trash_table_name, aws.account_table_name)
    )
    user = new_user(Client(notes_app.app, stage_name=STAGE, project_dir=str(ROOT)).http)

    def deliver() -> None:
        for feeder in feeders:
            feeder.deliver()

    made = user.create(content="walnut")
    deliver()
    assert any(entry.startswith("w#walnut#") for entry in run.index.entries_of(user.sub))
    assert seen == []
    assert user.delete(f"/notes/{made['noteId']}").status_code == 204
    deliver()
    assert list(run.index.entries_of(user.sub)) == []
    assert [[record["eventName"] for record in event["Records"]] for event in seen] == [["REMOVE"]]
