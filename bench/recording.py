"""The app's AWS calls, recorded from botocore's events, counted, and replayed with boto3 alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from botocore import xform_name

from chalicelib.dynamodb_calls import client_of
from tests import conftest  # applies the test stage's environment before the app is imported


def dynamodb_clients() -> list[Any]:
    """The botocore client of each of the app's tables: PynamoDB makes one a model, and a request
    reads the account table's (the deleted-account check) besides the notes table's."""
    import app as notes_app

    models = (
        notes_app.services.note_model,
        notes_app.services.search_model,
        notes_app.services.trash_model,
        notes_app.services.account_model,
        notes_app.services.change_model,
        notes_app.services.connection_model,
        notes_app.services.version_model,
        notes_app.services.share_model,
    )
    return [client_of(model) for model in models]


@contextmanager
def hooked(clients: list[Any], *handlers: tuple[str, Callable[..., Any]]) -> Iterator[None]:
    """botocore's ``handlers`` (event name, handler) registered on each of ``clients`` while the
    block runs."""
    for client in clients:
        for event, handler in handlers:
            client.meta.events.register(event, handler)
    try:
        yield
    finally:
        for client in clients:
            for event, handler in handlers:
                client.meta.events.unregister(event, handler)


def recorded_dynamodb_calls() -> AbstractContextManager[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB call the app makes, on every table's client, in the order made."""
    return conftest.recorded_dynamodb_calls(dynamodb_clients())


def _repointed(params: dict[str, Any], note_id: str) -> dict[str, Any]:
    """A call's parameters with the note it reads or writes (if any) replaced by ``note_id``; each
    item of a transaction alike. Only what changes is copied."""
    if "TransactItems" in params:
        items = [
            {kind: _repointed(action, note_id) for kind, action in item.items()}
            for item in params["TransactItems"]
        ]
        return {**params, "TransactItems": items}
    field = "Item" if "Item" in params else "Key"
    if "noteId" not in params.get(field, {}):
        return params  # not a note's: the account check
    changed = {**params[field], "noteId": {"S": note_id}}
    if "deletedKey" in changed:  # a trashed note's position, "<deletedAt>#<noteId>"
        changed["deletedKey"] = {"S": f"{changed['deletedKey']['S'].rsplit('#', 1)[0]}#{note_id}"}
    return {**params, field: changed}


def replay(
    dynamodb: Any, calls: list[tuple[str, dict[str, Any]]], note_ids: Iterator[str] | None = None
) -> None:
    """Send the app's own DynamoDB calls for one request again with boto3; for a request that
    makes or removes a note, every call naming the note is pointed at the next of ``note_ids``."""
    note_id = next(note_ids) if note_ids is not None else None
    for operation, params in calls:
        sent = _repointed(params, note_id) if note_id is not None else params
        getattr(dynamodb, xform_name(operation))(**sent)


@contextmanager
def recorded_calls() -> Iterator[list[tuple[str, str, dict[str, Any]]]]:
    """Every DynamoDB and S3 call the app makes, as (service, operation, parameters)."""
    import copy

    import app as notes_app

    found: list[tuple[str, str, dict[str, Any]]] = []
    built: dict[str, dict[str, Any]] = {}

    def record_params(model: Any, params: dict[str, Any], **_: Any) -> None:
        built[model.name] = copy.deepcopy(params)

    def record_call(model: Any, **_: Any) -> None:
        # Presigning builds parameters too, but only a request that is sent is a call.
        found.append(("s3", model.name, built.pop(model.name)))

    s3 = [notes_app.services.notes._files.client]
    with hooked(s3, ("before-parameter-build.s3", record_params), ("before-call.s3", record_call)):
        with recorded_dynamodb_calls() as dynamodb_calls:
            yield found
        found.extend(("dynamodb", operation, params) for operation, params in dynamodb_calls)


def replayer(clients: dict[str, Any], calls: list[tuple[str, str, dict[str, Any]]]) -> Callable[[], None]:
    """The recorded AWS calls, made again with the clients alone."""

    def bare() -> None:
        for service, operation, params in calls:
            getattr(clients[service], xform_name(operation))(**params)

    return bare


@contextmanager
def dynamodb_traffic() -> Iterator[Counter[str]]:
    """What the app's DynamoDB calls cost, on every table's client: "requests", a count per
    operation, "items" read (a Query's ScannedCount, a BatchGetItem's items), "bytes" answered.
    Counted under a lock: an account's deletion sends from several threads."""
    import threading

    counted: Counter[str] = Counter()
    lock = threading.Lock()

    def count(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        with lock:
            counted["requests"] += 1
            counted[model.name] += 1
            counted["bytes"] += len(http_response.content or b"")
            if model.name == "Query":
                counted["items"] += int(parsed.get("ScannedCount", 0))
            elif model.name == "BatchGetItem":
                counted["items"] += sum(len(items) for items in parsed.get("Responses", {}).values())

    with hooked(dynamodb_clients(), ("after-call.dynamodb", count)):
        yield counted


def counted(operations: list[str]) -> str:
    """Operations as a row shows them, in the order first made: "1 GetItem, 2 BatchWriteItem"."""
    return ", ".join(f"{operations.count(op)} {op}" for op in dict.fromkeys(operations))
