"""The note commands: add, ls, show, edit and rm."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from notes_cli.main import cli
from tests.notes_cli.helpers import (
    Notes,
    api_call,
    assert_one_line_error,
    full_ids,
    shown_ids,
    someone_else_writes_after_the_first_read,
    stored_note,
)


def test_edit_refuses_to_overwrite_a_change_made_meanwhile(
    notes: Notes, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = notes("add", "original", "--title", "mine").stdout.strip()
    someone_else_writes_after_the_first_read(notes, monkeypatch)
    assert_one_line_error(
        notes("edit", note_id, "--title", "my edit"),
        f"note {note_id} changed since it was read (it is now at version 2), so your edit was not saved",
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
    assert full_ids(shown_ids(page.stdout), ids) == newest_first[:2]
    assert "more notes follow" in page.stderr

    every = notes("ls", "--limit", "1", "--all")
    assert full_ids(shown_ids(every.stdout), ids) == newest_first
    assert "more notes follow" not in every.stderr

    as_json = json.loads(notes("ls", "--all", "--json").stdout)
    assert [note["noteId"] for note in as_json["notes"]] == newest_first
    assert as_json["nextCursor"] is None


def test_api_errors_are_sentences_about_the_note(notes: Notes, logged_in: str) -> None:
    missing = "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"
    for command in (["show"], ["edit", "--title", "x"], ["rm", "--yes"], ["download"], ["detach", "--yes"]):
        line = assert_one_line_error(
            notes(command[0], missing, *command[1:]),
            f"you have no note {missing}: check the id with notes ls",
        )
        assert "404" not in line and "NotFound" not in line and "API" not in line
    line = assert_one_line_error(
        notes("add", "text", "--title", "t" * 201),
        "the note was not added: the title is 201 characters; at most 200 are allowed",
    )
    assert "400" not in line and "BadRequest" not in line and "field" not in line
    assert_one_line_error(
        notes("add", "text", "--tag", "a", "--tag", "a"), "the note was not added: tag 2 repeats the tag 'a'"
    )
    assert api_call(notes, "GET", "/notes").json()["notes"] == []

    note_id = notes("add", "text").stdout.strip()
    line = assert_one_line_error(notes("download", note_id), f"note {note_id} has no file: attach one")
    assert "API" not in line and "404" not in line


@pytest.mark.parametrize("command", ["add", "edit"])
def test_the_attachment_is_no_note_field_on_the_command_line(command: str) -> None:
    shown = CliRunner().invoke(cli, [command, "--help"])
    assert shown.exit_code == 0
    assert "--attachment" not in shown.stdout and "--clear-attachment" not in shown.stdout
    assert "notes attach" in shown.stdout
    refused = CliRunner().invoke(cli, [command, "x", "--attachment", "key"])
    assert refused.exit_code == 2 and "No such option '--attachment'" in refused.stderr


def listed(notes: Notes) -> dict[str, str]:
    """``notes ls --all``: each note's line by its whole id (the header line checked and left out)."""
    shown = notes("ls", "--all")
    assert shown.exit_code == 0, shown.output
    header, *lines = shown.stdout.splitlines()
    assert header.split() == ["ID", "CREATED", "(UTC)", "FILE", "TITLE", "[TAGS]"]
    ids = [note["noteId"] for note in api_call(notes, "GET", "/notes?limit=100").json()["notes"]]
    return dict(zip(full_ids(shown_ids(shown.stdout), ids), lines, strict=True))


def test_a_note_is_named_as_the_page_names_it(notes: Notes, logged_in: str) -> None:
    # The page's rule: the title, else the content's first non-blank line, else "Untitled note".
    blank_title = notes("add", "\n   \n  first line  \nsecond line", "--title", "   ").stdout.strip()
    empty = notes("add", "", "--title", " \t ").stdout.strip()
    titled = notes("add", "text", "--title", "  Groceries ").stdout.strip()
    long_line = notes("add", "x" * 100).stdout.strip()
    lines = listed(notes)
    assert lines[blank_title].endswith("  first line")
    assert lines[empty].endswith("  Untitled note") and "(empty)" not in lines[empty]
    assert lines[titled].endswith("  Groceries")
    assert lines[long_line].endswith("  " + "x" * 59 + "…")  # clipped to the listing's width
    assert notes("show", empty).stdout.splitlines()[0] == "Untitled note"
    assert notes("show", blank_title).stdout.splitlines()[0] == "first line"
    assert notes("show", long_line).stdout.splitlines()[0] == "x" * 80  # the page's first 80


def test_a_title_alone_makes_a_note(notes: Notes, logged_in: str) -> None:
    added = notes("add", "--title", "Call the plumber")
    assert added.exit_code == 0, added.output
    stored = stored_note(notes, added.stdout.strip())
    assert (stored["title"], stored["content"]) == ("Call the plumber", "")
    piped = notes("add", "--title", "With text", input="from stdin\n")
    assert stored_note(notes, piped.stdout.strip())["content"] == "from stdin\n"
    # Nothing at all is no note.
    assert_one_line_error(notes("add", "--title", "   "), "no content")
    assert len(api_call(notes, "GET", "/notes").json()["notes"]) == 2


def test_ls_shows_a_header_when_each_note_was_made_and_which_have_a_file(
    notes: Notes, logged_in: str, tmp_path: Path
) -> None:
    with_file = notes("add", "has a file").stdout.strip()
    without = notes("add", "has none", "--tag", "plain").stdout.strip()
    (tmp_path / "a.txt").write_text("some text")
    assert notes("attach", with_file, str(tmp_path / "a.txt")).exit_code == 0
    assert notes("edit", without, "--title", "Changed later").exit_code == 0
    stored = {note_id: stored_note(notes, note_id) for note_id in (with_file, without)}
    assert all(note["updatedAt"] != note["createdAt"] for note in stored.values())

    lines = listed(notes)
    assert list(lines) == [without, with_file]  # newest first, by creation
    for note_id, line in lines.items():
        assert line.split()[1] == stored[note_id]["createdAt"]
        assert stored[note_id]["updatedAt"] not in line
    assert lines[with_file].split()[2] == "file"
    assert lines[without].split()[2] == "-"
    assert lines[without].endswith("  Changed later  [plain]")


def test_an_edit_refused_for_a_change_meanwhile_keeps_the_new_content(
    notes: Notes, logged_in: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    note_id = notes("add", "original").stdout.strip()
    monkeypatch.chdir(tmp_path)
    someone_else_writes_after_the_first_read(notes, monkeypatch)
    text = "my long\nnew text\n"
    line = assert_one_line_error(
        notes("edit", note_id, "--content", "-", input=text),
        f"note {note_id} changed since it was read (it is now at version 2), so your edit was not saved",
        f"your new content is kept in notes-unsaved-{note_id}.txt",
    )
    assert "version 1" not in line
    kept = tmp_path / f"notes-unsaved-{note_id}.txt"
    assert kept.read_text() == text
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    stored = stored_note(notes, note_id)
    assert (stored["content"], stored["version"]) == ("original", 2)
    # A second refusal never overwrites the first one's file.
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    someone_else_writes_after_the_first_read(notes, monkeypatch)
    assert_one_line_error(
        notes("edit", note_id, "--content", "again"), f"kept in notes-unsaved-{note_id}-2.txt", "version 3"
    )
    assert kept.read_text() == text
    assert (tmp_path / f"notes-unsaved-{note_id}-2.txt").read_text() == "again"


def test_rm_moves_to_the_trash_without_asking_and_says_how_to_undo(notes: Notes, logged_in: str) -> None:
    note_id = notes("add", "keep me").stdout.strip()
    deleted = notes("rm", note_id)  # no terminal, no --yes: the trash makes it undoable
    assert deleted.exit_code == 0, deleted.output
    assert deleted.stdout == f"moved {note_id} to the trash; notes restore {note_id} brings it back\n"
    assert deleted.stderr == ""
    assert api_call(notes, "GET", f"/notes/{note_id}").status_code == 404
    assert [note["noteId"] for note in api_call(notes, "GET", "/trash").json()["notes"]] == [note_id]
    # --yes, which scripts pass since rm asked first, is still taken.
    other = notes("add", "me too").stdout.strip()
    assert notes("rm", other, "--yes").exit_code == 0
    assert notes("rm", "-y", notes("add", "and me").stdout.strip()).exit_code == 0
    assert len(api_call(notes, "GET", "/trash").json()["notes"]) == 3


def test_ls_shows_the_shortest_start_of_each_id_that_no_other_note_shares(
    notes: Notes, logged_in: str
) -> None:
    ids = [notes("add", f"note {n}").stdout.strip() for n in range(4)]
    assert len({note_id[:8] for note_id in ids}) < len(ids), ids  # made within a minute: 8 are not enough
    shown = shown_ids(notes("ls").stdout)
    assert full_ids(shown, ids) == ids[::-1]
    for start, note_id in zip(shown, ids[::-1], strict=True):
        others = [other for other in ids if other != note_id]
        shared = max(next(n for n in range(36) if other[n] != note_id[n]) for other in others)
        # One character more than the longest start it shares, never ending at a hyphen.
        wanted = note_id[: max(8, shared + 1)]
        wanted = note_id[: len(wanted) + 1] if wanted.endswith("-") else wanted
        assert start == wanted, (start, note_id, others)
        assert len(start) < 36
        # What ls shows, every command takes back.
        assert notes("show", start).stdout.splitlines()[1] == f"  id          {note_id}"
    # The column is as wide as its longest id.
    lines = notes("ls").stdout.splitlines()
    width = max(len(start) for start in shown)
    assert lines[0].startswith("ID" + " " * (width - 2) + "  CREATED (UTC)")
    assert all(line[width : width + 2] == "  " for line in lines)
    # One page alone shows as much as tells its notes from those of the next pages too.
    assert shown_ids(notes("ls", "--limit", "1").stdout) == shown[:1]
    assert shown_ids(notes("search", "note", "--limit", "2").stdout) == shown[:2]


def test_ls_sorted_by_last_change_shows_when_each_note_changed(notes: Notes, logged_in: str) -> None:
    older = notes("add", "older").stdout.strip()
    newer = notes("add", "newer").stdout.strip()
    assert notes("edit", older, "--title", "changed last").exit_code == 0
    stored = {note_id: stored_note(notes, note_id) for note_id in (older, newer)}
    deadline = time.monotonic() + 10  # the order by change is found within a moment (2 s promised)
    while True:
        shown = notes("ls", "--sort", "updated")
        assert shown.exit_code == 0, shown.output
        if full_ids(shown_ids(shown.stdout), [older, newer]) == [older, newer] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    header, *lines = shown.stdout.splitlines()
    assert header.split() == ["ID", "UPDATED", "(UTC)", "FILE", "TITLE", "[TAGS]"]
    assert full_ids(shown_ids(shown.stdout), [older, newer]) == [older, newer]
    assert lines[0].split()[1] == stored[older]["updatedAt"] != stored[older]["createdAt"]
    assert lines[1].split()[1] == stored[newer]["updatedAt"]
    # By creation (the default), the time is when each was made.
    created = notes("ls", "--sort", "created").stdout.splitlines()
    assert created[0].split()[:3] == ["ID", "CREATED", "(UTC)"]
    assert created[2].split()[1] == stored[older]["createdAt"]


def test_a_note_in_the_trash_is_said_to_be_there(notes: Notes, logged_in: str, tmp_path: Path) -> None:
    note_id = notes("add", "milk", "--title", "Groceries").stdout.strip()
    assert notes("rm", note_id).exit_code == 0
    deleted_at = api_call(notes, "GET", "/trash").json()["notes"][0]["deletedAt"]
    restore = f"notes restore {note_id} brings it back"
    line = assert_one_line_error(
        notes("show", note_id), f"could not read note {note_id}: it is in the trash (moved there {deleted_at}"
    )
    assert line.endswith(restore) and "you have no note" not in line
    assert_one_line_error(notes("show", note_id[:13]), f"note {note_id} (Groceries) is not among your notes")
    assert_one_line_error(notes("show", note_id[:13]), "it is in the trash", restore)
    assert_one_line_error(notes("edit", note_id, "--title", "x"), "it is in the trash", restore)
    (tmp_path / "a.txt").write_text("file")
    assert_one_line_error(notes("attach", note_id, str(tmp_path / "a.txt")), "it is in the trash", restore)
    assert_one_line_error(notes("rm", note_id), "it is in the trash", restore)
    # A note that is nowhere is still no note.
    missing = "0193a1e4-7c2b-7d41-9a8e-3f1c2b4d5e6f"
    assert_one_line_error(notes("show", missing), f"you have no note {missing}: check the id with notes ls")
    assert notes("restore", note_id).exit_code == 0
    assert notes("show", note_id).stdout.splitlines()[0] == "Groceries"


def test_a_note_is_named_by_a_unique_prefix_of_its_id(notes: Notes, logged_in: str, tmp_path: Path) -> None:
    first = notes("add", "first", "--title", "First").stdout.strip()
    second = notes("add", "second", "--title", "Second").stdout.strip()
    common = next(first[:n] for n in range(len(first)) if first[n] != second[n])
    assert len(common) >= 8, (first, second)  # ids made a moment apart share their start
    unique = second[: len(common) + 1]

    shown = notes("show", unique)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[0] == "Second"
    assert notes("show", unique.upper()).stdout.splitlines()[0] == "Second"

    ambiguous = assert_one_line_error(notes("show", common), f"{common} starts the ids of 2 notes")
    assert f"{first} (First)" in ambiguous and f"{second} (Second)" in ambiguous
    assert "give more of the id" in ambiguous
    short = notes("show", first[:7])
    assert short.exit_code == 2
    assert_one_line_error(short, "too short to name a note", "at least 8 characters")
    assert_one_line_error(
        notes("show", "ffffffff-ff"), "none of your notes has an id starting with ffffffff-ff"
    )
    assert_one_line_error(notes("show", "not-an-id!"), "'not-an-id!' is not a note id")

    # Every command that takes an ID.
    assert notes("edit", unique, "--title", "Second, edited").exit_code == 0
    assert stored_note(notes, second)["title"] == "Second, edited"
    (tmp_path / "a.txt").write_text("file")
    assert notes("attach", unique, str(tmp_path / "a.txt")).exit_code == 0
    saved = notes("download", unique, "-o", str(tmp_path / "back.txt"))
    assert saved.exit_code == 0, saved.output
    assert (tmp_path / "back.txt").read_text() == "file"
    assert notes("detach", unique, "--yes").exit_code == 0
    assert stored_note(notes, second)["attachment"] is None
    assert_one_line_error(notes("rm", common, "--yes"), "starts the ids of 2 notes")
    assert notes("rm", unique, "--yes").stdout.startswith(f"moved {second} to the trash;")
    assert [note["noteId"] for note in api_call(notes, "GET", "/notes").json()["notes"]] == [first]
