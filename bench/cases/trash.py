"""DELETE /notes/{id}, a move to the trash, against the delete before it: time, calls, capacity."""

from __future__ import annotations

import os
from typing import Any

from bench.capacity import capacity_units, item_bytes, shown_units
from bench.corpus import FILE_BYTES, SEARCH_SEED, Vocabulary, seeded_random, stored_note
from bench.recording import recorded_calls
from bench.timing import Row, ms, paired_prepared_us, ratio
from tests import conftest

TRASHED_SIZES = (("1 KB", 1_000), ("100 KB", 99_900))


def delete_before_trash(owner: str, note_id: str) -> None:
    """What DELETE /notes/{id} did before the trash (``NotesService.delete_note`` at e8979c9): one
    conditional DeleteItem returning the note as it was, then its file's DeleteObjects."""
    import app as notes_app
    from chalicelib import dynamodb_calls, writes

    model = notes_app.services.note_model
    writes.check_id(note_id)
    with writes.conditional(model, owner, note_id, None):
        old = dynamodb_calls.delete_item(model, owner, note_id, writes.condition_for(model, None))
    if old.attachment is not None:
        notes_app.services.files.delete_quietly(old.attachment.key)


class TrashCase:
    """Notes of one kind (``content``, ``file``) made one at a time for DELETE /notes/{id}: the move
    against the delete before it."""

    def __init__(self, owner: Any, content: str, file: bytes | None) -> None:
        self.owner = owner
        self.content = content
        self.file = file
        self.pending: list[str] = []

    def prepare(self) -> None:
        """A new note to delete (untimed)."""
        self.pending.append(stored_note(self.owner.sub, self.content, self.file))

    def move(self) -> None:
        import app as notes_app

        notes_app.services.trash.move(self.owner.sub, self.pending.pop(), None)

    def delete_before(self) -> None:
        delete_before_trash(self.owner.sub, self.pending.pop())

    def recorded(self, through_api: bool) -> tuple[list[tuple[str, str, dict[str, Any]]], int]:
        """The calls of one deletion, and the bytes of the note's item: the move through the API
        (with the account check every request makes), or the delete before it as its route
        called it."""
        import app as notes_app

        self.prepare()
        note_id = self.pending.pop()
        key = {"userId": {"S": self.owner.sub}, "noteId": {"S": note_id}}
        dynamodb = conftest.aws_client("dynamodb")
        stored = item_bytes(dynamodb.get_item(TableName=notes_app.settings.table_name, Key=key)["Item"])
        with recorded_calls() as calls:
            if through_api:
                response = self.owner.delete(f"/notes/{note_id}")
                if response.status_code != 204:
                    raise RuntimeError(f"DELETE /notes/{{id}} failed: {response.body!r}")
            else:
                delete_before_trash(self.owner.sub, note_id)
        return calls, stored


def trash_cost(rows: list[Row], user: Any) -> None:
    """DELETE /notes/{id}, now a move to the trash (``Trash.move``: a consistent GetItem, then a
    TransactWriteItems deleting the note and putting its copy in the trash table), against the
    delete before it (``delete_before_trash``), on notes of 1 KB and 100 KB: time, calls, the
    capacity DynamoDB bills."""
    import app as notes_app

    owner = conftest.new_user(user.http)
    table = notes_app.settings.table_name
    rng = seeded_random(SEARCH_SEED, "trash")
    vocabulary = Vocabulary.made(seeded_random(SEARCH_SEED, "words"))
    cases = [(label, TrashCase(owner, vocabulary.text(rng, size), None)) for label, size in TRASHED_SIZES]
    with_file = f"{TRASHED_SIZES[0][0]} with a {FILE_BYTES // 1024} KiB file"
    cases.append((with_file, TrashCase(owner, cases[0][1].content, os.urandom(FILE_BYTES))))
    calls_rows: list[Row] = []
    for label, case in cases:
        move_us, before_us = paired_prepared_us(case.move, case.delete_before, case.prepare, 10)
        more = f"{'+' if move_us >= before_us else ''}{ms(move_us - before_us)}"
        rows.append(
            (
                f"trash: DELETE /notes/{{id}}'s storage work, {label} note (move)",
                ms(move_us),
                f"the delete before it {ms(before_us)}",
                f"{ratio(move_us, before_us)} ({more})",
            )
        )
        (move_calls, stored), (before_calls, _) = case.recorded(True), case.recorded(False)
        if case.file is None:
            units = []
            for calls in (move_calls, before_calls):
                dynamodb_calls = [(op, params) for service, op, params in calls if service == "dynamodb"]
                units.append(
                    capacity_units(dynamodb_calls, {(table, owner.sub, _key_of(dynamodb_calls)): stored})
                )
            move_units, before_units = units
            rows.append(
                (
                    f"trash: capacity per DELETE /notes/{{id}}, {label} note ({stored:,} B stored)",
                    shown_units(*move_units),
                    f"the delete before it {shown_units(*before_units)}",
                    f"{ratio(move_units[0] + move_units[2], before_units[0])} writes",
                )
            )
        shown = (
            _services(move_calls),
            f"before: {_services(before_calls)}",
            "a GetItem of them the account check of every request",
        )
        calls_rows.append((f"trash: calls per DELETE /notes/{{id}}, {label} note", *shown))
    rows.extend(calls_rows)


def _key_of(calls: list[tuple[str, dict[str, Any]]]) -> str:
    """The note the calls read or write."""
    for _, params in calls:
        for item in [
            params,
            *(action for entry in params.get("TransactItems", []) for action in entry.values()),
        ]:
            key = item.get("Key") or item.get("Item") or {}
            if "noteId" in key:
                return str(key["noteId"]["S"])
    raise RuntimeError("the calls name no note")


def _services(calls: list[tuple[str, str, dict[str, Any]]]) -> str:
    """Calls as a row shows them: "2 GetItem, 1 TransactWriteItems; S3 none"."""
    shown = []
    for service, label in (("dynamodb", "DynamoDB"), ("s3", "S3")):
        operations = [operation for s, operation, _ in calls if s == service]
        used = ", ".join(f"{operations.count(op)} {op}" for op in dict.fromkeys(operations)) or "none"
        shown.append(f"{label} {used}")
    return "; ".join(shown)
