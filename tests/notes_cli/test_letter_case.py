"""The CLI and the pool agree that an email has no letter case: ``notes login ALICE@…`` is Alice,
and ``notes signup`` in other letters is refused as the same account."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.notes_cli.helpers import Notes, create_user
from tests.stack import Stack


def test_login_in_other_letters_is_the_same_account(notes: Notes, local_stack: Stack) -> None:
    email = create_user(local_stack)
    result = notes("login", email.upper(), input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert f"Logged in as {email} at" in result.output  # the account's email, not the letters typed
    whoami = notes("whoami")
    assert whoami.exit_code == 0, whoami.output
    assert email in whoami.output  # the account's email as it signed up


def test_signup_in_other_letters_is_refused_as_taken(notes: Notes, local_stack: Stack) -> None:
    email = create_user(local_stack)
    result = notes("signup", email.upper(), input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "exists" in result.output.lower() or "already" in result.output.lower(), result.output
