"""The note commands: add, ls, show, edit and rm."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from notes_cli.main import cli
from tests.notes_cli.helpers import (
    Notes,
    api_call,
    assert_one_line_error,
    someone_else_writes_after_each_read,
    stored_note,
)


def test_edit_refuses_to_overwrite_a_change_made_meanwhile(
    notes: Notes, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "original", "--title", "mine").stdout.strip()
    someone_else_writes_after_each_read(notes, monkeypatch)
    assert_one_line_error(
        notes("edit", note_id, "--title", "my edit"),
        "the note changed since you read it (version 1); run the command again",
    )
    stored = stored_note(notes, note_id)
    assert (stored["title"], stored["content"], stored["version"]) == ("changed elsewhere", "original", 2)


def test_edit_needs_something_to_change(notes: Notes, logged_in: str) -> None:
    note_id = notes("add", "text").stdout.strip()
    assert_one_line_error(notes("edit", note_id), "nothing to change")
    assert_one_line_error(notes("edit", note_id, "--tag", "a", "--clear-tags"), "contradict")
    assert stored_note(notes, note_id)["version"] == 1


def test_add_needs_content(notes: Notes, logged_in: str) -> None:
    assert_one_line_error(notes("add", input=""), "no content")
    assert api_call(notes, "GET", "/notes").json()["notes"] == []


def test_ls_pages_and_all(notes: Notes, logged_in: str) -> None:
    ids = [notes("add", f"note {n}").stdout.strip() for n in range(3)]
    newest_first = ids[::-1]

    page = notes("ls", "--limit", "2")
    assert page.exit_code == 0, page.output
    assert [line.split()[0] for line in page.stdout.splitlines()] == newest_first[:2]
    assert "more notes follow" in page.stderr

    every = notes("ls", "--limit", "1", "--all")
    assert [line.split()[0] for line in every.stdout.splitlines()] == newest_first
    assert "more notes follow" not in every.stderr

    as_json = json.loads(notes("ls", "--all", "--json").stdout)
    assert [note["noteId"] for note in as_json["notes"]] == newest_first
    assert as_json["nextCursor"] is None


def test_api_errors_show_status_and_message(notes: Notes, logged_in: str) -> None:
    assert_one_line_error(
        notes("show", "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"), "404 NotFoundError", "not found"
    )
    assert_one_line_error(notes("add", "text", "--title", "t" * 201), "400 BadRequestError", "title")
    assert api_call(notes, "GET", "/notes").json()["notes"] == []


@pytest.mark.parametrize("command", ["add", "edit"])
def test_the_attachment_is_no_note_field_on_the_command_line(command: str) -> None:
    shown = CliRunner().invoke(cli, [command, "--help"])
    assert shown.exit_code == 0
    assert "--attachment" not in shown.stdout and "--clear-attachment" not in shown.stdout
    assert "notes attach" in shown.stdout
    refused = CliRunner().invoke(cli, [command, "x", "--attachment", "key"])
    assert refused.exit_code == 2 and "No such option '--attachment'" in refused.stderr
