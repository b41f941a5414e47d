"""Benchmarks of the notes API; prints a table. Run with ``make bench`` (``make bench FULL=1``
adds the heavy rows: ``--full``).

Everything runs on this machine against the emulated AWS (in-process); nothing
leaves it. Times are medians of repeated runs; each row compares the product
with a baseline measured in the same run, as a ratio. Each case's seconds go to
standard error as it ends, so that one sees where the time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.cases.attachments import attachments
from bench.cases.changes import feed_cost
from bench.cases.cold_start import cold_start, memory, own_modules, package_size, unpacked_packages
from bench.cases.deletion import deletion_cost
from bench.cases.exports import export_cost
from bench.cases.history import history_cost
from bench.cases.indexer import index_cost
from bench.cases.listing import list_cost
from bench.cases.local_stack import local_stack, scoped_sign_in, web_app, write_to_found
from bench.cases.routes import logging_cost, requests_and_calls
from bench.cases.search import index_size, search_cost, seeded_users
from bench.cases.sharing import sharing_cost
from bench.cases.tokens import token_verification
from bench.cases.trash import trash_cost
from bench.in_process import in_process_stack
from bench.timing import Row

# The users the search rows seed (the first also has the index rows' writes); with 260 search
# entries a note, the one with 10,000 notes holds some 2.6 million items. Their accounts are
# deleted after the search rows (a full run's rows).
SEARCHED_USERS = (1_000, 10_000)


def _cpu_seconds() -> float:
    used = os.times()
    return used.user + used.system + used.children_user + used.children_system


class Run:
    """The rows of one run, and which cases it runs: the heavy ones only when ``full``. A case that
    fails is told on standard error and the others still run; the run then fails."""

    def __init__(self, full: bool) -> None:
        self.full = full
        self.rows: list[Row] = []
        self.left_out: list[str] = []
        self.failed: list[str] = []

    @contextlib.contextmanager
    def clock(self, name: str) -> Iterator[None]:
        """The block's seconds on standard error when it ends, and the CPU seconds it used (this
        process's and those of the processes it waited for): on a busy machine, the first grows
        with the others' work and the second hardly."""
        started, cpu = time.perf_counter(), _cpu_seconds()
        try:
            yield
        finally:
            elapsed, used = time.perf_counter() - started, _cpu_seconds() - cpu
            print(f"{elapsed:7.1f} s ({used:6.1f} s CPU)  {name}", file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def guarded(self, name: str) -> Iterator[None]:
        """The block's failure told on standard error and kept, the run going on after it."""
        try:
            yield
        except Exception:
            traceback.print_exc()
            self.failed.append(name)

    def case(self, name: str, measure: Callable[..., None], *args: Any, full: bool = False) -> None:
        """``measure(rows, *args)``, timed; a ``full`` case only in a full run."""
        if full and not self.full:
            self.left_out.append(name)
            return
        with self.clock(name), self.guarded(name):
            measure(self.rows, *args)


def run_cases(run: Run, scratch: Path) -> None:
    with run.clock("build the Lambda packages"):
        packages = unpacked_packages(scratch)  # built once, for cold starts and sizes
    run.case("cold start", cold_start, packages)
    run.case("cold start: the app's own modules", own_modules, packages)
    run.case("Lambda memory", memory, packages)
    with run.guarded("the in-process stack"), in_process_stack() as user:
        run.case("requests and their DynamoDB calls", requests_and_calls, user)
        run.case("attachments", attachments, user)
        run.case("request log", logging_cost, user)
        run.case("trash", trash_cost, user)
        run.case("history", history_cost, user)
        run.case("sharing", sharing_cost, user)
        run.case("export", export_cost, user, full=True)
        run.case("token checks", token_verification, user)
    run.case("list", list_cost)
    run.case("change feed", feed_cost)
    with run.guarded("the search users"):
        searched_cases(run)
    run.case("make run: idle, start-up, saved state", local_stack, full=True)
    run.case("make run: write to search", write_to_found)
    run.case("scoped sign-in", scoped_sign_in)
    run.case("web app", web_app)
    run.case("Lambda zip", package_size, packages)


def searched_cases(run: Run) -> None:
    """The cases on the seeded search users, in one stack: searches, the index, the deletions. The
    user with 10,000 notes (some 2.6 million items) is a full run's only."""
    small, big = SEARCHED_USERS
    counts = SEARCHED_USERS if run.full else (small,)
    if not run.full:
        run.left_out.append(f"search and index rows of a user with {big:,} notes")
    with contextlib.ExitStack() as seeding:
        with run.clock(f"seed users with {' and '.join(f'{n:,}' for n in counts)} notes"):
            seeded = seeding.enter_context(seeded_users(counts))
        run.case("search", search_cost, seeded)
        run.case("index size", index_size, seeded.sizes)
        run.case("index writes", index_cost, seeded.users[small], seeded.vocabulary)
        for count in SEARCHED_USERS:
            user = seeded.users.get(count)
            run.case(f"account deletion, {count:,} notes", deletion_cost, [user], full=True)


def print_table(rows: list[Row]) -> None:
    header = ("measure", "median", "baseline", "ratio")
    widths = [max(len(row[i]) for row in [*rows, header]) for i in range(4)]
    line = " | ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add the heavy rows (make bench FULL=1)")
    run = Run(parser.parse_args(argv).full)
    # The app's request lines go to standard output: measured, not shown.
    with run.clock("in all"):
        with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(io.StringIO()):
            run_cases(run, Path(scratch))
    if run.left_out:
        print(f"make bench FULL=1 adds: {'; '.join(run.left_out)}", file=sys.stderr)
    print_table(run.rows)
    if run.failed:
        sys.exit(f"failed, their rows missing: {'; '.join(run.failed)}")


if __name__ == "__main__":
    main()
