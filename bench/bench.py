"""Benchmarks of the notes API; prints a table. Run with ``make bench``.

Everything runs on this machine against the emulated AWS (in-process); nothing
leaves it. Times are medians of repeated runs; each row compares the product
with a baseline measured in the same run, as a ratio.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
def in_process_stack() -> Iterator[Any]:
    from chalice.test import Client
    from moto import mock_aws

    import app as notes_app
    from infra import description
    from local_stack.provisioning import provision

    with mock_aws():
        provision(
            conftest.STAGE,
            conftest.aws_client("cognito-idp"),
            conftest.aws_client("dynamodb"),
            conftest.aws_client("s3"),
        )
        dynamodb = conftest.aws_client("dynamodb")
        dynamodb.delete_table(TableName=description.table_name(conftest.STAGE))
        dynamodb.create_table(**description.table(conftest.STAGE))
        http = Client(notes_app.app, stage_name=conftest.STAGE, project_dir=str(conftest.ROOT)).http
        yield conftest.new_user(http)


# --- 2. per-request overhead and 3. DynamoDB calls per route -----------------------------------


def replay(dynamodb: Any, call: tuple[str, dict[str, Any]], note_ids: Iterator[str] | None = None) -> Any:
    """Send the app's own DynamoDB call again with boto3; a write that makes or removes a note
    is pointed at the next of ``note_ids``.

    Only the re-pointed key is copied: a deep copy per call would be timed with the baseline."""
    operation, params = call
    if note_ids is not None:
        field = "Item" if "Item" in params else "Key"
        params = {**params, field: {**params[field], "noteId": {"S": next(note_ids)}}}
    return getattr(dynamodb, xform_name(operation))(**params)


def requests_and_calls(rows: list[Row], user: Any) -> None:
    from chalicelib.shapes import utc_now

    dynamodb = conftest.aws_client("dynamodb")
    note_id = user.create(content="bench")["noteId"]
    # The emulator's Query walks every item of the table: the listing is timed first, for a user
    # of its own, before the other cases add their notes.
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
        with conftest.recorded_dynamodb_calls() as calls:
            response = through_api()
        if response.status_code >= 300:
            raise RuntimeError(f"{name} failed: {response.body!r}")
        counts.append((name, [operation for operation, _ in calls]))
        (call,) = calls  # every route is one DynamoDB call; the row below shows it
        api_us, direct_us = paired_us(through_api, partial(replay, dynamodb, call, note_ids), n)
        rows.append(
            (
                f"request: {name}",
                ms(api_us),
                f"its {call[0]} alone {ms(direct_us)}",
                f"{ratio(api_us, direct_us)} ({'+' if api_us >= direct_us else ''}{ms(api_us - direct_us)})",
            )
        )

    with conftest.recorded_dynamodb_calls() as calls:
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

    events = notes_app.notes._files.client.meta.events
    events.register("before-parameter-build.s3", record_params)
    events.register("before-call.s3", record_call)
    try:
        with conftest.recorded_dynamodb_calls() as dynamodb_calls:
            yield found
        found.extend(("dynamodb", operation, params) for operation, params in dynamodb_calls)
    finally:
        events.unregister("before-parameter-build.s3", record_params)
        events.unregister("before-call.s3", record_call)


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

        events = notes_app.note_model._get_connection().connection.client.meta.events
        events.register("after-call.dynamodb", count_items)
        results = {}
        for name, user in (("10 notes", small), ("10,000 notes", big)):
            read.clear()
            user.get("/notes")
            items = read["items"]
            results[name] = (median_us(partial(user.get, "/notes"), 3), items)
        events.unregister("after-call.dynamodb", count_items)
    (small_us, small_items), (big_us, big_items) = results["10 notes"], results["10,000 notes"]
    # DynamoDB bills a Query by the items it reads: limit + 1 at most, whatever the partition holds.
    # The emulator's own Query walks its whole table, so its time is no guide to DynamoDB's.
    rows.append(("list: first page, user with 10 notes", ms(small_us), f"{small_items} items read", "1.0×"))
    rows.append(
        (
            "list: first page, user with 10,000 notes",
            ms(big_us),
            f"{big_items} items read (limit 20 + 1)",
            f"{ratio(big_us, small_us)} time",
        )
    )


# --- 5. token verification ------------------------------------------------------------------------


def token_verification(rows: list[Row], user: Any) -> None:
    import jwt

    import app as notes_app
    from local_stack import gateway_auth
    from tests.tokens import TokenFactory

    verifier = gateway_auth._VERIFIERS[notes_app.app]
    verifier.verify(user.token)  # warm the key cache
    number = 300
    # Tokens the verifier has not seen, signed with the emulated pool's key.
    factory = TokenFactory(gateway_auth.issuer(notes_app.settings), notes_app.settings.app_client_ids[0])
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
            token_verification(rows, user)
        list_cost(rows)
        local_stack(rows)
        scoped_sign_in(rows)
        web_app(rows)
        package_size(rows, packages)
    print_table(rows)


if __name__ == "__main__":
    main()
