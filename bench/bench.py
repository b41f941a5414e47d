"""Benchmarks of the notes API; prints a table. Run with ``make bench``.

Everything runs on this machine against the emulated AWS (in-process); nothing
leaves it. Times are medians of repeated runs; each row compares the product
with a baseline measured in the same run, as a ratio.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore import xform_name
from uuid6 import uuid7

if TYPE_CHECKING:
    from infra.package import Package

from tests import conftest  # applies the test stage's environment before the app is imported

REPEATS = 5
WARM_UP = 5
Row = tuple[str, str, str, str]


def median_us(fn: Callable[[], Any], number: int, repeat: int = REPEATS) -> float:
    """Median microseconds per call over ``repeat`` runs of ``number`` calls."""
    runs = timeit.repeat(fn, number=number, repeat=repeat, timer=time.perf_counter)
    return statistics.median(runs) / number * 1e6


def paired_us(
    measured: Callable[[], Any], baseline: Callable[[], Any], number: int, repeat: int = REPEATS
) -> tuple[float, float]:
    """Median microseconds per call of each, their runs interleaved so that drift hits both alike."""
    runs: tuple[list[float], list[float]] = ([], [])
    for _ in range(WARM_UP):  # first calls fill caches (botocore's, the emulator's) untimed
        measured()
        baseline()
    for _ in range(repeat):
        for fn, times in ((measured, runs[0]), (baseline, runs[1])):
            times.append(timeit.timeit(fn, number=number, timer=time.perf_counter) / number * 1e6)
    return statistics.median(runs[0]), statistics.median(runs[1])


def ms(us: float) -> str:
    sign = "-" if us < 0 else ""
    us = abs(us)
    return f"{sign}{us / 1000:.2f} ms" if us >= 1000 else f"{sign}{us:.0f} µs"


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.1f}×"


# --- 1. cold start ------------------------------------------------------------------------------

COLD_REPEATS = 9
_TIMED_IMPORT = (
    "import sys, time\nstarted = time.perf_counter()\n{imports}\nprint(time.perf_counter() - started)\n"
)


def _python(code: str, cwd: Path, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    """``code`` run by a new interpreter (with ``flags``) started in ``cwd``."""
    return subprocess.run(  # noqa: S603
        [sys.executable, *flags, "-c", code], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )


def _import_us(imports: str, cwd: Path, env: dict[str, str]) -> float:
    """Microseconds that ``imports`` take in a new interpreter (its own start-up not counted)."""
    return float(_python(_TIMED_IMPORT.format(imports=imports), cwd, env).stdout) * 1e6


@dataclass(frozen=True)
class Unpacked:
    """A Lambda package of the dev stage and where it lies unpacked, as Lambda unpacks it."""

    built: Package
    task: Path


def unpacked_packages(folder: Path) -> dict[str, Unpacked]:
    """The package ``make package`` builds ("compiled") and the same of sources only ("sources")."""
    import zipfile

    from infra import package

    found = {}
    for name, bytecode in (("compiled", True), ("sources", False)):
        built = package.package("dev", folder / name, bytecode=bytecode)
        with zipfile.ZipFile(built.zip) as archive:
            archive.extractall(folder / name / "task")
        found[name] = Unpacked(built, folder / name / "task")
    return found


def cold_start(rows: list[Row], packages: dict[str, Unpacked]) -> None:
    """Imports in a fresh interpreter, run from an unpacked Lambda package as Lambda runs them.

    The package comes first on sys.path, so its chalice (the runtime only, no chalice.local: no
    local token checks), pynamodb and app are the ones imported; botocore comes from the virtual
    environment, as from the runtime in Lambda. Nothing writes bytecode: /var/task is read-only.
    """
    base = {**os.environ, **conftest.STAGE_ENV}
    lambda_env = {**base, "PYTHONDONTWRITEBYTECODE": "1"}
    compiled, sources = packages["compiled"].task, packages["sources"].task
    with tempfile.TemporaryDirectory() as pycache:
        # The working tree, as chalice local imports it, with its bytecode cached as usual.
        local_env = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
        local_env["PYTHONPYCACHEPREFIX"] = pycache
        cases = {
            "bare": ("import chalice.app, pynamodb.models", compiled, lambda_env),
            "compiled": ("import app", compiled, lambda_env),
            "sources": ("import app", sources, lambda_env),
            "local": ("import app", conftest.ROOT, local_env),
        }
        _import_us("import app", conftest.ROOT, local_env)  # fills the local bytecode cache
        timings: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(COLD_REPEATS):  # interleaved, so that drift hits every case alike
            for name, (imports, cwd, env) in cases.items():
                timings[name].append(_import_us(imports, cwd, env))
    bare, with_bytecode, from_sources, local = (statistics.median(timings[name]) for name in cases)
    rows.append(("cold start: import chalice.app + pynamodb.models", ms(bare), "baseline", "1.0×"))
    rows.append(
        (
            "cold start: import app (make package)",
            ms(with_bytecode),
            "vs bare deps",
            ratio(with_bytecode, bare),
        )
    )
    rows.append(
        (
            "cold start: import app, sources only (as chalice packages)",
            ms(from_sources),
            "vs bare deps",
            ratio(from_sources, bare),
        )
    )
    rows.append(
        (
            "cold start: import app, chalice local (token checks hooked)",
            ms(local),
            "vs bare deps",
            ratio(local, bare),
        )
    )


def _own_modules_ms(cwd: Path, env: dict[str, str]) -> float:
    """Milliseconds that ``import app`` spends in the app's own modules (app.py, chalicelib, and
    anything of the local stack), their dependencies not counted: ``-X importtime``'s self times."""
    result = _python("import app", cwd, env, "-X", "importtime")
    own = ("app", "chalicelib", "local_stack")
    total = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        if name.strip().split(".")[0] in own and self_us.strip().isdigit():
            total += int(self_us)
    return total / 1000


def own_modules(rows: list[Row], packages: dict[str, Unpacked]) -> None:
    """The app's own share of a cold start, which the whole-import rows above drown in botocore's."""
    env = {**os.environ, **conftest.STAGE_ENV, "PYTHONDONTWRITEBYTECODE": "1"}
    timings = [_own_modules_ms(packages["compiled"].task, env) for _ in range(COLD_REPEATS * 2)]
    rows.append(
        (
            "cold start: import app, the app's own modules only (self time)",
            f"{statistics.median(timings):.2f} ms",
            "-X importtime",
            "",
        )
    )


def memory(rows: list[Row], packages: dict[str, Unpacked]) -> None:
    """Peak resident memory of a fresh interpreter that imported the app from its Lambda package."""
    env = {**os.environ, **conftest.STAGE_ENV, "PYTHONDONTWRITEBYTECODE": "1"}
    code = "import resource\n{imports}\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    task = packages["compiled"].task
    peaks = {}
    for name, imports in (("bare", "import chalice.app, pynamodb.models"), ("app", "import app")):
        peaks[name] = int(_python(code.format(imports=imports), task, env).stdout) / 1024  # ru_maxrss: KiB
    rows.append(
        (
            "Lambda memory: peak RSS after import app",
            f"{peaks['app']:.0f} MiB",
            f"bare deps {peaks['bare']:.0f} MiB",
            ratio(peaks["app"], peaks["bare"]),
        )
    )


# --- in-process stack -----------------------------------------------------------------------------


@contextmanager
def transactions_copying_no_table() -> Iterator[None]:
    """The emulator's TransactWriteItems without its copy of each table it writes.

    Before it writes, the emulator copies every table a transaction writes (every item and every
    stream record), to put it back if the transaction is refused: a DELETE /notes/{id} (a move to
    the trash) then takes it time in proportion to everything written before, 373 ms after the
    request rows' writes for a 5 ms DeleteItem, where DynamoDB's transaction costs what its own
    items do. No transaction here is refused, so none is put back: while the block runs, the copy
    of a table is the table itself.
    """
    from moto.dynamodb.models.table import Table

    Table.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del Table.__deepcopy__  # type: ignore[attr-defined]


@contextmanager
def in_process_stack() -> Iterator[Any]:
    from chalice.test import Client
    from moto import mock_aws

    import app as notes_app
    from infra import description
    from local_stack import gateway_auth
    from local_stack.emulator import answer_as_aws
    from local_stack.provisioning import provision

    # The pool answers as Cognito's, and a Query reads only its key range, as DynamoDB's does (as the
    # tests run).
    answer_as_aws()
    with mock_aws(), transactions_copying_no_table():
        provision(
            conftest.STAGE,
            conftest.aws_client("cognito-idp"),
            conftest.aws_client("dynamodb"),
            conftest.aws_client("s3"),
        )
        dynamodb = conftest.aws_client("dynamodb")
        for table in (description.table(conftest.STAGE), description.search_table(conftest.STAGE)):
            dynamodb.delete_table(TableName=table["TableName"])
            dynamodb.create_table(**table)
        http = Client(notes_app.app, stage_name=conftest.STAGE, project_dir=str(conftest.ROOT)).http
        # Each emulator makes the pool anew, with a signing key of its own: the app checks tokens as a
        # new deployment would, against that pool's keys (its cache holds the last emulator's).
        gateway_auth.verify_tokens_locally(notes_app.app, notes_app.settings)
        yield conftest.new_user(http)


# --- 2. per-request overhead and 3. DynamoDB calls per route -----------------------------------


def dynamodb_clients() -> list[Any]:
    """The botocore client of each of the app's tables: PynamoDB makes one a model, and a request
    reads the account table's (the deleted-account check) besides the notes table's."""
    import app as notes_app

    models = (notes_app.note_model, notes_app.search_model, notes_app.trash_model, notes_app.account_model)
    return [model._get_connection().connection.client for model in models]


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


def requests_and_calls(rows: list[Row], user: Any) -> None:
    from chalicelib.shapes import utc_now

    dynamodb = conftest.aws_client("dynamodb")
    note_id = user.create(content="bench")["noteId"]
    # The listing is timed for a user of its own (the emulator's Query reads only the page's
    # items, local_stack.query_ranges, but its answer grows with them).
    reader = conftest.new_user(user.http)
    for _ in range(45):
        reader.create(content="a page of notes")
    n = 50
    fresh_ids = (str(uuid7()) for _ in itertools.count())
    spare: list[str] = []  # notes to delete, made just before the DELETE case
    deletable = iter(spare)

    cases: list[tuple[str, Callable[[], Any], Iterator[str] | None]] = [
        ("GET /notes (20 a page)", lambda: reader.get("/notes"), None),
        ("GET /notes/{id}", lambda: user.get(f"/notes/{note_id}"), None),
        ("POST /notes", lambda: user.post("/notes", {"content": "bench"}), fresh_ids),
        ("PUT /notes/{id}", lambda: user.put(f"/notes/{note_id}", {"content": f"bench {utc_now()}"}), None),
        ("PATCH /notes/{id}", lambda: user.patch(f"/notes/{note_id}", {"title": "bench"}), None),
        ("DELETE /notes/{id}", lambda: user.delete(f"/notes/{next(deletable)}"), deletable),
    ]
    counts: list[tuple[str, list[str]]] = []
    for name, through_api, note_ids in cases:
        if note_ids is deletable:
            needed = (n * REPEATS + WARM_UP) * 2 + 1
            spare.extend(user.create(content="spare")["noteId"] for _ in range(needed))
        with recorded_dynamodb_calls() as calls:
            response = through_api()
        if response.status_code >= 300:
            raise RuntimeError(f"{name} failed: {response.body!r}")
        operations = [operation for operation, _ in calls]
        counts.append((name, operations))
        api_us, direct_us = paired_us(through_api, partial(replay, dynamodb, calls, note_ids), n)
        rows.append(
            (
                f"request: {name}",
                ms(api_us),
                f"its {' + '.join(operations)} alone {ms(direct_us)}",
                f"{ratio(api_us, direct_us)} ({'+' if api_us >= direct_us else ''}{ms(api_us - direct_us)})",
            )
        )

    with recorded_dynamodb_calls() as calls:
        pages, cursor = 0, None
        while True:
            response = reader.get(f"/notes?limit=10{'&cursor=' + cursor if cursor else ''}")
            if response.status_code != 200:
                raise RuntimeError(f"listing failed: {response.body!r}")
            pages += 1
            cursor = response.json_body["nextCursor"]
            if cursor is None:
                break
    counts.append((f"GET /notes, 45 notes, 10 a page ({pages} pages)", [op for op, _ in calls]))
    for name, operations in counts:
        used = ", ".join(f"{operations.count(op)} {op}" for op in sorted(set(operations)))
        rows.append((f"DynamoDB calls: {name}", str(len(operations)), used, ""))


# --- 3b. attachments: calls per route, overhead, bytes through the API ---------------------------


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

    s3 = [notes_app.notes._files.client]
    with hooked(s3, ("before-parameter-build.s3", record_params), ("before-call.s3", record_call)):
        with recorded_dynamodb_calls() as dynamodb_calls:
            yield found
        found.extend(("dynamodb", operation, params) for operation, params in dynamodb_calls)


def _order(calls: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[str, str, dict[str, Any]]]:
    # The app's order: S3 reads and copies, then the one DynamoDB call, then S3 deletes.
    rank = {"HeadObject": 0, "CopyObject": 1, "DeleteObjects": 3}
    return sorted(calls, key=lambda call: rank.get(call[1], 2))


def paired_prepared_us(
    api: Callable[[], Any], bare: Callable[[], Any], prepare: Callable[[], None], number: int
) -> tuple[float, float]:
    """Median microseconds of each, every call after an untimed ``prepare``, interleaved."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(WARM_UP + number * REPEATS):
        for fn, found in ((api, times[0]), (bare, times[1])):
            prepare()
            started = time.perf_counter()
            fn()
            if i >= WARM_UP:
                found.append((time.perf_counter() - started) * 1e6)
    return statistics.median(times[0]), statistics.median(times[1])


def waiting_uploads(dynamodb: Any, table: str, owner: str, note_id: str, size: int, *keep: str) -> None:
    """Make the note's record of waiting uploads hold only ``keep`` (bench.bin files of ``size``):
    a note may have 20 uploads waiting, and the runs ask for hundreds (untimed)."""
    record = {
        "M": {
            "name": {"S": "bench.bin"},
            "size": {"N": str(size)},
            "contentType": {"S": "application/octet-stream"},
        }
    }
    dynamodb.update_item(
        TableName=table,
        Key={"userId": {"S": owner}, "noteId": {"S": note_id}},
        UpdateExpression="SET uploads = :kept",
        ExpressionAttributeValues={":kept": {"M": dict.fromkeys(keep, record)}},
    )


def replayer(clients: dict[str, Any], calls: list[tuple[str, str, dict[str, Any]]]) -> Callable[[], None]:
    """The recorded AWS calls, made again with the clients alone."""

    def bare() -> None:
        for service, operation, params in calls:
            getattr(clients[service], xform_name(operation))(**params)

    return bare


def attachments(rows: list[Row], user: Any) -> None:
    import app as notes_app

    clients = {"dynamodb": conftest.aws_client("dynamodb"), "s3": conftest.aws_client("s3")}
    bucket = notes_app.settings.bucket_name
    note_id = user.create(content="with a file")["noteId"]
    path = f"/notes/{note_id}/attachment"
    data = os.urandom(64 * 1024)

    def upload() -> str:
        from tests.stack import send_to_s3

        asked = user.post(
            path, {"name": "bench.bin", "contentType": "application/octet-stream", "size": len(data)}
        )
        form = asked.json_body
        send_to_s3(form, data)
        upload_id: str = form["uploadId"]
        return upload_id

    pending: list[str] = []
    recorded_upload: dict[str, str] = {}

    def forget_uploads(*keep: str) -> None:
        table = notes_app.settings.table_name
        waiting_uploads(clients["dynamodb"], table, user.sub, note_id, len(data), *keep)

    def prepare_attach() -> None:
        forget_uploads()
        pending.append(upload())
        if recorded_upload:  # the bare replay heads and copies the recorded upload: put it back
            forget_uploads(pending[-1], recorded_upload["key"].rsplit("/", 1)[-1])
            clients["s3"].put_object(
                Bucket=bucket,
                Key=recorded_upload["key"],
                Body=data,
                Metadata={"name": "bench.bin", "size": str(len(data))},
                ContentType="application/octet-stream",
            )

    def prepare_detach() -> None:
        user.put(path, {"uploadId": upload()})

    cases: list[tuple[str, Callable[[], Any], Callable[[], None]]] = [
        (
            "POST /notes/{id}/attachment (upload form)",
            lambda: user.post(
                path, {"name": "bench.bin", "contentType": "application/octet-stream", "size": len(data)}
            ),
            forget_uploads,
        ),
        (
            "PUT /notes/{id}/attachment (attach)",
            lambda: user.put(path, {"uploadId": pending.pop()}),
            prepare_attach,
        ),
        ("GET /notes/{id}/attachment (download URL)", lambda: user.get(path), lambda: None),
        ("DELETE /notes/{id}/attachment", lambda: user.delete(path), prepare_detach),
    ]
    counted: list[tuple[str, list[tuple[str, str, dict[str, Any]]]]] = []
    for name, through_api, prepare in cases:
        prepare()
        with recorded_calls() as calls:
            response = through_api()
        if response.status_code >= 300:
            raise RuntimeError(f"{name} failed: {response.body!r}")
        calls = _order(calls)
        counted.append((name, calls))
        heads = [params["Key"] for _, operation, params in calls if operation == "HeadObject"]
        recorded_upload.update(zip(["key"], heads, strict=False))
        api_us, bare_us = paired_prepared_us(through_api, replayer(clients, calls), prepare, 20)
        rows.append(
            (
                f"request: {name}",
                ms(api_us),
                f"its calls alone {ms(bare_us)}",
                f"{ratio(api_us, bare_us)} ({'+' if api_us >= bare_us else ''}{ms(api_us - bare_us)})",
            )
        )
    rows.extend(call_rows(counted))
    rows.append(bytes_through_the_api(user))


def call_rows(counted: list[tuple[str, list[tuple[str, str, dict[str, Any]]]]]) -> list[Row]:
    """A row per route and service: how many calls, of which operations."""
    rows: list[Row] = []
    for name, calls in counted:
        for service, label in (("dynamodb", "DynamoDB"), ("s3", "S3")):
            operations = [operation for s, operation, _ in calls if s == service]
            used = ", ".join(f"{operations.count(op)} {op}" for op in dict.fromkeys(operations)) or "none"
            rows.append((f"{label} calls: {name}", str(len(operations)), used, ""))
    return rows


def bytes_through_the_api(user: Any) -> Row:
    """Send a 1 MiB file through the whole flow; count the API's request and response bytes."""
    import requests

    from tests.stack import send_to_s3

    data = os.urandom(1024 * 1024)
    note_id = user.create(content="a big file")["noteId"]
    path = f"/notes/{note_id}/attachment"
    api_bodies: list[bytes] = []

    def api(method: str, body: Any = None) -> Any:
        response = user.request(method, path) if body is None else user.request(method, path, body)
        api_bodies.append(json.dumps(body).encode() if body is not None else b"")
        api_bodies.append(response.body or b"")
        return response.json_body if response.body else None

    form = api("POST", {"name": "big.bin", "contentType": "application/octet-stream", "size": len(data)})
    send_to_s3(form, data, timeout=30)
    api("PUT", {"uploadId": form["uploadId"]})
    link = api("GET")
    if requests.get(link["url"], timeout=30).content != data:
        raise RuntimeError("the download is not the upload")
    api("DELETE")
    traffic = b"".join(api_bodies)
    # Any 64-byte window of the file found in the API's bodies would be file bytes passing through.
    windows = {data[i : i + 64] for i in range(0, len(data) - 64, 4096)}
    through = sum(64 for window in windows if window in traffic)
    return (
        "attachment: file bytes through the API (1 MiB file, whole flow)",
        f"{through} B",
        f"API bodies {len(traffic):,} B in all",
        "",
    )


# --- 3c. the cost of the request log -----------------------------------------------------------


def logging_cost(rows: list[Row], user: Any) -> None:
    """GET /notes/{id} with its JSON request line against the same with the line switched off."""
    import contextlib
    import io
    import logging

    from chalicelib.request_log import REQUEST_LOGGER

    note_id = user.create(content="logged")["noteId"]
    logger = logging.getLogger(REQUEST_LOGGER)

    def quiet() -> Any:
        logger.disabled = True
        try:
            return user.get(f"/notes/{note_id}")
        finally:
            logger.disabled = False

    with contextlib.redirect_stdout(io.StringIO()):  # the lines are written, to nowhere
        logged_us, quiet_us = paired_us(lambda: user.get(f"/notes/{note_id}"), quiet, 200)
    rows.append(
        (
            "request log: GET /notes/{id} with its JSON line",
            ms(logged_us),
            f"line switched off {ms(quiet_us)}",
            f"{ratio(logged_us, quiet_us)} ({ms(logged_us - quiet_us)})",
        )
    )


# --- 3d. the trash: DELETE /notes/{id} moves a note where it deleted it ---------------------------

TRASHED_SIZES = (("1 KB", 1_000), ("100 KB", 99_900))
FILE_BYTES = 64 * 1024


def delete_before_trash(owner: str, note_id: str) -> None:
    """What DELETE /notes/{id} did before the trash (``NotesService.delete_note`` at e8979c9): one
    conditional DeleteItem returning the note as it was, then its file's DeleteObjects."""
    import app as notes_app
    from chalicelib import writes

    model = notes_app.note_model
    writes.check_id(note_id)
    with writes.conditional(model, owner, note_id, None):
        answer = writes.connection(model).delete_item(
            owner, note_id, condition=writes.condition_for(model, None), return_values="ALL_OLD"
        )
    old = model.from_raw_data(answer["Attributes"])
    if old.attachment is not None:
        notes_app.files.delete_quietly(old.attachment.key)


def stored_note(owner: str, content: str, file: bytes | None = None) -> str:
    """A note written straight into the notes table (version 1, as a create leaves it), with
    ``file`` in the bucket as its attachment if given; its id."""
    import app as notes_app
    from chalicelib.models import AttachmentAttribute
    from chalicelib.shapes import utc_now
    from chalicelib.storage_layout import FILES_PREFIX

    now = utc_now()
    note = notes_app.note_model(
        owner, str(uuid7()), title="a note", content=content, tags=["work"], createdAt=now, updatedAt=now
    )
    note.uploads = {}
    if file is not None:
        key = f"{FILES_PREFIX}{owner}/{note.noteId}/{uuid7()}"
        conftest.aws_client("s3").put_object(Bucket=notes_app.settings.bucket_name, Key=key, Body=file)
        note.attachment = AttachmentAttribute(
            key=key, name="bench.bin", size=len(file), contentType="application/octet-stream", uploadedAt=now
        )
    note.save(condition=notes_app.note_model.noteId.does_not_exist())
    return str(note.noteId)


def _tables() -> dict[str, dict[str, Any]]:
    """The stage's tables as provisioned (CreateTable parameters), by name."""
    from infra import description

    made = (description.table, description.search_table, description.trash_table, description.account_table)
    return {table["TableName"]: table for table in (make(conftest.STAGE) for make in made)}


def _item_key(table: dict[str, Any], item: dict[str, Any]) -> tuple[str, ...]:
    return (table["TableName"], *(item[key["AttributeName"]]["S"] for key in table["KeySchema"]))


def capacity_units(
    calls: list[tuple[str, dict[str, Any]]], stored: dict[tuple[str, ...], int]
) -> tuple[float, float, float]:
    """Write, read and index write units that DynamoDB bills for ``calls``, from the items' sizes
    (``item_bytes``; ``stored``: each item there before the calls, by table and key). A read: 1 a
    4 KB of the item (half for an eventually consistent one), 1 when there is none; a write: 1 a
    KB of the larger of the item before and after; in a transaction, twice each. A table's local
    secondary index (projecting every attribute) writes its copy too: 1 a KB of it, counted apart
    (DynamoDB does not say whether a transaction doubles an index's write)."""

    def units(size: int, unit: int) -> int:
        return max(1, -(-size // unit))

    tables = _tables()
    write = read = index = 0.0
    for operation, params in calls:
        if operation == "GetItem":
            size = stored.get(_item_key(tables[params["TableName"]], params["Key"]), 0)
            read += units(size, 4096) * (1 if params.get("ConsistentRead") else 0.5)
            continue
        if operation == "TransactWriteItems":
            actions, times = (
                [(kind, item) for entry in params["TransactItems"] for kind, item in entry.items()],
                2,
            )
        elif operation in ("PutItem", "DeleteItem"):
            actions, times = [(operation.removesuffix("Item"), params)], 1
        else:
            raise RuntimeError(f"no capacity rule here for {operation}")
        for kind, action in actions:
            if kind not in ("Put", "Delete"):
                raise RuntimeError(f"no capacity rule here for a transaction's {kind}")
            table = tables[action["TableName"]]
            before = stored.get(_item_key(table, action.get("Item") or action["Key"]), 0)
            size = max(before, item_bytes(action["Item"]) if kind == "Put" else 0)
            write += times * units(size, 1024)
            if table.get("LocalSecondaryIndexes"):
                index += units(size, 1024)
    return write, read, index


def _units(write: float, read: float, index: float = 0) -> str:
    shown = f"{write:g} WCU + {read:g} RCU"
    return f"{shown} + {index:g} index WCU" if index else shown


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

        notes_app.trash.move(self.owner.sub, self.pending.pop(), None)

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
                    _units(*move_units),
                    f"the delete before it {_units(*before_units)}",
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


# --- 3e. an export ----------------------------------------------------------------------------------

EXPORTED_NOTES = 1_000
EXPORTED_CONTENT = (1_000, 10_000)  # bytes of a note's content, drawn evenly
FILE_EVERY = 10  # a file on one note in ten
EXPORT_RUNS = 2


def export_cost(rows: list[Row], user: Any) -> None:
    """``Exports.make`` (what the jobs function does for POST /exports) for an account of 1,000
    notes of 1–10 KB, a 64 KiB file on one in ten: its time, its memory, the ZIP's size."""
    import tracemalloc
    import zipfile

    import app as notes_app
    from chalicelib.exports import export_key

    owner = conftest.new_user(user.http)
    rng = seeded_random(SEARCH_SEED, "export")
    vocabulary = Vocabulary.made(seeded_random(SEARCH_SEED, "words"))
    s3 = conftest.aws_client("s3")
    bucket = notes_app.settings.bucket_name
    for i in range(EXPORTED_NOTES):
        content = vocabulary.text(rng, rng.randint(*EXPORTED_CONTENT))
        stored_note(owner.sub, content, os.urandom(FILE_BYTES) if i % FILE_EVERY == 0 else None)

    def made() -> tuple[str, float]:
        """A new export, made: its id and the seconds ``make`` took."""
        export_id: str = notes_app.exports.start(owner.sub)["exportId"]
        started = time.perf_counter()
        notes_app.exports.make(owner.sub, export_id)
        return export_id, time.perf_counter() - started

    s3_calls: Counter[str] = Counter()

    def count_s3(model: Any, **_: Any) -> None:
        s3_calls[model.name] += 1

    with hooked([notes_app.files.client], ("after-call.s3", count_s3)), dynamodb_traffic() as counted:
        export_id, first = made()
    answer = notes_app.exports.status(owner.sub, export_id)
    if answer["status"] != "ready":
        raise RuntimeError(f"the export was not made: {answer}")
    body = s3.get_object(Bucket=bucket, Key=export_key(owner.sub, export_id))["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        entries = len(archive.namelist())
    files = -(-EXPORTED_NOTES // FILE_EVERY)
    if entries != 2 * EXPORTED_NOTES + files or answer["size"] != len(body):
        raise RuntimeError(f"the export holds {entries} entries, not {2 * EXPORTED_NOTES + files}")
    times = [first, *(made()[1] for _ in range(EXPORT_RUNS - 1))]
    # Traced apart (tracing slows it): everything allocated while make ran, in every thread, the
    # emulator's share too (it answers in this process, and keeps the ZIP it was sent).
    tracemalloc.start()
    try:
        made()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    mib = 1024 * 1024
    mix = f"{EXPORTED_NOTES:,} notes of 1–10 KB, a {FILE_BYTES // 1024} KiB file on 1 in {FILE_EVERY}"
    rows.append(
        (
            f"export: Exports.make, {mix}",
            f"{statistics.median(times):.2f} s",
            f"ZIP {len(body) / mib:.1f} MiB, {entries:,} entries",
            f"median of {EXPORT_RUNS}",
        )
    )
    rows.append(
        (
            "export: peak of the Python heap during make (tracemalloc)",
            f"{peak / mib:.1f} MiB",
            f"the emulator's share in it; {held / mib:.1f} MiB still allocated when it returned",
            f"{ratio(peak, len(body))} the ZIP",
        )
    )
    operations = ", ".join(f"{counted[op]} {op}" for op in ("GetItem", "Query", "UpdateItem") if counted[op])
    s3_used = ", ".join(f"{count} {op}" for op, count in s3_calls.items())
    rows.append(
        (
            "export: calls of one make",
            f"{counted['requests']} DynamoDB, {s3_calls.total()} S3",
            f"{operations}; {s3_used}",
            "",
        )
    )


# --- 4. list cost is flat -------------------------------------------------------------------------


def list_cost(rows: list[Row]) -> None:
    import app as notes_app
    from chalicelib.shapes import utc_now

    with in_process_stack() as small:
        big = conftest.new_user(small.http)
        for owner, count in ((small.sub, 10), (big.sub, 10_000)):
            with notes_app.note_model.batch_write() as batch:
                for _ in range(count):
                    now = utc_now()
                    batch.save(
                        notes_app.note_model(
                            owner, str(uuid.uuid4()), content="x", createdAt=now, updatedAt=now
                        )
                    )
        read: dict[str, int] = {}

        def count_items(parsed: dict[str, Any], model: Any, **_: Any) -> None:
            if model.name == "Query":
                read["items"] = read.get("items", 0) + int(parsed.get("ScannedCount", 0))

        results = {}
        with hooked(
            [notes_app.note_model._get_connection().connection.client], ("after-call.dynamodb", count_items)
        ):
            for name, user in (("10 notes", small), ("10,000 notes", big)):
                read.clear()
                user.get("/notes")
                items = read["items"]
                results[name] = (median_us(partial(user.get, "/notes"), 3), items)
    (small_us, small_items), (big_us, big_items) = results["10 notes"], results["10,000 notes"]
    # DynamoDB bills a Query by the items it reads: limit + 1 at most, whatever the partition holds.
    # The emulator's Query still sorts the user's whole partition to find the page (query_ranges
    # narrows a Query to its key range, here all the user's notes), so its time is no guide to
    # DynamoDB's.
    rows.append(("list: first page, user with 10 notes", ms(small_us), f"{small_items} items read", "1.0×"))
    rows.append(
        (
            "list: first page, user with 10,000 notes",
            ms(big_us),
            f"{big_items} items read (limit 20 + 1)",
            f"{ratio(big_us, small_us)} time",
        )
    )


# --- 4b. search: per search, per note write, the index's size -----------------------------------

SEARCH_SEED = 20_240_611
SEARCHED_USERS = (1_000, 10_000)
# Two made-up words that start no other word: MATCHED notes hold both and ALONE notes one of them
# only, for either user alike: a query matching about ten notes. MATCHED more carry RARE_TAG.
RARE_WORDS = ("zephyrine", "quillwort")
MATCHED = 10
ALONE = 40
# Two more: MATCHED notes hold both and SPREAD of each user's notes one of them only, a query
# matching ten notes whose words are each common.
COMMON_PAIR = ("marram", "tussock")
SPREAD = 0.05
RARE_TAG = "tax-return"
TAGS = (
    "work home ideas todo reading travel recipes health money family "
    "projects meetings journal music garden books code shopping car school"
).split()
COMMON_WORDS = (
    "the a an and or of to in on at for with is it this that be as by from not but we you i was "
    "are have has will can if so do my our all one up out about"
).split()
MADE_UP_WORDS = 3_000
_SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"] + "ar el in on ust ing er ash".split()
_MARKS = dict(zip("aeiou", "áéíóú", strict=True))
_PLANTED = (*RARE_WORDS, *COMMON_PAIR, "emended")
# Three years of notes.
_NOTES_START_MS = 1_640_995_200_000  # 2022-01-01
_NOTES_SPAN_MS = 3 * 365 * 86_400_000
_DAY_MS = 86_400_000


@dataclass(frozen=True)
class Vocabulary:
    """Words to write notes with: common short words, then made-up ones, in Zipf's proportions."""

    words: list[str]
    cum_weights: list[float]

    @classmethod
    def made(cls, rng: random.Random) -> Vocabulary:
        found: set[str] = set()
        while len(found) < MADE_UP_WORDS:
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
            if len(word) > 2 and not word.startswith(_PLANTED) and word not in COMMON_WORDS:
                found.add(word)
        made_up = sorted(found)
        rng.shuffle(made_up)
        # One word in fifty has an accent (fold's slower path, as any note with "café" takes).
        made_up = [_marked(word) if i % 50 == 7 else word for i, word in enumerate(made_up)]
        ranked = [*COMMON_WORDS, *made_up]
        return cls(ranked, list(itertools.accumulate(1 / rank for rank in range(1, len(ranked) + 1))))

    def text(self, rng: random.Random, size: int) -> str:
        """Sentences and paragraphs of at most ``size`` UTF-8 bytes (and about that many)."""
        picked = rng.choices(self.words, cum_weights=self.cum_weights, k=size // 5 + 8)
        parts: list[str] = []
        at = 0
        while at < len(picked):
            length = rng.randint(5, 16)
            sentence = " ".join(picked[at : at + length])
            parts.append(sentence[:1].upper() + sentence[1:] + (".\n\n" if rng.random() < 0.2 else ". "))
            at += length
        text = "".join(parts).encode()[:size].decode(errors="ignore")
        return text.rsplit(" ", 1)[0] if len(text.encode()) >= size else text

    def title(self, rng: random.Random) -> str:
        picked = rng.choices(self.words, cum_weights=self.cum_weights, k=rng.randint(2, 8))
        return " ".join(picked).capitalize()


def seeded_random(*seed: object) -> random.Random:
    """The same numbers on every run, for made-up notes (no secret in them)."""
    return random.Random("-".join(map(str, seed)))  # noqa: S311


def _marked(word: str) -> str:
    """``word`` with an accent on its first vowel."""
    at = next(i for i, letter in enumerate(word) if letter in _MARKS)
    return word[:at] + _MARKS[word[at]] + word[at + 1 :]


def note_size(rng: random.Random) -> int:
    """Bytes of content as people write them: most under 2 KB, some near the 100 KB limit
    (room left for a planted word or two)."""
    draw = rng.random()
    if draw < 0.80:
        return rng.randint(100, 2_000)
    if draw < 0.98:
        return rng.randint(2_000, 20_000)
    return rng.randint(60_000, 99_900)


def _with_words(rng: random.Random, text: str, added: list[str]) -> str:
    """``text`` with each of ``added`` put between two of its words."""
    parts = text.split(" ")
    for word in added:
        parts.insert(rng.randint(0, len(parts)), word)
    return " ".join(parts)


def _uuid7(ms: int, rng: random.Random) -> str:
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def _iso_ms(ms: int) -> str:
    from datetime import UTC, datetime

    from chalicelib.shapes import iso_time

    return iso_time(datetime.fromtimestamp(ms / 1000, UTC))


def seeded_notes(model: Any, owner: str, count: int, vocabulary: Vocabulary) -> list[Any]:
    """``count`` notes of ``owner``, the same on every run, made over three years, a few tags each.

    MATCHED hold both RARE_WORDS, ALONE each one of them and MATCHED carry RARE_TAG: these notes
    are alike for every ``count`` (their sizes too), so two users' searches of them differ only by
    the rest. MATCHED hold both COMMON_PAIR words and SPREAD of the notes each one of them.
    """
    from chalicelib.validation import MAX_CONTENT_BYTES

    rng = seeded_random(SEARCH_SEED, count)
    alike = seeded_random(SEARCH_SEED, "alike")
    first, second = RARE_WORDS
    planted: list[list[str]] = [[first, second]] * MATCHED + [[first]] * ALONE + [[second]] * ALONE
    planted += [[]] * MATCHED  # the tagged ones
    rare = [
        (vocabulary.title(alike), _with_words(alike, vocabulary.text(alike, note_size(alike)), words))
        for words in planted
    ]
    spread = round(count * SPREAD)
    common = [list(COMMON_PAIR)] * MATCHED + [[COMMON_PAIR[0]]] * spread + [[COMMON_PAIR[1]]] * spread
    places = rng.sample(range(count), len(rare) + len(common))
    rare_at = dict(zip(places, rare, strict=False))
    tagged = set(places[len(rare) - MATCHED : len(rare)])
    common_at = dict(zip(places[len(rare) :], common, strict=False))
    step = _NOTES_SPAN_MS // count
    notes = []
    for i in range(count):
        created = _NOTES_START_MS + i * step + rng.randrange(step)
        updated = created if rng.random() < 0.6 else created + rng.randrange(60 * _DAY_MS)
        if i in rare_at:
            title, content = rare_at[i]
        else:
            title, content = vocabulary.title(rng), vocabulary.text(rng, note_size(rng))
            if i in common_at:
                content = _with_words(rng, content, common_at[i])
        tags = rng.sample(TAGS, rng.choice((0, 1, 1, 2, 3)))
        if i in tagged:
            tags = [*tags[:2], RARE_TAG]
        if len(content.encode()) > MAX_CONTENT_BYTES:
            raise RuntimeError(f"a seeded note is {len(content.encode()):,} bytes")
        note = model(owner, _uuid7(created, rng), title=title, content=content, tags=tags, uploads={})
        note.createdAt, note.updatedAt, note.version = _iso_ms(created), _iso_ms(updated), 1
        notes.append(note)
    return notes


def item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it (names and values; a list or map 3 bytes more, and
    1 a member), from its wire form."""

    def value_bytes(value: dict[str, Any]) -> int:
        ((kind, held),) = value.items()
        if kind in ("S", "N"):
            return len(str(held).encode())
        if kind == "L":
            return 3 + sum(1 + value_bytes(member) for member in held)
        if kind == "M":
            return 3 + sum(1 + len(name.encode()) + value_bytes(member) for name, member in held.items())
        return 1

    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


@dataclass
class SeededIndex:
    entries: int = 0
    bytes: int = 0


def seed_index(table_name: str, region: str, notes: list[Any]) -> SeededIndex:
    """Every entry ``SearchIndex.rebuild`` writes for ``notes`` (``note_entries`` of each), put
    straight into the emulator's table.

    Through the emulator's API it takes too long: rebuild() puts the 266,000 entries of 1,000 notes
    in 31 s here (BatchWriteItem, 25 entries a request), so 10,000 notes would take over 5 minutes
    (and a rebuild over an index already full reads it in pages of which each sorts the whole
    partition: 5 minutes for 1,000 notes). So the items are made as the emulator's put makes them,
    before any Query of the table (``query_ranges`` learns a partition's order at its first one).
    """
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    from chalicelib.search import note_entries
    from local_stack.streams import DEFAULT_ACCOUNT

    table = dynamodb_backends[DEFAULT_ACCOUNT][region].get_table(table_name)
    seeded = SeededIndex()
    for note in notes:
        owner = DynamoType({"S": note.userId})
        partition = table.items[owner]
        owner_bytes = len("userId") + len(note.userId.encode()) + len("entry")
        for entry in note_entries(note):
            key = DynamoType({"S": entry})
            item = object.__new__(Item)
            item.hash_key, item.range_key = owner, key
            item.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
            dict.update(item.attrs, userId=owner, entry=key)
            partition[key] = item
            seeded.entries += 1
            seeded.bytes += owner_bytes + len(entry.encode())
    return seeded


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


def _timed_us(fn: Callable[[], Any], budget_us: float = 300_000) -> float:
    """Median microseconds per call, about ``budget_us`` a run (one call at least)."""
    started = time.perf_counter()
    fn()
    first = (time.perf_counter() - started) * 1e6
    return median_us(fn, max(1, int(budget_us / max(first, 1))))


def _reads(counted: Counter[str]) -> str:
    operations = ", ".join(
        f"{counted[op]} {op}" for op in ("GetItem", "Query", "BatchGetItem") if counted[op]
    )
    return (
        f"{counted['requests']} requests ({operations}), {counted['items']:,} items, "
        f"{counted['bytes'] / 1024:,.0f} KiB answered"
    )


def _searched(user: Any, path: str, expected: int, more: bool) -> tuple[float, Counter[str]]:
    """Time and cost of one search, its answer checked: ``expected`` notes, a next page or not."""
    answer = user.get(path)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path} failed: {answer.body!r}")
    page = answer.json_body
    if len(page["notes"]) != expected or (page["nextCursor"] is not None) != more:
        raise RuntimeError(f"GET {path} found {len(page['notes'])} notes, not {expected}")
    with dynamodb_traffic() as counted:
        user.get(path)
    return _timed_us(partial(user.get, path)), counted


def search_cost(rows: list[Row]) -> None:
    """Searches of a user with 1,000 notes and of one with 10,000, the index's size, and what the
    index adds to a note's write."""
    import app as notes_app
    from local_stack.streams import StreamFeeder

    settings = notes_app.settings
    vocabulary = Vocabulary.made(seeded_random(SEARCH_SEED, "words"))
    with in_process_stack() as first:
        small_count, big_count = SEARCHED_USERS
        users = {small_count: first, big_count: conftest.new_user(first.http)}
        sizes: dict[int, tuple[SeededIndex, int]] = {}
        for count, user in users.items():
            notes = seeded_notes(notes_app.note_model, user.sub, count, vocabulary)
            with notes_app.note_model.batch_write() as batch:
                for note in notes:
                    batch.save(note)
            notes_bytes = sum(item_bytes(note.serialize()) for note in notes)
            sizes[count] = (seed_index(settings.search_table_name, settings.region, notes), notes_bytes)
        # The seeding's stream records are the index seeded above: handed to no indexer.
        StreamFeeder(settings.table_name, settings.region, lambda _: None).deliver()

        # Times are the emulator's: its Query sorts the whole key range it is given (all of a
        # user's u# entries, for sort=updated) where DynamoDB reads from the page's start; the
        # requests and items read are DynamoDB's own.
        rare = "%20".join(RARE_WORDS)
        searches = [
            (f"q matching {MATCHED} notes", f"/notes?q={rare}", MATCHED, False),
            (
                f"q matching {MATCHED} notes, each word in {SPREAD:.0%} of notes",
                f"/notes?q={'%20'.join(COMMON_PAIR)}",
                MATCHED,
                False,
            ),
            (f"tag on {MATCHED} notes", f"/notes?tag={RARE_TAG}", MATCHED, False),
            ("sort=updated, first page of 20", "/notes?sort=updated", 20, True),
            # A word in nearly every note: a page reads what it shows, not every match.
            ("q=the, sort=updated, first page of 20", "/notes?q=the&sort=updated", 20, True),
            # Half the alphabet, x among it (no word starts with x): the rare word ends it.
            (
                "q of 13 one-letter words, no result, sort=updated",
                f"/notes?q={'%20'.join('nopqrstuvwxyz')}&sort=updated",
                0,
                False,
            ),
        ]
        for name, path, expected, more in searches:
            (small_us, small), (big_us, big) = (
                _searched(user, path, expected, more) for user in users.values()
            )
            rows.append(
                (f"search: {name}, user with {small_count:,} notes", ms(small_us), _reads(small), "1.0×")
            )
            rows.append(
                (
                    f"search: {name}, user with {big_count:,} notes",
                    ms(big_us),
                    _reads(big),
                    f"{ratio(big_us, small_us)} time, {ratio(big['items'], small['items'])} reads"
                    " (goal ≤ 1.5)",
                )
            )
        index_size(rows, sizes)
        index_cost(rows, first, vocabulary)
        deletion_cost(rows, [users[count] for count in DELETED_USERS])


def index_size(rows: list[Row], sizes: dict[int, tuple[SeededIndex, int]]) -> None:
    """Entries and bytes of the index per 1,000 notes, against the notes' own bytes."""
    per = {
        count: (index.entries * 1000 / count, index.bytes * 1000 / count, notes * 1000 / count)
        for count, (index, notes) in sizes.items()
    }
    (small_entries, small_bytes, small_notes), (big_entries, big_bytes, big_notes) = per.values()
    mib = 1024 * 1024
    rows.append(
        (
            "index: entries per 1,000 notes (users with {:,} / {:,})".format(*sizes),
            f"{small_entries:,.0f} / {big_entries:,.0f}",
            f"{small_entries / 1000:,.0f} a note",
            "",
        )
    )
    rows.append(
        (
            "index: size per 1,000 notes (names + values)",
            f"{small_bytes / mib:.1f} / {big_bytes / mib:.1f} MiB",
            f"the notes themselves {small_notes / mib:.1f} / {big_notes / mib:.1f} MiB",
            f"{ratio(small_bytes, small_notes)} / {ratio(big_bytes, big_notes)}",
        )
    )
    # DynamoDB bills 100 bytes more an item stored.
    small_billed, big_billed = small_bytes + 100 * small_entries, big_bytes + 100 * big_entries
    small_notes, big_notes = small_notes + 100_000, big_notes + 100_000  # a note an item
    rows.append(
        (
            "index: storage billed per 1,000 notes (+100 B an item)",
            f"{small_billed / mib:.1f} / {big_billed / mib:.1f} MiB",
            f"the notes themselves {small_notes / mib:.1f} / {big_notes / mib:.1f} MiB",
            f"{ratio(small_billed, small_notes)} / {ratio(big_billed, big_notes)}",
        )
    )


def _calls(calls: list[tuple[str, dict[str, Any]]]) -> str:
    """DynamoDB calls as a row shows them: "1 conditional PutItem"."""
    named = [f"{'conditional ' if 'ConditionExpression' in params else ''}{op}" for op, params in calls]
    return ", ".join(f"{named.count(name)} {name}" for name in dict.fromkeys(named))


def _indexed(event: dict[str, Any]) -> tuple[int, int, float, float]:
    """What the indexer function does with a batch: entries written, BatchWriteItem requests, its
    time, and the time of finding the entries alone (no writes)."""
    import app as notes_app

    with dynamodb_traffic() as counted:
        done = notes_app.index_notes(event, None)
    # Given again, a batch writes the same entries (as Lambda retries one): the same work each time.
    indexer_us = _timed_us(partial(notes_app.index_notes, event, None))
    finding_us = _timed_us(partial(notes_app.search_index.changes, event["Records"]))
    return done["put"] + done["deleted"], counted["BatchWriteItem"], indexer_us, finding_us


def index_cost(rows: list[Row], user: Any, vocabulary: Vocabulary) -> None:
    """What the index adds to a note's write: a create and an edit of one word, of a 1 KB and a
    100 KB note, as the stream hands them to the indexer function (``app.index_notes``)."""
    import app as notes_app
    from local_stack.streams import StreamFeeder

    settings = notes_app.settings
    batches: list[dict[str, Any]] = []
    feeder = StreamFeeder(settings.table_name, settings.region, batches.append)
    feeder.deliver()
    batches.clear()

    def delivered() -> dict[str, Any]:
        feeder.deliver()
        (event,) = batches
        batches.clear()
        return event

    found: dict[str, list[tuple[int, int, float, float]]] = {"create": [], "edit": []}
    api_writes: dict[str, set[str]] = {"create": set(), "edit": set()}

    def measured(kind: str, status: int, send: Callable[[], Any]) -> Any:
        with recorded_dynamodb_calls() as calls:
            response = send()
        if response.status_code != status:
            raise RuntimeError(f"a note's {kind} failed: {response.body!r}")
        api_writes[kind].add(_calls(calls))
        found[kind].append(_indexed(delivered()))
        return response

    rng = seeded_random(SEARCH_SEED, "writes")
    for size in (1_000, 99_900):
        content = vocabulary.text(rng, size)
        fields = {"title": vocabulary.title(rng), "content": content, "tags": ["work", "ideas"]}
        created = measured("create", 201, partial(user.post, "/notes", fields))
        parts = content.split(" ")
        parts[len(parts) // 2] = "emended"  # a word no note holds, for one in the middle
        path = f"/notes/{created.json_body['noteId']}"
        measured("edit", 200, partial(user.put, path, {**fields, "content": " ".join(parts)}))
    for kind, label in (("create", "note create"), ("edit", "edit of one word")):
        (
            (small_entries, small_requests, small_us, small_finding),
            (big_entries, big_requests, big_us, big_finding),
        ) = found[kind]
        rows.append(
            (
                f"index: entries written per {label} (1 KB / 100 KB note)",
                f"{small_entries:,} / {big_entries:,}",
                f"the API's own write unchanged: {' or '.join(sorted(api_writes[kind]))}",
                "",
            )
        )
        rows.append(
            (
                f"index: BatchWriteItem requests per {label} (1 KB / 100 KB)",
                f"{small_requests} / {big_requests}",
                "25 entries a request",
                "",
            )
        )
        rows.append(
            (
                f"index: indexer time per {label} (1 KB / 100 KB, one record)",
                f"{ms(small_us)} / {ms(big_us)}",
                f"finding the entries alone {ms(small_finding)} / {ms(big_finding)}",
                "",
            )
        )


# --- 4c. deleting an account ------------------------------------------------------------------------

DELETED_FILES = 5
# Users of the search rows whose accounts are deleted (after the search rows): with 260 search
# entries a note, the one with 10,000 notes holds some 2.6 million items.
DELETED_USERS = (1_000, 10_000)


class _Body(io.BytesIO):
    """An answer's body as botocore reads one."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


class KeysAnswered:
    """Each Query of a partition's keys and each BatchWriteItem of deletions answered in the
    bench's process from the keys the emulator's tables hold (``answering``), and the emulator's
    partitions emptied as DynamoDB's would be when it ends (untimed).

    Through the emulator an account's deletion takes too long to measure the function: its
    answer to a Query costs it about 0.6 ms an item (its response serializer) and its delete some
    75 µs more, and a deletion sends a Query for each 1,000 keys and a BatchWriteItem for each 25:
    14,633 search entries took 28 s here, so the 2.6 million of 10,000 notes would take over an
    hour. Here botocore still validates and builds each request and parses each answer (only
    signing and sending are skipped), and the answers are DynamoDB's: a page of at most ``Limit``
    keys in key order, with a LastEvaluatedKey whenever it is full. Anything else (a Query of whole
    items, an UpdateItem) goes to the emulator as usual. One call at a time, as the emulator's own
    server answers them.
    """

    def __init__(self) -> None:
        import threading

        from botocore.parsers import create_parser
        from moto.dynamodb.models import dynamodb_backends

        import app as notes_app
        from local_stack.streams import DEFAULT_ACCOUNT

        self._backend = dynamodb_backends[DEFAULT_ACCOUNT][notes_app.settings.region]
        self._partitions: dict[tuple[str, str], Any] = {}
        self._deleted: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()
        self._parser = create_parser("json")

    @contextmanager
    def answering(self) -> Iterator[None]:
        events = [client.meta.events for client in dynamodb_clients()]
        for registered in events:
            for operation in ("Query", "BatchWriteItem"):
                registered.register_first(f"before-call.dynamodb.{operation}", self._answer)
        try:
            yield
        finally:
            for registered in events:
                for operation in ("Query", "BatchWriteItem"):
                    registered.unregister(f"before-call.dynamodb.{operation}", self._answer)
            self._empty_partitions()

    def _answer(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        asked = json.loads(params["body"])
        with self._lock:
            answered = self._query(asked) if model.name == "Query" else self._batch_write(asked)
        if answered is None:
            return None
        body = json.dumps(answered).encode()
        http = AWSResponse(params["url"], 200, {}, _Body(body))
        return http, self._parser.parse({"status_code": 200, "headers": {}, "body": body}, model.output_shape)

    def _keys(self, table: Any, owner: str) -> Any:
        from moto.dynamodb.models.dynamo_type import DynamoType
        from sortedcontainers import SortedList

        found = self._partitions.get((table.name, owner))
        if found is None:
            stored = table.items.get(DynamoType({"S": owner})) or {}
            found = self._partitions[(table.name, owner)] = SortedList(key.value for key in stored)
        return found

    def _query(self, asked: dict[str, Any]) -> dict[str, Any] | None:
        table = self._backend.get_table(asked["TableName"])
        names = asked.get("ExpressionAttributeNames", {})
        condition = asked.get("KeyConditionExpression", "").split(" = ")
        projection = asked.get("ProjectionExpression", "").split(",")
        hash_name, range_name = table.hash_key_attr, table.range_key_attr
        simple = (
            not {"IndexName", "FilterExpression"} & asked.keys()
            and asked.get("ScanIndexForward") is not False
        )
        if (
            not simple
            or len(condition) != 2
            or names.get(condition[0]) != hash_name
            or {names.get(name.strip(), name.strip()) for name in projection} != {hash_name, range_name}
        ):
            return None
        owner = asked["ExpressionAttributeValues"][condition[1]]["S"]
        found = self._keys(table, owner)
        start = (asked.get("ExclusiveStartKey") or {}).get(range_name, {}).get("S")
        at = found.bisect_right(start) if start is not None else 0
        limit = int(asked["Limit"])
        items = [{hash_name: {"S": owner}, range_name: {"S": key}} for key in found.islice(at, at + limit)]
        answer: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
        if len(items) == limit:
            answer["LastEvaluatedKey"] = items[-1]
        return answer

    def _batch_write(self, asked: dict[str, Any]) -> dict[str, Any] | None:
        requests = asked["RequestItems"]
        if any("DeleteRequest" not in request for sent in requests.values() for request in sent):
            return None
        for table_name, sent in requests.items():
            table = self._backend.get_table(table_name)
            for request in sent:
                key = request["DeleteRequest"]["Key"]
                owner, item = key[table.hash_key_attr]["S"], key[table.range_key_attr]["S"]
                self._keys(table, owner).discard(item)
                self._deleted.setdefault((table_name, owner), []).append(item)
        return {"UnprocessedItems": {}}

    def _empty_partitions(self) -> None:
        """What was deleted, deleted from the emulator's tables too."""
        from moto.dynamodb.models.dynamo_type import DynamoType

        for (table_name, owner), gone in self._deleted.items():
            stored = self._backend.get_table(table_name).items.get(DynamoType({"S": owner})) or {}
            if not self._partitions[(table_name, owner)]:
                stored.clear()
            else:
                for item in gone:
                    stored.pop(DynamoType({"S": item}), None)


def _held(user: Any) -> dict[str, tuple[int, int]]:
    """What the user holds in each table of the emulator: (items, write units to delete them, 1 a
    KB of each; a search entry is one, under 1 KB)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    import app as notes_app
    from chalicelib.account import DELETED_ITEM, SWEEP_ITEM
    from local_stack.streams import DEFAULT_ACCOUNT

    settings = notes_app.settings
    backend = dynamodb_backends[DEFAULT_ACCOUNT][settings.region]
    tables = {
        "notes": settings.table_name,
        "trash": settings.trash_table_name,
        "searchEntries": settings.search_table_name,
        "exports": settings.account_table_name,
    }
    held = {}
    for kind, name in tables.items():
        stored = backend.get_table(name).items.get(DynamoType({"S": user.sub})) or {}
        # The account's tombstone stays (it refuses the account's tokens), and the deletion writes its
        # sweep (which runs it once more, for uploads landing late, when the TTL removes it).
        items = [item for key, item in stored.items() if key.value not in (DELETED_ITEM, SWEEP_ITEM)]
        if kind == "searchEntries":
            held[kind] = (len(items), len(items))
        else:
            sizes = [item_bytes(item.to_json()["Attributes"]) for item in items]
            held[kind] = (len(items), sum(-(-size // 1024) for size in sizes))
    return held


def _carried_out(user: Any) -> tuple[float, dict[str, int], Counter[str], Counter[str]]:
    """One account's deletion, timed: seconds, what it deleted by kind, its DynamoDB requests
    (``dynamodb_traffic``) and its other calls ("s3 DeleteObjects", "cognito-idp AdminDeleteUser")."""
    import app as notes_app

    others: Counter[str] = Counter()

    def count_other(model: Any, **_: Any) -> None:
        others[f"{model.service_model.service_name} {model.name}"] += 1

    other_clients = [notes_app.files.client, notes_app.deletion._cognito_client()]
    with hooked(other_clients, ("after-call", count_other)):
        with KeysAnswered().answering(), dynamodb_traffic() as counted:
            started = time.perf_counter()
            deleted = notes_app.deletion.carry_out(user.sub)
            seconds = time.perf_counter() - started
    return seconds, deleted, counted, others


def deletion_cost(rows: list[Row], users: list[Any]) -> None:
    """``AccountDeletion.carry_out`` (what the jobs function does after DELETE /me) for the users
    the search rows seeded, each with a few files: its time, its requests, the write units
    DynamoDB bills for the items it deletes."""
    import app as notes_app
    from chalicelib.storage_layout import FILES_PREFIX

    s3 = conftest.aws_client("s3")
    bucket = notes_app.settings.bucket_name
    for user in users:
        for _ in range(DELETED_FILES):
            key = f"{FILES_PREFIX}{user.sub}/{uuid7()}/{uuid7()}"
            s3.put_object(Bucket=bucket, Key=key, Body=b"x" * 1024)
        # Recorded as DELETE /me records it: the account's tombstone, which the deletion keeps.
        notes_app.deletion.request(user.sub, user.email, user.email)
        held = _held(user)
        seconds, deleted, counted, others = _carried_out(user)
        expected = {kind: items for kind, (items, _) in held.items()} | {"objects": DELETED_FILES}
        left = {kind: items for kind, (items, _) in _held(user).items() if items}
        if any(deleted.get(kind) != number for kind, number in expected.items()) or left:
            raise RuntimeError(f"the deletion deleted {deleted}, not {expected}; left {left}")
        notes, entries = held["notes"][0], held["searchEntries"][0]
        used = ("Query", "BatchWriteItem", "GetItem", "UpdateItem", "PutItem")
        operations = ", ".join(f"{counted[op]:,} {op}" for op in used if counted[op])
        s3_calls = sum(n for name, n in others.items() if name.startswith("s3 "))
        user_is = f"user with {notes:,} notes"
        rows.append(
            (
                f"account deletion: carry_out, {user_is} ({entries:,} search entries)",
                f"{seconds:.1f} s",
                f"{DELETED_FILES} files too; the keys answered directly",
                f"{notes / seconds:,.0f} notes/s",
            )
        )
        rows.append(
            (
                f"account deletion: DynamoDB requests, {user_is}",
                f"{counted['requests']:,}",
                operations,
                f"S3 {s3_calls}, Cognito {others['cognito-idp AdminDeleteUser']}",
            )
        )
        rows.append(
            (
                f"account deletion: items deleted, {user_is}",
                f"{sum(items for items, _ in held.values()):,}",
                f"{sum(units for _, units in held.values()):,} WCU (1 a KB of each)",
                "",
            )
        )


# --- 5. token verification ------------------------------------------------------------------------


def token_verification(rows: list[Row], user: Any) -> None:
    import jwt

    import app as notes_app
    from local_stack import gateway_auth
    from tests.tokens import TokenFactory, in_process_pool_key

    verifier = gateway_auth._VERIFIERS[notes_app.app]
    verifier.verify(user.token)  # warm the key cache
    number = 300
    # Tokens the verifier has not seen, signed with the emulated pool's key.
    settings = notes_app.settings
    key = in_process_pool_key(settings.user_pool_id, settings.region)
    factory = TokenFactory(gateway_auth.issuer(settings), settings.app_client_ids[0], key)
    unseen = iter([factory.id_token() for _ in range(number * REPEATS)])

    def stock_decode() -> Any:
        # What Chalice's local gateway does: base64-decode the payload, check nothing.
        payload = user.token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    decode = median_us(stock_decode, 2000)
    unverified = median_us(lambda: jwt.decode(user.token, options={"verify_signature": False}), 2000)
    first = median_us(lambda: verifier.verify(next(unseen)), number)
    again = median_us(lambda: verifier.verify(user.token), 2000)
    # Scoped mode's check: an access token carrying one of the route's scopes.
    scopes = ["notes/read"]
    granted = "openid notes/read notes/write"
    unseen_access = iter([factory.access_token(granted) for _ in range(number * REPEATS)])
    first_access = median_us(lambda: verifier.verify(next(unseen_access), scopes), number)
    rows.append(("token: decode only, no checks (stock local gateway)", ms(decode), "baseline", "1.0×"))
    rows.append(
        ("token: PyJWT decode, no verification", ms(unverified), "vs stock", ratio(unverified, decode))
    )
    rows.append(("token: full check, a token not seen before", ms(first), "vs stock", ratio(first, decode)))
    rows.append(("token: full check, the same token again", ms(again), "vs stock", ratio(again, decode)))
    rows.append(
        (
            "token: full check, an access token not seen before (scoped route)",
            ms(first_access),
            "vs an ID token",
            ratio(first_access, first),
        )
    )
    rows.append(("token: JWKS fetches in this whole run", str(verifier.keys.fetches), "", ""))


# --- 5b. the local stack: idle cost, start-up with saved data, the saved state's size ----------

IDLE_SECONDS = 10.0
SAVED_USERS = 100
NOTES_PER_USER = 10
START_REPEATS = 3


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _stack_pids(stack: Any) -> list[int]:
    from tests.stack import processes_mentioning

    found = {int(line.split(":", 1)[0]) for line in processes_mentioning(f"--port {stack.port}")}
    return sorted(found | {stack.process.pid})


def _seconds_to_ready(folder: Path) -> float:
    from tests.stack import running_stack

    started = time.monotonic()
    with running_stack(folder) as stack:
        ready = time.monotonic() - started
        stack.printed("Ctrl-C stops everything")
        stack.interrupt()
    return ready


def _fill(stack: Any) -> None:
    """SAVED_USERS users with NOTES_PER_USER notes each, through the API."""
    import requests

    for n in range(SAVED_USERS):
        token = stack.id_token(f"bench-{n}-{uuid.uuid4().hex[:6]}@example.com")
        for i in range(NOTES_PER_USER):
            response = requests.post(
                f"{stack.facts.api_url}/notes",
                json={"title": f"note {i}", "content": "a note of a few words " * 4, "tags": ["bench"]},
                headers={"Authorization": token},
                timeout=10,
            )
            if response.status_code != 201:
                raise RuntimeError(f"filling the stack failed: {response.text}")


def local_stack(rows: list[Row]) -> None:
    from tests.stack import running_stack

    with tempfile.TemporaryDirectory() as scratch:
        empty, saved = Path(scratch) / "empty", Path(scratch) / "saved"
        empty.mkdir()
        saved.mkdir()
        with running_stack(saved) as stack:
            stack.printed("Ctrl-C stops everything")
            pids = _stack_pids(stack)
            before = _cpu_seconds(pids)
            time.sleep(IDLE_SECONDS)
            idle = (_cpu_seconds(pids) - before) / IDLE_SECONDS
            _fill(stack)
            stack.interrupt()
        size = (saved / "state.pickle").stat().st_size
        empty_starts, saved_starts = [], []
        for _ in range(START_REPEATS):  # interleaved; the empty folder is emptied before each start
            for state in empty.glob("state.pickle*"):
                state.unlink()
            empty_starts.append(_seconds_to_ready(empty))
            saved_starts.append(_seconds_to_ready(saved))
    cold, warm = statistics.median(empty_starts), statistics.median(saved_starts)
    rows.append(
        ("make run: CPU while idle, over 10 s (all its processes)", f"{idle * 100:.2f}%", "of one core", "")
    )
    rows.append(("make run: start to a healthy API, nothing saved", f"{cold:.2f} s", "baseline", "1.0×"))
    data = f"{SAVED_USERS} users, {SAVED_USERS * NOTES_PER_USER:,} notes"
    rows.append(
        (
            f"make run: start to a healthy API, {data} saved",
            f"{warm:.2f} s",
            f"{warm - cold:+.2f} s for the saved data",
            ratio(warm, cold),
        )
    )
    rows.append((f"make run: saved state, {data}", f"{size / 1024:,.0f} KiB", "", ""))


# --- 5b''. the local stack: from a write to the note found by search ------------------------------

FOUND_TRIES = 20
FOUND_POLL_SECONDS = 0.01
FOUND_PROMISED_MS = 2_000


def write_to_found(rows: list[Row]) -> None:
    """make run: a note made with a word of its own, then ``GET /notes?q=<word>`` every 10 ms until
    the search finds it (the stack's feeder hands the stream to the indexer, as Lambda would)."""
    from tests.stack import new_user, running_stack

    delays: list[float] = []
    with tempfile.TemporaryDirectory() as scratch, running_stack(Path(scratch)) as stack:
        user = new_user(stack, "bench")
        for attempt in range(FOUND_TRIES + 1):  # the first warms the API and the user's token
            word = f"found{uuid.uuid4().hex}"
            user.create_note(f"a note holding {word} and a few other words")
            written = time.perf_counter()
            while True:
                answer = user.call("GET", f"/notes?q={word}")
                if answer.status_code != 200:
                    raise RuntimeError(f"search failed: {answer.text}")
                if answer.json()["notes"]:
                    break
                if time.perf_counter() - written > 30:
                    raise RuntimeError(f"a new note was not found by search within 30 s: {word}")
                time.sleep(FOUND_POLL_SECONDS)
            if attempt:
                delays.append((time.perf_counter() - written) * 1000)
        stack.interrupt()
    rows.append(
        (
            "make run: from a note's write to the search finding it",
            f"{statistics.median(delays):.0f} ms",
            f"promised: {FOUND_PROMISED_MS:,} ms",
            f"max {max(delays):.0f} ms of {FOUND_TRIES}",
        )
    )


# --- 5b'. scoped mode: a sign-in through the pool's local endpoints ------------------------------

SIGN_INS = 20


def scoped_sign_in(rows: list[Row]) -> None:
    """make run SCOPED=1: authorize (the sign-in page, its form) and the token endpoint, as a browser
    runs them, then the API's first request with the new access token."""
    import requests

    from tests.stack import TIMEOUT, SignIn, new_user, running_stack

    with tempfile.TemporaryDirectory() as scratch, running_stack(Path(scratch), "SCOPED=1") as stack:
        user = new_user(stack, "bench")
        SignIn(stack).tokens(user.email)  # warm: the first page, the first token
        sign_ins, first_calls = [], []
        for _ in range(SIGN_INS):
            started = time.perf_counter()
            tokens = SignIn(stack).tokens(user.email)
            signed_in = time.perf_counter()
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            answer = requests.get(f"{stack.facts.api_url}/notes", headers=headers, timeout=TIMEOUT)
            if answer.status_code != 200:
                raise RuntimeError(f"the scoped stack refused its own access token: {answer.text}")
            first_calls.append(time.perf_counter() - signed_in)
            sign_ins.append(signed_in - started)
        stack.interrupt()
    rows.append(
        (
            "scoped sign-in: authorize page, form, token (local endpoints)",
            ms(statistics.median(sign_ins) * 1e6),
            f"median of {SIGN_INS}",
            "",
        )
    )
    rows.append(
        (
            "scoped: first GET /notes with a new access token (HTTP)",
            ms(statistics.median(first_calls) * 1e6),
            f"median of {SIGN_INS}",
            "",
        )
    )


# --- 5c. the web app in headless Chromium ---------------------------------------------------------


def web_app(rows: list[Row]) -> None:
    from bench.web import web_rows
    from tests.stack import running_stack

    with tempfile.TemporaryDirectory() as scratch, running_stack(Path(scratch)) as stack:
        rows.extend(web_rows(stack))
        stack.interrupt()


# --- 6. package size ------------------------------------------------------------------------------


def package_size(rows: list[Row], packages: dict[str, Unpacked]) -> None:
    built, sources = packages["compiled"].built, packages["sources"].built
    kib = 1024
    code = f"app's own code {built.app_code_bytes / kib:.0f} KiB"
    rows.append(
        (
            "Lambda zip (make package)",
            f"{built.zip_bytes / kib:.0f} KiB",
            code,
            ratio(built.zip_bytes, built.app_code_bytes),
        )
    )
    rows.append(
        (
            "Lambda zip, sources only",
            f"{sources.zip_bytes / kib:.0f} KiB",
            code,
            ratio(sources.zip_bytes, built.app_code_bytes),
        )
    )
    rows.append(
        (
            "Lambda zip as chalice builds it",
            f"{built.chalice_zip_bytes / kib:.0f} KiB",
            "with boto3/botocore",
            "",
        )
    )


def print_table(rows: list[Row]) -> None:
    header = ("measure", "median", "baseline", "ratio")
    widths = [max(len(row[i]) for row in [*rows, header]) for i in range(4)]
    line = " | ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


def main() -> None:
    import contextlib
    import io

    rows: list[Row] = []
    # The app's request lines go to standard output: measured, not shown.
    with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(io.StringIO()):
        packages = unpacked_packages(Path(scratch))  # built once, for cold starts and sizes
        cold_start(rows, packages)
        own_modules(rows, packages)
        memory(rows, packages)
        with in_process_stack() as user:
            requests_and_calls(rows, user)
            attachments(rows, user)
            logging_cost(rows, user)
            trash_cost(rows, user)
            export_cost(rows, user)
            token_verification(rows, user)
        list_cost(rows)
        search_cost(rows)
        local_stack(rows)
        write_to_found(rows)
        scoped_sign_in(rows)
        web_app(rows)
        package_size(rows, packages)
    print_table(rows)


if __name__ == "__main__":
    main()
