"""Walking a paged listing (``notes`` and ``nextCursor``) to its end, whoever serves it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def pages(read: Callable[[dict[str, str]], dict[str, Any]], items: str = "notes") -> Iterator[dict[str, Any]]:
    """Every page, from the first to the one whose ``nextCursor`` is null. ``read`` gets the query
    parameters to add (none for the first page, then ``cursor``). A page after a cursor is never
    empty (of its ``items``: a listing's notes, a history's versions)."""
    page = read({})
    yield page
    while page["nextCursor"] is not None:
        page = read({"cursor": page["nextCursor"]})
        assert page[items], "a page after a non-null cursor is never empty"
        yield page


def walked_ids(read: Callable[[dict[str, str]], dict[str, Any]]) -> list[str]:
    """The note ids of every page, in order; each note comes exactly once."""
    seen = [note["noteId"] for page in pages(read) for note in page["notes"]]
    assert len(seen) == len(set(seen)), "every note exactly once"
    return seen


def every_note(read: Callable[[dict[str, str]], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every note of every page, by id."""
    return {note["noteId"]: note for page in pages(read) for note in page["notes"]}


def feed_pages(
    read: Callable[[dict[str, str]], dict[str, Any]], since: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Every page of the change feed after ``since`` (None: from the start) until ``more`` is false:
    the changes in order, and the last cursor. ``read`` gets the query parameters to add. A note
    comes at most once in an answer."""
    changes: list[dict[str, Any]] = []
    while True:
        page = read({"since": since} if since is not None else {})
        assert set(page) == {"changes", "cursor", "more"}, page
        note_ids = [change["noteId"] for change in page["changes"]]
        assert len(note_ids) == len(set(note_ids)), "a note twice in one answer"
        changes.extend(page["changes"])
        since = page["cursor"]
        if not page["more"]:
            return changes, since


def applied(held: dict[str, dict[str, Any]], changes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A device's copy of the notes, by id, after applying ``changes`` in order."""
    for change in changes:
        if change.get("deleted"):
            held.pop(change["noteId"], None)
        else:
            held[change["noteId"]] = change["note"]
    return held
