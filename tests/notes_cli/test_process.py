"""The CLI as a real process: without a terminal, and with stderr a terminal for the progress."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import PASSWORD, ROOT
from tests.notes_cli.helpers import (
    HOST,
    Notes,
    assert_one_line_error,
    create_user,
    stored_note,
    write_file,
    write_session,
)
from tests.stack import Stack, free_port


def run_notes(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m notes_cli.main`` as a real process, without a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "notes_cli.main", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        # No controlling terminal, so the password prompt reads the piped stdin.
        start_new_session=True,
        check=False,
    )


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
    assert_one_line_error(missing, "404", "not found")

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
