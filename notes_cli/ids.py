"""A note named on the command line: its whole id, or the first characters of it.

A whole id (36 characters, as ``notes ls`` shows it) is used as given. A shorter one, of at least
``MIN_PREFIX_CHARS`` characters, is looked up among the user's notes (or, for the trash's
commands, among the notes in the trash): it must start exactly one note's id. Ids are made in time
order, so notes made within the same minute or so share their first 8 characters; a prefix that
starts several ids is refused, naming them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from notes_cli.api import NotesApi, every_listed, in_trash
from notes_cli.errors import CliError, UsageProblem, one_line
from notes_cli.output import label

MIN_PREFIX_CHARS = 8
ID_CHARS = 36
# The most matches an ambiguous prefix names.
NAMED_MATCHES = 3
PAGE_SIZE = 100
_WHOLE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PREFIX = re.compile(r"[0-9a-f-]+")


class NoMatch(CliError):
    """No note's id starts with ``prefix``."""

    def __init__(self, prefix: str, message: str) -> None:
        self.prefix = prefix
        super().__init__(message)


def resolve_note_id(api: NotesApi, given: str) -> str:
    """The id of the one note ``given`` names; raises CliError naming what is wrong.

    Being logged in comes first, as for every command about notes.
    """
    try:
        return _resolve(api, given, lambda: every_note(api), "your notes", "notes ls")
    except NoMatch as error:
        trashed = [
            note for note in every_trashed(api) if str(note.get("noteId", "")).startswith(error.prefix)
        ]
        if len(trashed) != 1:
            raise
        note = trashed[0]
        not_here = f"note {note.get('noteId')} ({label(note, 24)}) is not among your notes"
        raise CliError(in_trash(note, not_here)) from None


def resolve_trashed_id(api: NotesApi, given: str) -> str:
    """The id of the one note in the trash ``given`` names; raises CliError naming what is wrong."""
    return _resolve(api, given, lambda: every_trashed(api), "the notes in your trash", "notes trash")


def _resolve(
    api: NotesApi, given: str, candidates: Callable[[], Iterable[dict[str, Any]]], among: str, listing: str
) -> str:
    api.session()
    wanted = given.strip().lower()
    if _WHOLE_ID.fullmatch(wanted):
        return wanted
    shown = one_line(repr(given), 60)
    if len(wanted) > ID_CHARS or not _PREFIX.fullmatch(wanted):
        raise UsageProblem(
            f"{shown} is not a note id: an id is like 0193a1e4-7c2b-7d41-… ({listing} shows them)"
        )
    if len(wanted) < MIN_PREFIX_CHARS:
        raise UsageProblem(
            f"{shown} is too short to name a note: give at least {MIN_PREFIX_CHARS} characters of its id"
        )
    matches = [note for note in candidates() if str(note.get("noteId", "")).startswith(wanted)]
    if not matches:
        raise NoMatch(wanted, f"none of {among} has an id starting with {wanted}: check it with {listing}")
    if len(matches) > 1:
        named = ", ".join(f"{note.get('noteId')} ({label(note, 24)})" for note in matches[:NAMED_MATCHES])
        more = f" and {len(matches) - NAMED_MATCHES} more" if len(matches) > NAMED_MATCHES else ""
        raise CliError(f"{wanted} starts the ids of {len(matches)} notes, {named}{more}: give more of the id")
    return str(matches[0]["noteId"])


def short_ids(ids: Iterable[str]) -> dict[str, str]:
    """Each id's shortest start that no other of ``ids`` shares, of at least ``MIN_PREFIX_CHARS``
    characters: what a listing shows, and what every command taking an ID takes back.

    Ids made a minute or more apart differ in their first 8 characters; closer ones need more.
    A start never ends at a hyphen (every id has one there, so it tells nothing).
    """
    ordered = sorted(set(ids))
    shown: dict[str, str] = {}
    for index, note_id in enumerate(ordered):
        neighbours = ordered[max(0, index - 1) : index] + ordered[index + 1 : index + 2]
        shared = max((_common_length(note_id, other) for other in neighbours), default=0)
        length = max(MIN_PREFIX_CHARS, shared + 1)
        while length < len(note_id) and note_id[length - 1] == "-":
            length += 1
        shown[note_id] = note_id[:length]
    return shown


def _common_length(first: str, second: str) -> int:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length


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
    return every_listed(
        lambda cursor: api.list_notes(page_size, cursor, query=query, tag=tag, sort=sort), "notes"
    )


def every_trashed(api: NotesApi, page_size: int = PAGE_SIZE) -> Iterator[dict[str, Any]]:
    """Every note in the trash, page after page, most recently deleted first."""
    return every_listed(lambda cursor: api.list_trash(page_size, cursor), "trash")
