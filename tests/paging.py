"""Walking a paged listing (``notes`` and ``nextCursor``) to its end, whoever serves it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def pages(read: Callable[[dict[str, str]], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every page, from the first to the one whose ``nextCursor`` is null. ``read`` gets the query
    parameters to add (none for the first page, then ``cursor``). A page after a cursor is never empty."""
    page = read({})
    yield page
    while page["nextCursor"] is not None:
        page = read({"cursor": page["nextCursor"]})
        assert page["notes"], "a page after a non-null cursor is never empty"
        yield page


def walked_ids(read: Callable[[dict[str, str]], dict[str, Any]]) -> list[str]:
    """The note ids of every page, in order; each note comes exactly once."""
    seen = [note["noteId"] for page in pages(read) for note in page["notes"]]
    assert len(seen) == len(set(seen)), "every note exactly once"
    return seen
