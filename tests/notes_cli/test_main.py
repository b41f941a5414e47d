"""The command group itself: the commands its help lists, and an unforeseen error as one line."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from notes_cli.api import NotesApi
from notes_cli.main import cli
from tests.notes_cli.helpers import Notes, assert_one_line_error


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    commands = ("signup", "confirm", "login", "logout", "whoami", "add", "ls", "search", "show", "edit", "rm")
    your_data = ("trash", "restore", "purge", "export", "passwd", "reset-password", "delete-account")
    for command in (*commands, "attach", "download", "detach", *your_data):
        assert f"  {command} " in result.stdout


def test_an_unexpected_exception_is_one_line(
    notes: Notes, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: NotesApi) -> dict[str, Any]:
        raise RuntimeError("something\nunforeseen")

    monkeypatch.setattr(NotesApi, "me", broken)
    assert_one_line_error(notes("whoami"), "unexpected error (RuntimeError): something unforeseen")
