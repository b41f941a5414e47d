"""The CLI as a real process: without a terminal, and with stderr a terminal for the progress."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tests.conftest import PASSWORD, ROOT
from tests.notes_cli.helpers import (
    HOST,
    Notes,
    api_call,
    as_a_process,
    assert_one_line_error,
    create_user,
    new_email,
    stored_note,
    write_file,
    write_session,
)
from tests.stack import Stack, free_port


def run_notes(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m notes_cli.main`` as a real process, without a terminal."""
    options = as_a_process(args, env, input=stdin, capture_output=True, text=True, timeout=60, check=False)
    return subprocess.run(**options)


def test_the_cli_works_as_a_real_process(notes: Notes, local_stack: Stack, tmp_path: Path) -> None:
    email = create_user(local_stack)
    env = {**os.environ, **notes.env}

    login = run_notes(["login", email], env, stdin=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    assert f"Logged in as {email}" in login.stdout

    added = run_notes(["add", "--title", "From a pipe"], env, stdin="piped content\n")
    assert added.returncode == 0, added.stderr
    note_id = added.stdout.strip()
    assert stored_note(notes, note_id)["content"] == "piped content\n"

    listed = run_notes(["ls", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    assert [note["noteId"] for note in json.loads(listed.stdout)["notes"]] == [note_id]

    missing = run_notes(["show", "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"], env)
    assert_one_line_error(missing, "you have no note 0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f")

    dead_url = f"http://{HOST}:{free_port()}"
    dead_config = tmp_path / "dead-config"
    write_session(dead_config, dead_url)
    unreachable = run_notes(["--api", dead_url, "ls"], {**env, "NOTES_CONFIG_DIR": str(dead_config)})
    assert_one_line_error(unreachable, f"cannot reach the API at {dead_url}", "make run")


def run_with_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """``python -m notes_cli.main`` as a real process whose stderr is a terminal: (status, stdout,
    what the terminal showed)."""
    main, side = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "notes_cli.main", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=side,
        start_new_session=True,
    ) as process:
        os.close(side)
        shown = bytearray()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the process closed the terminal: it is done
                break
            if not chunk:
                break
            shown += chunk
        os.close(main)
        assert process.stdout is not None
        stdout = process.stdout.read().decode()
        status = process.wait(timeout=10)
    return status, stdout, shown.decode(errors="replace")


def test_a_terminal_shows_the_progress(notes: Notes, logged_in: str, tmp_path: Path) -> None:
    note_id = notes("add", "text").stdout.strip()
    data = write_file(tmp_path / "photo.jpg", 2 * 1024**2)
    env = {**os.environ, **notes.env}

    status, stdout, shown = run_with_a_terminal(["attach", note_id, str(tmp_path / "photo.jpg")], env)
    assert status == 0, shown
    assert "uploading photo.jpg" in shown and "100%" in shown
    assert stdout.startswith(f"attached to {note_id} (version 2): photo.jpg  2,097,152 bytes  image/jpeg")

    status, stdout, shown = run_with_a_terminal(["download", note_id, "-o", str(tmp_path / "back.jpg")], env)
    assert status == 0, shown
    assert "downloading photo.jpg" in shown and "100%" in shown
    assert stdout == f"saved {tmp_path / 'back.jpg'} (2,097,152 bytes)\n"
    assert (tmp_path / "back.jpg").read_bytes() == data


def test_a_piped_password_is_read_quietly(notes: Notes, local_stack: Stack) -> None:
    env = {**os.environ, **notes.env}
    email = new_email()
    signed_up = run_notes(["signup", email], env, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert signed_up.returncode == 0, signed_up.stderr
    assert signed_up.stderr == ""  # no prompt, and no warning that the input may be echoed
    assert PASSWORD not in signed_up.stdout
    assert run_notes(["confirm", email], env).returncode == 0
    login = run_notes(["login", email], env, stdin=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    assert login.stderr == ""
    assert login.stdout == f"Logged in as {email} at {notes.api_url}\n"


class Terminal:
    """``python -m notes_cli.main ARGS`` as a real process at a terminal (stdin, stdout and stderr),
    answering each prompt it shows; what it showed, and its exit status (None: it had to be killed)."""

    def __init__(self, args: list[str], env: dict[str, str], answers: Sequence[tuple[str, str]] = ()) -> None:
        main, side = pty.openpty()
        pending = list(answers)
        shown = ""
        answered_at = 0
        with subprocess.Popen(**as_a_process(args, env, stdin=side, stdout=side, stderr=side)) as process:
            os.close(side)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                ready, _, _ = select.select([main], [], [], 0.5)
                if not ready:
                    if process.poll() is not None:
                        break
                    continue
                try:
                    chunk = os.read(main, 4096)
                except OSError:  # the process closed the terminal: it is done
                    break
                if not chunk:
                    break
                shown += chunk.decode(errors="replace")
                if pending and pending[0][0] in shown[answered_at:]:
                    os.write(main, pending.pop(0)[1].encode())
                    answered_at = len(shown)
            else:
                process.kill()
            os.close(main)
            status = process.wait(timeout=10)
        self.status: int | None = status if status >= 0 else None
        self.shown = shown


def test_an_invalid_email_is_refused_before_the_password_prompt(notes: Notes) -> None:
    env = {**os.environ, **notes.env}
    at_terminal = Terminal(["signup", "me-at-example.com"], env)
    assert at_terminal.status == 2, at_terminal.shown
    assert "'me-at-example.com' is not an email address" in at_terminal.shown
    assert "Password" not in at_terminal.shown


def test_signup_at_a_terminal_lists_the_rules_then_asks_twice(notes: Notes, local_stack: Stack) -> None:
    env = {**os.environ, **notes.env}
    email = new_email()
    answers = [("Password: ", "short\n"), ("Repeat for confirmation: ", "short\n")]
    weak = Terminal(["signup", email], env, answers)
    assert weak.status == 1, weak.shown
    rules = "at least 12 characters, with an upper-case letter, a lower-case letter, a digit and a symbol"
    assert f"The password needs {rules}" in weak.shown
    assert "short" not in weak.shown  # typed, never shown
    assert "password rejected: it needs at least 12 characters, an upper-case letter, a digit" in weak.shown
    answers = [("Password: ", f"{PASSWORD}\n"), ("Repeat for confirmation: ", f"{PASSWORD}\n")]
    strong = Terminal(["signup", email], env, answers)
    assert strong.status == 0, strong.shown
    assert f"Signed up {email}" in strong.shown and PASSWORD not in strong.shown


def test_detach_asks_at_a_terminal_and_rm_does_not(notes: Notes, logged_in: str, tmp_path: Path) -> None:
    env = {**os.environ, **notes.env}
    note_id = notes("add", "milk", "--title", "Groceries").stdout.strip()
    write_file(tmp_path / "list.txt", 10)
    assert notes("attach", note_id, str(tmp_path / "list.txt")).exit_code == 0

    question = "Remove the file list.txt from the note “Groceries”? [y/N]: "
    kept = Terminal(["detach", note_id], env, [(question, "n\n")])
    assert kept.status == 1, kept.shown  # nothing was done
    assert f"the file of note {note_id} was not removed: you did not confirm" in kept.shown
    assert "Error" not in kept.shown  # answering no is no error
    assert stored_note(notes, note_id)["attachment"]["name"] == "list.txt"
    removed = Terminal(["detach", note_id], env, [(question, "y\n")])
    assert removed.status == 0, removed.shown
    assert f"detached list.txt from {note_id}" in removed.shown
    assert stored_note(notes, note_id)["attachment"] is None

    # rm asks nothing, even at a terminal: the trash makes it undoable, and it says how.
    deleted = Terminal(["rm", note_id[:13]], env)
    assert deleted.status == 0, deleted.shown
    assert "[y/N]" not in deleted.shown
    assert f"moved {note_id} to the trash; notes restore {note_id} brings it back" in deleted.shown
    assert api_call(notes, "GET", f"/notes/{note_id}").status_code == 404
