"""The whole journey: sign up, confirm, log in, and every note command, as a user would."""

from __future__ import annotations

import json

from tests.conftest import PASSWORD
from tests.notes_cli.helpers import Notes, api_call, assert_one_line_error, new_email, stored_note
from tests.stack import Stack


def test_signup_confirm_login_and_every_note_command(notes: Notes, local_stack: Stack) -> None:
    email = new_email()
    cognito = local_stack.cognito()

    signed_up = notes("signup", email, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert signed_up.exit_code == 0, signed_up.output
    assert f"notes confirm {email}" in signed_up.stdout
    user = cognito.admin_get_user(UserPoolId=local_stack.facts.user_pool_id, Username=email)
    assert user["UserStatus"] == "UNCONFIRMED"

    assert_one_line_error(
        notes("login", email, input=PASSWORD + "\n"), f"confirm first: notes confirm {email}"
    )
    assert not notes.credentials_path.exists()

    confirmed = notes("confirm", email)
    assert confirmed.exit_code == 0, confirmed.output
    assert (
        cognito.admin_get_user(UserPoolId=local_stack.facts.user_pool_id, Username=email)["UserStatus"]
        == "CONFIRMED"
    )

    logged_in = notes("login", email, input=PASSWORD + "\n")
    assert logged_in.exit_code == 0, logged_in.output
    assert PASSWORD not in logged_in.output
    assert notes.session()["email"] == email

    whoami = notes("whoami")
    assert whoami.exit_code == 0, whoami.output
    sub = {a["Name"]: a["Value"] for a in user["UserAttributes"]}["sub"]
    assert email in whoami.stdout and sub in whoami.stdout

    added = notes("add", "eggs, milk", "--title", "Groceries", "--tag", "home", "--tag", "shop")
    assert added.exit_code == 0, added.output
    groceries = added.stdout.strip()
    assert stored_note(notes, groceries) | {"createdAt": None, "updatedAt": None} == {
        "noteId": groceries,
        "userId": sub,
        "title": "Groceries",
        "content": "eggs, milk",
        "tags": ["home", "shop"],
        "attachment": None,
        "createdAt": None,
        "updatedAt": None,
        "version": 1,
    }

    piped = notes("add", input="line one\nline two\n")
    assert piped.exit_code == 0, piped.output
    letter = piped.stdout.strip()
    assert stored_note(notes, letter)["content"] == "line one\nline two\n"
    assert stored_note(notes, letter)["attachment"] is None

    listed = notes("ls")
    assert listed.exit_code == 0, listed.output
    header, *lines = listed.stdout.splitlines()
    assert header.split() == ["ID", "CREATED", "(UTC)", "FILE", "TITLE", "[TAGS]"]
    assert len(lines) == 2
    assert letter.startswith(lines[0].split()[0]) and "line one" in lines[0] and "line two" not in lines[0]
    assert (
        groceries.startswith(lines[1].split()[0]) and "Groceries" in lines[1] and "[home, shop]" in lines[1]
    )
    assert stored_note(notes, groceries)["createdAt"] in lines[1]

    shown = notes("show", groceries)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[0] == "Groceries"
    for text in ("home, shop", "version     1", "eggs, milk", groceries):
        assert text in shown.stdout
    as_json = notes("show", groceries, "--json")
    assert json.loads(as_json.stdout) == stored_note(notes, groceries)

    edited = notes("edit", groceries, "--title", "Weekend groceries", "--clear-tags")
    assert edited.exit_code == 0, edited.output
    assert "version 2" in edited.stdout
    after = stored_note(notes, groceries)
    assert (after["title"], after["tags"], after["content"], after["version"]) == (
        "Weekend groceries",
        [],
        "eggs, milk",
        2,
    )

    rewritten = notes("edit", letter, "--content", "-", input="new text")
    assert rewritten.exit_code == 0, rewritten.output
    assert {k: stored_note(notes, letter)[k] for k in ("content", "title", "version")} == {
        "content": "new text",
        "title": "",
        "version": 2,
    }

    removed = notes("rm", groceries, "--yes")
    assert removed.exit_code == 0, removed.output
    assert api_call(notes, "GET", f"/notes/{groceries}").status_code == 404
    remaining = notes("ls").stdout.splitlines()[1:]
    assert len(remaining) == 1 and letter.startswith(remaining[0].split()[0])
