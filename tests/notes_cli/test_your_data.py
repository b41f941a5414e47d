"""Your data from the command line, over the real local stack: the trash (rm, trash, restore,
purge), the export, the password (passwd, reset-password) and deleting the account."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pytest
import requests

from notes_cli import export as export_module
from notes_cli.api import NotesApi
from notes_cli.errors import CliError
from tests.conftest import PASSWORD
from tests.notes_cli.helpers import (
    Notes,
    api_call,
    assert_one_line_error,
    create_user,
    full_ids,
    new_email,
    no_account,
    shown_ids,
    stored_note,
    write_file,
    write_stack_file,
)
from tests.notes_cli.test_process import Terminal, run_with_a_terminal
from tests.notes_cli.test_scoped_login import log_in
from tests.stack import SignIn, Stack

NEW_PASSWORD = "Another-Horse-Staple-7"
WAIT_SECONDS = 30.0


def until(check: Any, what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while not (answer := check()):
        assert time.monotonic() < deadline, f"not within {WAIT_SECONDS} s: {what}"
        time.sleep(0.2)
    return answer


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def trashed_ids(notes: Notes) -> list[str]:
    answer = api_call(notes, "GET", "/trash")
    assert answer.status_code == 200, answer.text
    return [note["noteId"] for note in answer.json()["notes"]]


def file_keys(local_stack: Stack, note: dict[str, Any]) -> list[str]:
    """The keys the bucket holds for the note's file."""
    return local_stack.bucket_keys(f"files/{note['userId']}/{note['noteId']}/")


def attached_note(notes: Notes, tmp_path: Path, text: str, name: str, size: int) -> tuple[str, bytes]:
    """A new note with a file of ``size`` random bytes named ``name``: its id and the file's bytes."""
    note_id = notes("add", text, "--title", text.capitalize()).stdout.strip()
    data = write_file(tmp_path / "sent" / name, size)
    attached = notes("attach", note_id, str(tmp_path / "sent" / name))
    assert attached.exit_code == 0, attached.output
    return note_id, data


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


# The trash.


def test_rm_moves_to_the_trash_and_restore_brings_it_back(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path
) -> None:
    note_id, data = attached_note(notes, tmp_path, "receipts", "receipt.bin", 4096)
    kept = notes("add", "stays").stdout.strip()
    before = stored_note(notes, note_id)

    moved = ok(notes("rm", note_id, "--yes"))
    assert moved.stdout == f"moved {note_id} to the trash; notes restore {note_id} brings it back\n"
    assert "Receipts" not in ok(notes("ls")).stdout
    assert_one_line_error(notes("show", note_id), "it is in the trash", f"notes restore {note_id}")
    assert len(file_keys(local_stack, before)) == 1  # the trash keeps the file

    listed = ok(notes("trash"))
    header, *lines = listed.stdout.splitlines()
    assert header.split() == ["ID", "DELETED", "(UTC)", "PURGE", "ON", "TITLE", "[TAGS]"]
    assert len(lines) == 1 and lines[0].startswith(note_id[:8] + "  ")  # alone there: 8 tell it
    as_json = json.loads(ok(notes("trash", "--json")).stdout)
    assert as_json["nextCursor"] is None
    [trashed] = as_json["notes"]
    deleted_at, purge_at = parse_time(trashed["deletedAt"]), parse_time(trashed["purgeAt"])
    assert purge_at - deleted_at == timedelta(days=30)
    assert lines[0].split()[1:4] == [trashed["deletedAt"], purge_at.date().isoformat(), "Receipts"]

    # Named by the start of its id, among the notes in the trash (not the notes).
    restored = ok(notes("restore", note_id[:13]))
    assert restored.stdout == f"restored {note_id} (version {before['version'] + 1}): Receipts\n"
    after = stored_note(notes, note_id)
    assert after == {**before, "version": before["version"] + 1}
    assert ok(notes("download", note_id, "-o", str(tmp_path / "back.bin")))
    assert (tmp_path / "back.bin").read_bytes() == data
    assert trashed_ids(notes) == []
    empty = ok(notes("trash"))
    assert (empty.stdout, empty.stderr) == ("", "the trash is empty\n")
    assert_one_line_error(
        notes("restore", note_id), f"there is no note {note_id} in your trash", "notes trash"
    )
    assert_one_line_error(
        notes("restore", kept[:12]), "none of the notes in your trash has an id starting with"
    )


def test_the_trash_pages_like_ls(notes: Notes, logged_in: str) -> None:
    first = notes("add", "first").stdout.strip()
    second = notes("add", "second").stdout.strip()
    for note_id in (first, second):
        ok(notes("rm", note_id, "--yes"))
    page = ok(notes("trash", "--limit", "1"))
    assert full_ids(shown_ids(page.stdout), [first, second]) == [second]  # last deleted first
    assert page.stderr == "more notes follow: notes trash --all (or a larger --limit)\n"
    every = ok(notes("trash", "--all", "--limit", "1"))
    assert full_ids(shown_ids(every.stdout), [first, second]) == [second, first]
    assert every.stderr == ""
    assert [note["noteId"] for note in json.loads(ok(notes("trash", "--all", "--json")).stdout)["notes"]] == [
        second,
        first,
    ]


def test_purge_deletes_the_note_and_its_file_for_good(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path
) -> None:
    note_id, _ = attached_note(notes, tmp_path, "old taxes", "taxes.pdf", 2048)
    note = stored_note(notes, note_id)
    assert_one_line_error(notes("purge", note_id, "--yes"), f"there is no note {note_id} in your trash")
    ok(notes("rm", note_id, "--yes"))

    refused = notes("purge", note_id)
    assert refused.exit_code == 2
    assert_one_line_error(refused, f"note {note_id} was not deleted for good", "no terminal", "--yes")
    assert trashed_ids(notes) == [note_id]

    purged = ok(notes("purge", note_id[:10], "--yes"))
    assert purged.stdout == f"deleted {note_id} for good\n"
    assert trashed_ids(notes) == []
    assert file_keys(local_stack, note) == []
    assert_one_line_error(notes("restore", note_id), f"there is no note {note_id} in your trash")
    assert api_call(notes, "GET", f"/notes/{note_id}").status_code == 404


def test_purge_asks_at_a_terminal(notes: Notes, logged_in: str, tmp_path: Path) -> None:
    env = {**os.environ, **notes.env}
    note_id, _ = attached_note(notes, tmp_path, "drafts", "draft.txt", 10)
    ok(notes("rm", note_id, "--yes"))
    question = "Delete the note “Drafts” and its file draft.txt for good? [y/N]: "
    kept = Terminal(["purge", note_id], env, [(question, "n\n")])
    assert kept.status == 1, kept.shown
    assert f"note {note_id} was not deleted for good: you did not confirm" in kept.shown
    assert "Error" not in kept.shown  # answering no is no error
    assert trashed_ids(notes) == [note_id]
    purged = Terminal(["purge", note_id], env, [(question, "y\n")])
    assert purged.status == 0, purged.shown
    assert f"deleted {note_id} for good" in purged.shown
    assert trashed_ids(notes) == []


# The export.


def test_export_writes_every_note_and_file_and_never_overwrites(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_file, data = attached_note(notes, tmp_path, "photos", "cat.jpg", 300_000)
    plain = notes("add", "eggs, milk", "--title", "Groceries", "--tag", "home").stdout.strip()
    gone, gone_data = attached_note(notes, tmp_path, "gone", "gone.bin", 100)
    ok(notes("rm", gone, "--yes"))
    target = tmp_path / "out" / "notes.zip"
    target.parent.mkdir()

    # The ZIP is written beside the target, which appears only once the download is complete.
    seen_while_downloading: list[list[str]] = []
    download = export_module.files.download

    def watched(http: requests.Session, url: str, file: BinaryIO, progress: Any) -> int:
        seen_while_downloading.append(sorted(path.name for path in target.parent.iterdir()))
        return download(http, url, file, progress)

    monkeypatch.setattr(export_module.files, "download", watched)
    saved = ok(notes("export", "-o", str(target)))
    size = target.stat().st_size
    assert saved.stdout == f"saved {target} ({size:,} bytes, 3 notes)\n"
    assert saved.stderr == ""  # no progress bar when stderr is not a terminal
    [during] = seen_while_downloading
    assert len(during) == 1 and during[0].startswith(".notes.zip.") and during[0].endswith(".part")
    assert sorted(path.name for path in target.parent.iterdir()) == ["notes.zip"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    archive = zipfile.ZipFile(target)
    assert archive.read(f"{with_file}/cat.jpg") == data
    assert archive.read(f"trash/{gone}/gone.bin") == gone_data
    for note_id in (with_file, plain):
        assert json.loads(archive.read(f"{note_id}.json")) == stored_note(notes, note_id)
    markdown = archive.read(f"{plain}.md").decode()
    assert "Groceries" in markdown and "home" in markdown and markdown.rstrip().endswith("eggs, milk")
    assert f"trash/{gone}.md" in archive.namelist() and f"trash/{gone}.json" in archive.namelist()

    # An existing file is never overwritten without --force, and is left as it was.
    before = target.read_bytes()
    assert_one_line_error(notes("export", "-o", str(target)), f"{target} already exists", "--force")
    assert target.read_bytes() == before
    monkeypatch.undo()
    ok(notes("add", "one more"))
    again = ok(notes("export", "-o", str(target), "--force"))
    assert again.stdout.endswith(" bytes, 4 notes)\n")
    assert len(zipfile.ZipFile(target).namelist()) == len(archive.namelist()) + 2
    assert sorted(path.name for path in target.parent.iterdir()) == ["notes.zip"]


def test_a_failed_export_says_why_and_saves_nothing(
    notes: Notes, logged_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes("add", "text")
    status = NotesApi.export_status

    def failed(self: NotesApi, export_id: str) -> dict[str, Any]:
        answer = status(self, export_id)  # the real export, said to have failed
        return {**answer, "status": "failed", "url": None, "error": "the export is too large"}

    monkeypatch.setattr(NotesApi, "export_status", failed)
    target = tmp_path / "out" / "notes.zip"
    target.parent.mkdir()
    assert_one_line_error(notes("export", "-o", str(target)), "the export failed: the export is too large")
    assert list(target.parent.iterdir()) == []

    # A download that breaks off leaves nothing behind either.
    monkeypatch.undo()

    def broken(http: requests.Session, url: str, file: BinaryIO, progress: Any) -> int:
        file.write(b"PK half a zip")
        raise CliError("the download broke off after 13 bytes")

    monkeypatch.setattr(export_module.files, "download", broken)
    assert_one_line_error(notes("export", "-o", str(target)), "the download broke off")
    assert list(target.parent.iterdir()) == []
    assert_one_line_error(
        notes("export", "-o", str(tmp_path / "missing" / "notes.zip")), "there is no folder"
    )


def test_export_shows_its_progress_at_a_terminal(notes: Notes, logged_in: str, tmp_path: Path) -> None:
    for text in ("one", "two"):
        notes("add", text)
    env = {**os.environ, **notes.env}
    target = tmp_path / "notes.zip"
    status, stdout, shown = run_with_a_terminal(["export", "-o", str(target)], env)
    assert status == 0, shown
    assert "exporting" in shown and "2 of 2 notes" in shown
    assert "downloading notes.zip" in shown and "100%" in shown
    assert stdout == f"saved {target} ({target.stat().st_size:,} bytes, 2 notes)\n"
    assert len(zipfile.ZipFile(io.BytesIO(target.read_bytes())).namelist()) == 4


# The password.


def test_passwd_changes_the_password(notes: Notes, logged_in: str, local_stack: Stack) -> None:
    assert_one_line_error(
        notes("passwd", input=f"Wrong-Horse-Battery-9\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n"),
        "the password was not changed: the current password is wrong",
    )
    assert_one_line_error(
        notes("passwd", input=f"{PASSWORD}\nshort\nshort\n"),
        "the password was not changed: the new password was rejected: it needs at least 12 characters",
    )
    assert_one_line_error(
        notes("passwd", input=f"{PASSWORD}\n{NEW_PASSWORD}\n{NEW_PASSWORD}x\n"),
        "the new password and its confirmation (the second and third lines of standard input) differ",
    )
    assert_one_line_error(notes("passwd", input=f"{PASSWORD}\n"), "no new password")
    assert_one_line_error(
        notes("passwd", input=f"{PASSWORD}\n{PASSWORD}\n"), "the new password is the current one"
    )

    changed = ok(notes("passwd", input=f"{PASSWORD}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n"))
    assert changed.stdout == f"Changed the password of {logged_in}; you are still logged in\n"
    assert PASSWORD not in changed.output and NEW_PASSWORD not in changed.output
    ok(notes("ls"))  # the session goes on

    ok(notes("logout"))
    assert_one_line_error(notes("login", logged_in, input=PASSWORD + "\n"), "wrong email or password")
    ok(notes("login", logged_in, input=NEW_PASSWORD + "\n"))


def test_passwd_says_what_the_pool_refuses(notes: Notes, logged_in: str, local_stack: Stack) -> None:
    # Without the web app's rules the pool's own refusal is told.
    facts = {name: value for name, value in local_stack.facts.to_json().items() if name != "webUrl"}
    write_stack_file(notes.stack_file, facts)
    assert_one_line_error(
        notes("passwd", input=f"{PASSWORD}\nshort1!\n"),
        "the password was not changed: the new password was rejected",
        "does not follow the user pool's password rules",
    )
    ok(notes("logout"))
    ok(notes("login", logged_in, input=PASSWORD + "\n"))


def test_passwd_at_a_terminal_asks_without_echo(notes: Notes, logged_in: str) -> None:
    env = {**os.environ, **notes.env}
    answers = [
        ("Current password: ", f"{PASSWORD}\n"),
        ("New password: ", f"{NEW_PASSWORD}\n"),
        ("Repeat for confirmation: ", f"{NEW_PASSWORD}\n"),
    ]
    changed = Terminal(["passwd"], env, answers)
    assert changed.status == 0, changed.shown
    assert "The password needs at least 12 characters" in changed.shown
    assert f"Changed the password of {logged_in}" in changed.shown
    assert PASSWORD not in changed.shown and NEW_PASSWORD not in changed.shown
    ok(notes("logout"))
    ok(notes("login", logged_in, input=NEW_PASSWORD + "\n"))


def test_reset_password_with_the_emailed_code(notes: Notes, local_stack: Stack) -> None:
    help_text = ok(notes("reset-password", "--help")).stdout
    assert "emails a code to EMAIL" in help_text and "any code is accepted" in help_text
    email = create_user(local_stack)
    assert_one_line_error(
        notes("reset-password", email, input="123456\nshort\n"),
        "the password was not reset: the new password was rejected: it needs at least 12 characters",
        f"notes reset-password {email} --code 123456",
    )
    reset = ok(notes("reset-password", email, input=f"123456\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n"))
    assert reset.stdout == f"Reset the password of {email}. Next: notes login {email}\n"
    assert reset.stderr == ""
    assert_one_line_error(notes("login", email, input=PASSWORD + "\n"), "wrong email or password")
    ok(notes("login", email, input=NEW_PASSWORD + "\n"))

    # A code already received: no new one is sent, and stdin starts with the new password.
    again = ok(notes("reset-password", email, "--code", "654321", input=f"{PASSWORD}\n"))
    assert again.stderr == ""
    ok(notes("login", email, input=PASSWORD + "\n"))

    # An unknown email is answered as a wrong code is: the pool does not say whether an account exists.
    assert_one_line_error(
        notes("reset-password", new_email(), input=f"123456\n{NEW_PASSWORD}\n"),
        "the password was not reset: the code is wrong",
    )
    assert_one_line_error(notes("reset-password", email, input="\n"), "no code")
    refused = notes("reset-password", "not-an-email")
    assert refused.exit_code == 2
    assert_one_line_error(refused, "is not an email address")


def test_reset_password_at_a_terminal(notes: Notes, local_stack: Stack) -> None:
    env = {**os.environ, **notes.env}
    email = create_user(local_stack)
    answers = [
        ("Code from the email: ", "anything\n"),
        ("New password: ", f"{NEW_PASSWORD}\n"),
        ("Repeat for confirmation: ", f"{NEW_PASSWORD}\n"),
    ]
    reset = Terminal(["reset-password", email], env, answers)
    assert reset.status == 0, reset.shown
    assert "Local stack: no email is sent, and any code is accepted." in reset.shown
    assert "The password needs at least 12 characters" in reset.shown
    assert f"Reset the password of {email}. Next: notes login {email}" in reset.shown
    assert NEW_PASSWORD not in reset.shown
    ok(notes("login", email, input=NEW_PASSWORD + "\n"))


# The account.


def test_delete_account_needs_the_email_then_deletes_everything(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path
) -> None:
    note_id, _ = attached_note(notes, tmp_path, "last", "last.txt", 10)
    owner = stored_note(notes, note_id)["userId"]
    refused = notes("delete-account")
    assert refused.exit_code == 2
    assert_one_line_error(refused, "the account was not deleted", "no terminal", "--confirm EMAIL")
    assert_one_line_error(
        notes("delete-account", "--confirm", "someone@example.com"),
        "the account was not deleted: 'someone@example.com' is not its email",
    )
    assert note_id[:8] in ok(notes("ls")).stdout

    # A second machine, signed in with the same tokens.
    elsewhere = Notes(notes.api_url, notes.stack_file, tmp_path / "elsewhere")
    shutil.copytree(notes.config, elsewhere.config)
    old_token = notes.session()["idToken"]

    deleted = ok(notes("delete-account", "--confirm", logged_in.upper()))
    assert deleted.stdout.startswith(f"The account {logged_in} is being deleted")
    assert notes.api_url not in notes.credentials()["sessions"]
    assert_one_line_error(notes("ls"), "not logged in: run notes login EMAIL", "notes signup EMAIL")
    refused_token = requests.get(f"{notes.api_url}/notes", headers={"Authorization": old_token}, timeout=10)
    assert refused_token.status_code == 401

    until(lambda: no_account(local_stack, logged_in), "the user is deleted from the pool")
    until(lambda: local_stack.bucket_keys(f"files/{owner}/") == [], "the account's files are deleted")
    assert_one_line_error(elsewhere("ls"), f"the account {logged_in} was deleted", "you are logged out here")
    assert_one_line_error(
        notes("login", logged_in, input=PASSWORD + "\n"),
        f"wrong email or password: the account {logged_in} was deleted",
        f"notes signup {logged_in}",
    )


def delete_elsewhere(notes: Notes, email: str) -> None:
    """The account deleted as the web app deletes it, with the tokens the CLI keeps."""
    headers = {"Authorization": notes.session()["idToken"], "X-Confirm-Delete": email}
    answer = requests.delete(f"{notes.api_url}/me", headers=headers, timeout=10)
    assert answer.status_code == 202, answer.text


def test_an_account_deleted_elsewhere_is_said_to_be_deleted(
    notes: Notes, logged_in: str, local_stack: Stack
) -> None:
    note_id = ok(notes("add", "kept until the end")).stdout.strip()
    # The web app deletes the account; this machine still holds the tokens.
    delete_elsewhere(notes, logged_in)
    until(lambda: no_account(local_stack, logged_in), "the user is deleted from the pool")

    deleted = f"the account {logged_in} was deleted, with everything in it: you are logged out here"
    line = assert_one_line_error(notes("show", note_id), deleted, f"notes signup {logged_in}")
    assert "session expired" not in line
    assert notes.api_url not in notes.credentials()["sessions"]
    assert_one_line_error(notes("ls"), "not logged in")  # the session is forgotten here
    assert_one_line_error(
        notes("login", logged_in, input=PASSWORD + "\n"), f"the account {logged_in} was deleted"
    )
    # Nothing is told about any other email: the pool's one answer, as before.
    stranger = new_email()
    line = assert_one_line_error(notes("login", stranger, input=PASSWORD + "\n"), "wrong email or password")
    assert "deleted" not in line and stranger not in line

    # A new account of the same email is an account like any other.
    create_user(local_stack, logged_in)
    ok(notes("login", logged_in, input=PASSWORD + "\n"))
    assert "deletedAccounts" not in notes.credentials()
    assert ok(notes("ls")).stderr == "no notes\n"


def test_an_expired_session_of_a_deleted_account_is_said_to_be_deleted(
    notes: Notes, logged_in: str, local_stack: Stack
) -> None:
    delete_elsewhere(notes, logged_in)
    until(lambda: no_account(local_stack, logged_in), "the user is deleted from the pool")
    notes.edit_session(expiresAt=int(time.time()) - 10)  # refreshed first, and refused
    assert_one_line_error(notes("ls"), f"the account {logged_in} was deleted")


def test_delete_account_at_a_terminal_asks_for_the_email(notes: Notes, logged_in: str) -> None:
    env = {**os.environ, **notes.env}
    question = f"Type your email ({logged_in}) to confirm: "
    kept = Terminal(["delete-account"], env, [(question, "nobody@example.com\n")])
    assert kept.status == 1, kept.shown
    assert "every note, the notes in the trash, their files and your exports" in kept.shown
    assert "the account was not deleted: 'nobody@example.com' is not its email" in kept.shown
    assert ok(notes("whoami")).stdout.startswith(f"email    {logged_in}")
    deleted = Terminal(["delete-account"], env, [(question, f"{logged_in}\n")])
    assert deleted.status == 0, deleted.shown
    assert f"The account {logged_in} is being deleted" in deleted.shown
    assert_one_line_error(notes("whoami"), "not logged in")


# Scoped stages: the browser's sign-in grants changing the password.


@pytest.fixture
def scoped(scoped_stack: Stack, tmp_path: Path) -> Notes:
    stack_file = write_stack_file(tmp_path / "stack.json", scoped_stack.facts.to_json())
    return Notes(scoped_stack.facts.api_url, stack_file, tmp_path / "config")


def test_passwd_on_a_scoped_stage(scoped: Notes, scoped_stack: Stack, tmp_path: Path) -> None:
    email = create_user(scoped_stack)
    log_in(scoped, tmp_path, email)
    assert "aws.cognito.signin.user.admin" in scoped.session()["scope"].split()
    changed = ok(scoped("passwd", input=f"{PASSWORD}\n{NEW_PASSWORD}\n"))
    assert changed.stdout == f"Changed the password of {email}; you are still logged in\n"
    # The sign-in page now takes the new password, and no longer the old one.
    SignIn(scoped_stack, client="cli").code(email, NEW_PASSWORD)
    page = SignIn(scoped_stack, client="cli")
    refused = page.submit(page.authorize(), "/login", username=email, password=PASSWORD)
    assert refused.status_code != 302

    # A session signed in before the CLI asked for the scope cannot change it, and says what to do.
    scoped.edit_session(scope="openid email notes/read notes/write")
    assert_one_line_error(
        scoped("passwd", input=f"{NEW_PASSWORD}\n{PASSWORD}\n"),
        "did not grant changing the password",
        "run notes login again",
    )
