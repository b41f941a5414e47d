"""make run's real stack: idle CPU, start-up, saved state, write to search, scoped sign-in, the web app."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.timing import Row, ms, ratio

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
        told = write_to_message(stack, user)
        stack.interrupt()
    rows.append(
        (
            "make run: from a note's write to the search finding it",
            f"{statistics.median(delays):.0f} ms",
            f"promised: {FOUND_PROMISED_MS:,} ms",
            f"max {max(delays):.0f} ms of {FOUND_TRIES}",
        )
    )
    rows.append(
        (
            "make run: from a note's write to the message on a WebSocket connection",
            f"{statistics.median(told):.0f} ms",
            f"promised: {FOUND_PROMISED_MS:,} ms",
            f"max {max(told):.0f} ms of {FOUND_TRIES}",
        )
    )


def write_to_message(stack: Any, user: Any) -> list[float]:
    """A connection of the user's open on the stack's live endpoint; each note's write (its answer)
    to the message that tells the connection, in milliseconds."""
    from websockets.sync.client import connect

    delays: list[float] = []
    offered: Any = ["notes", user.token]
    with connect(stack.facts.ws_url, subprotocols=offered) as connection:
        for attempt in range(FOUND_TRIES + 1):  # the first warms the feed's function
            user.create_note(f"told {attempt}")
            written = time.perf_counter()
            connection.recv(timeout=30)
            if attempt:
                delays.append((time.perf_counter() - written) * 1000)
    return delays


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
