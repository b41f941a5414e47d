"""Finding notes: ``notes search WORDS`` and ``notes ls --tag --sort``, against the real local stack.

The search index follows writes a moment later (locally within about 100 ms; the API promises
2 seconds), so a test that has just written asks again, for up to 2 seconds, until what it expects
is shown, and only then asserts.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import Result

from notes_cli.output import SNIPPET_INDENT
from tests.conftest import PASSWORD
from tests.notes_cli.helpers import Notes, assert_one_line_error, create_user
from tests.stack import Stack

# The API's promise: a write is found by a search that starts this long after it.
FOUND_WITHIN_SECONDS = 2.0
POLL_SECONDS = 0.05


def shown(result: Result) -> list[tuple[str, str | None]]:
    """The notes a listing printed, in order: each id as shown (its start), with the snippet line
    under it (or None)."""
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    if not lines:
        return []
    assert lines[0].split()[:3] in (["ID", "CREATED", "(UTC)"], ["ID", "UPDATED", "(UTC)"]), result.stdout
    found: list[tuple[str, str | None]] = []
    for line in lines[1:]:
        if line.startswith(SNIPPET_INDENT):
            assert found and found[-1][1] is None, result.stdout  # one snippet, under its note
            found[-1] = (found[-1][0], line[len(SNIPPET_INDENT) :])
        else:
            found.append((line.split()[0], None))
    return found


def shown_ids(result: Result) -> list[str]:
    return [note_id for note_id, _ in shown(result)]


def lists(result: Result, expected: list[str]) -> bool:
    """Whether the listing shows the notes ``expected`` (whole ids), in that order."""
    starts = shown_ids(result)
    return len(starts) == len(expected) and all(
        len(start) >= 8 and note_id.startswith(start) for start, note_id in zip(starts, expected, strict=True)
    )


def shows(notes: Notes, *args: str, expected: list[str]) -> Result:
    """``notes ARGS...`` asked again until it lists exactly ``expected``, in that order, or until
    FOUND_WITHIN_SECONDS have passed; then asserts that it does."""
    deadline = time.monotonic() + FOUND_WITHIN_SECONDS
    while True:
        result = notes(*args)
        if result.exit_code != 0 or lists(result, expected) or time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    assert lists(result, expected), (result.output, expected)
    return result


def add(notes: Notes, *args: str) -> str:
    """``notes add ARGS...``: the new note's id."""
    added = notes("add", *args)
    assert added.exit_code == 0, added.output
    return added.stdout.strip()


def other_user(notes: Notes, local_stack: Stack, tmp_path: Path) -> Notes:
    """The CLI of a second user, logged in with a config directory of its own."""
    other = Notes(notes.api_url, notes.stack_file, tmp_path / "other-config")
    assert other("login", create_user(local_stack), input=PASSWORD + "\n").exit_code == 0
    return other


def test_search_finds_word_starts_ignoring_case_and_accents(
    notes: Notes, logged_in: str, tmp_path: Path
) -> None:
    groceries = add(notes, "Milk, eggs and a Café crème", "--title", "Groceries", "--tag", "Home")
    dessert = add(notes, "Creme brulee for Sunday")
    (tmp_path / "receipt-march.pdf").write_bytes(b"%PDF-1.4 a receipt")
    assert notes("attach", dessert, str(tmp_path / "receipt-march.pdf")).exit_code == 0

    shows(notes, "search", "gro", expected=[groceries])  # the start of a title's word
    shows(notes, "search", "RECEIPT", expected=[dessert])  # of the file's name, in capitals
    shows(notes, "search", "cafe", expected=[groceries])  # without the accent
    shows(notes, "search", "CRÈME", expected=[dessert, groceries])  # with one the note lacks
    shows(notes, "search", "hom", expected=[groceries])  # the start of a tag
    # Every word must be found, and the words may be one argument or several.
    shows(notes, "search", "crem", "milk", expected=[groceries])
    shows(notes, "search", "crem milk", expected=[groceries])
    shows(notes, "search", "creme", "sun", expected=[dessert])
    # A word is found only by its start.
    shows(notes, "search", "ilk", expected=[])


def test_search_shows_the_text_around_the_match_under_each_note(notes: Notes, logged_in: str) -> None:
    filler = "lorem ipsum dolor sit amet " * 8
    deep = add(notes, filler + "the harbour\nplan for   spring " + filler, "--title", "Long one")
    unsafe = add(notes, "harbour \x1b[2J lights \u202eevil", "--title", "Escapes")

    result = shows(notes, "search", "harbour", expected=[unsafe, deep])
    snippets = {note_id: snippet for (_, snippet), note_id in zip(shown(result), [unsafe, deep], strict=True)}
    around = snippets[deep]
    assert around is not None and around.startswith("…") and "the harbour plan for spring" in around
    assert len(around) <= 200
    # The note's own characters never reach the terminal: no escape, no reordering.
    assert snippets[unsafe] == "harbour \ufffd[2J lights \ufffdevil"
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    # ls, which finds nothing, shows no snippet.
    assert all(snippet is None for _, snippet in shown(notes("ls")))

    as_json = json.loads(notes("search", "harbour", "--json").stdout)
    assert [note["noteId"] for note in as_json["notes"]] == [unsafe, deep]
    assert "\x1b[2J" in as_json["notes"][0]["snippet"]  # JSON carries the text as it is
    assert as_json["nextCursor"] is None


def test_search_and_ls_keep_a_tag_and_sort_by_last_change(notes: Notes, logged_in: str) -> None:
    first = add(notes, "plan the trip", "--tag", "work")
    second = add(notes, "plan the budget", "--tag", "Work")
    third = add(notes, "plan the garden", "--tag", "home")
    assert notes("edit", first, "--title", "Trip, changed").exit_code == 0

    shows(notes, "search", "plan", expected=[third, second, first])  # newest made first
    shows(notes, "search", "plan", "--sort", "created", expected=[third, second, first])
    shows(notes, "search", "plan", "--sort", "updated", expected=[first, third, second])
    shows(notes, "search", "plan", "--tag", "WORK", expected=[second, first])  # capitals do not matter
    shows(notes, "search", "plan", "--tag", "work", "--sort", "updated", expected=[first, second])

    shows(notes, "ls", "--tag", "work", expected=[second, first])
    shows(notes, "ls", "--sort", "updated", expected=[first, third, second])
    shows(notes, "ls", "--sort", "updated", "--tag", "work", expected=[first, second])
    shows(notes, "ls", "--tag", "wor", expected=[])  # a tag is matched whole


def test_search_pages_to_the_end(notes: Notes, logged_in: str) -> None:
    ids = [add(notes, f"page {n} of the walk") for n in range(3)]
    add(notes, "not part of it")
    newest_first = ids[::-1]
    shows(notes, "search", "walk", "--all", expected=newest_first)

    page = shows(notes, "search", "walk", "--limit", "2", expected=newest_first[:2])
    assert page.stderr == "more notes follow: notes search walk --all (or a larger --limit)\n"
    tagged = notes("search", "the", "walk", "--limit", "1", "--sort", "updated")
    assert lists(tagged, newest_first[:1])
    assert "more notes follow: notes search the walk --sort updated --all" in tagged.stderr

    every = notes("search", "walk", "--limit", "1", "--all")
    assert lists(every, newest_first)
    assert every.stderr == ""
    by_change = notes("search", "walk", "--limit", "1", "--all", "--sort", "updated")
    assert lists(by_change, newest_first)

    as_json = json.loads(notes("search", "walk", "--limit", "1", "--all", "--json").stdout)
    assert [note["noteId"] for note in as_json["notes"]] == newest_first
    assert all("walk" in note["snippet"] for note in as_json["notes"])
    assert as_json["nextCursor"] is None
    one_page = json.loads(notes("search", "walk", "--limit", "2", "--json").stdout)
    assert len(one_page["notes"]) == 2 and one_page["nextCursor"]

    # ls pages its tag the same way.
    for note_id in ids:
        assert notes("edit", note_id, "--tag", "walks").exit_code == 0
    shows(notes, "ls", "--tag", "walks", "--limit", "1", "--all", expected=newest_first)
    page = notes("ls", "--tag", "walks", "--limit", "2")
    assert page.stderr == "more notes follow: notes ls --tag walks --all (or a larger --limit)\n"


def test_search_never_shows_another_users_notes(
    notes: Notes, logged_in: str, local_stack: Stack, tmp_path: Path
) -> None:
    mine = add(notes, "the shared secret word", "--tag", "common")
    other = other_user(notes, local_stack, tmp_path)
    theirs = add(other, "their secret word too", "--tag", "common")
    # Both are in the index once each user finds their own.
    shows(other, "search", "secret", expected=[theirs])
    shows(notes, "search", "secret", expected=[mine])
    shows(notes, "search", "secret", "--all", "--sort", "updated", expected=[mine])
    shows(notes, "ls", "--tag", "common", expected=[mine])
    shows(notes, "ls", "--sort", "updated", expected=[mine])
    shows(other, "search", "their", expected=[theirs])
    shows(notes, "search", "their", expected=[])


def test_search_that_finds_nothing_says_so(notes: Notes, logged_in: str) -> None:
    honey = add(notes, "milk and honey", "--tag", "home")
    shows(notes, "search", "milk", expected=[honey])  # the index holds the note: nothing else matches

    none = notes("search", "milk", "tea")
    assert none.exit_code == 0, none.output
    assert (none.stdout, none.stderr) == ("", 'no notes match "milk tea"\n')
    tagged = notes("search", "milk", "--tag", "work")
    assert (tagged.exit_code, tagged.stdout) == (0, "")
    assert tagged.stderr == 'no notes with the tag "work" match "milk"\n'
    untagged = notes("ls", "--tag", "work")
    assert (untagged.exit_code, untagged.stdout, untagged.stderr) == (0, "", 'no notes with the tag "work"\n')
    assert json.loads(notes("search", "tea", "--json").stdout) == {"notes": [], "nextCursor": None}


def test_search_without_a_word_is_refused(notes: Notes, logged_in: str) -> None:
    for query in ("...", "  -- ", ""):
        line = assert_one_line_error(
            notes("search", query),
            "could not search your notes: the search must",
        )
        assert "400" not in line and "query parameter" not in line and "API" not in line
    assert_one_line_error(
        notes("search", "..."),
        "could not search your notes: the search must hold at least one word (letters or digits)",
    )
    assert_one_line_error(
        notes("search", "x" * 201), "could not search your notes: the search must be 1 to 200 characters"
    )
    assert_one_line_error(
        notes("ls", "--tag", "t" * 51), "could not list your notes: the tag must be 1 to 50 characters long"
    )
    # What click can tell by itself is a usage error.
    nothing = notes("search")
    assert nothing.exit_code == 2 and "Missing argument 'WORDS...'" in nothing.stderr
    unknown = notes("ls", "--sort", "title")
    assert unknown.exit_code == 2 and "'title' is not one of 'created', 'updated'" in unknown.stderr
