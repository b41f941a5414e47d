"""The ``notes`` CLI against a real local stack over HTTP: the fixtures its tests share.

The suite's one real local stack (``make run``: the emulator on 127.0.0.1 as Cognito,
DynamoDB and S3, the ``local`` stage provisioned into it, and ``chalice local`` as the API,
which checks every token against the emulated pool), shared with the other tests over HTTP.
The CLI runs in-process through click's runner, and as a real process where that is what is
being proven.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.notes_cli.helpers import Notes, create_user, write_stack_file
from tests.stack import Stack


@pytest.fixture
def notes(local_stack: Stack, tmp_path: Path) -> Notes:
    """The CLI pointed at the local stack, with a config directory of its own (nobody logged in)."""
    stack_file = write_stack_file(tmp_path / "stack.json", local_stack.facts.to_json())
    return Notes(local_stack.facts.api_url, stack_file, tmp_path / "config")


@pytest.fixture
def logged_in(notes: Notes, local_stack: Stack) -> str:
    """A confirmed user, logged in through the CLI; returns the email."""
    email = create_user(local_stack)
    result = notes("login", email, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return email
