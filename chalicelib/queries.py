"""What a listing asks for beyond a page (``q``, ``tag``, ``sort``), and what a search reads of a note."""

from __future__ import annotations

from typing import NamedTuple

from chalicelib import words
from chalicelib.models import NoteModel

CREATED = "created"
SORTS = (CREATED, "updated")


class Search(NamedTuple):
    """What a listing asks for beyond a page: words (folded), a tag, an order. Made with ``of``, which
    finds the query's words: one made directly holds none, and would match every note."""

    query: str | None = None
    tag: str | None = None
    sort: str = CREATED
    # The query's folded words, found once for the whole search (every note is checked by them).
    words: tuple[str, ...] = ()

    @classmethod
    def of(cls, query: str | None = None, tag: str | None = None, sort: str = CREATED) -> Search:
        """The search for ``query``, with its words, ``tag`` and ``sort``."""
        return cls(query, tag, sort, words.query_words(query) if query is not None else ())

    @property
    def plain(self) -> bool:
        """The listing as it always was: every note, newest made first."""
        return self.query is None and self.tag is None and self.sort == CREATED

    @property
    def binding(self) -> str:
        """What a cursor of this search is bound to: the parameters as given."""
        if self.plain:
            return ""
        return f"q={self.query or ''}\x00tag={self.tag or ''}\x00sort={self.sort}"

    def holds(self, note: NoteModel) -> bool:
        """Whether ``note``, as it is now, answers this search."""
        if self.tag is not None:
            wanted = self.tag.casefold()
            if not any(str(tag).casefold() == wanted for tag in note.tags or []):
                return False
        return not self.words or words.Vocabulary(note_texts(note)).has_all(self.words)


def note_texts(note: NoteModel) -> list[str]:
    """What a search reads of a note: its title, content, tags and the attached file's name."""
    texts = [note.title or "", note.content or "", *(str(tag) for tag in note.tags or [])]
    if note.attachment is not None:
        texts.append(note.attachment.name)
    return texts
