"""The command group itself: the commands its help lists, and an unforeseen error as one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from notes_cli.api import NotesApi
from notes_cli.main import cli
from tests.conftest import ROOT
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


def test_the_command_needs_only_its_own_packages(tmp_path: Path) -> None:
    """What the project installs for the command (notes_cli and contract) is all it imports of the
    project: it runs where the local stack, the deploy and the app's code are not."""
    for package in ("notes_cli", "contract"):
        (tmp_path / package).symlink_to(ROOT / package)
    code = (
        "import pkgutil, sys, notes_cli; "
        "[__import__(f'notes_cli.{m.name}') for m in pkgutil.iter_modules(notes_cli.__path__)]; "
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'local_stack', 'infra', 'chalicelib'}))"
    )
    # -I: neither the working directory nor the environment's paths; site-packages stays.
    found = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {code}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == ["[]"]
