"""A note named on the command line: its whole id, or the first characters of it.

A whole id (36 characters, as ``notes ls`` shows it) is used as given. A shorter one, of at least
``MIN_PREFIX_CHARS`` characters, is looked up among the user's notes: it must start exactly one
note's id. Ids are made in time order, so notes made within the same minute or so share their
first 8 characters; a prefix that starts several ids is refused, naming them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from notes_cli.api import NotesApi
from notes_cli.errors import CliError, UsageProblem, one_line
from notes_cli.output import label

MIN_PREFIX_CHARS = 8
ID_CHARS = 36
# The most matches an ambiguous prefix names.
NAMED_MATCHES = 3
PAGE_SIZE = 100
_WHOLE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PREFIX = re.compile(r"[0-9a-f-]+")


def resolve_note_id(api: NotesApi, given: str) -> str:
    """The id of the one note ``given`` names; raises CliError naming what is wrong.

    Being logged in comes first, as for every command about notes.
    """
    api.session()
    wanted = given.strip().lower()
    if _WHOLE_ID.fullmatch(wanted):
        return wanted
    shown = one_line(repr(given), 60)
    if len(wanted) > ID_CHARS or not _PREFIX.fullmatch(wanted):
        raise UsageProblem(
            f"{shown} is not a note id: an id is like 0193a1e4-7c2b-7d41-… (notes ls shows them)"
        )
    if len(wanted) < MIN_PREFIX_CHARS:
        raise UsageProblem(
            f"{shown} is too short to name a note: give at least {MIN_PREFIX_CHARS} characters of its id"
        )
    matches = [note for note in every_note(api) if str(note.get("noteId", "")).startswith(wanted)]
    if not matches:
        raise CliError(f"none of your notes has an id starting with {wanted}: check it with notes ls")
    if len(matches) > 1:
        named = ", ".join(f"{note.get('noteId')} ({label(note, 24)})" for note in matches[:NAMED_MATCHES])
        more = f" and {len(matches) - NAMED_MATCHES} more" if len(matches) > NAMED_MATCHES else ""
        raise CliError(f"{wanted} starts the ids of {len(matches)} notes, {named}{more}: give more of the id")
    return str(matches[0]["noteId"])


def every_note(
    api: NotesApi,
    page_size: int = PAGE_SIZE,
    *,
    query: str | None = None,
    tag: str | None = None,
    sort: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Every note, page after page, newest first; or every one a search finds, in its order
    (``query``, ``tag`` and ``sort`` as ``NotesApi.list_notes`` takes them)."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = api.list_notes(page_size, cursor, query=query, tag=tag, sort=sort)
        yield from page_notes(page)
        cursor = page.get("nextCursor")
        if not cursor:
            return
        if cursor in seen:
            raise CliError("the listing of your notes came back to a page it had sent; stopping there")
        seen.add(cursor)


def page_notes(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The notes of a listing page; raises CliError when the page is not shaped as the contract says."""
    notes = page.get("notes")
    if not isinstance(notes, list) or not all(isinstance(note, dict) for note in notes):
        raise CliError("could not list your notes: the notes service sent a listing without a list of notes")
    return notes
