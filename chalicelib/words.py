"""Words as search sees them: folded, found by prefix, shown in a snippet.

A word is a maximal run of Unicode letters and digits, taken after folding: compatibility
decomposition (NFKD), every combining mark dropped, case folded. So "Café" holds the word
``cafe``, "Straße" the word ``strasse``, and a word written with marks (Devanagari's vowel signs)
stays one word. A query word matches a note when it is the start of one of the note's words.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable

# The index keys a word by at most this many of its first characters (a key is at most 1,024
# bytes); a longer query word is looked up by its start and checked in full on the note itself.
MAX_KEY_CHARS = 64
SNIPPET_CHARS = 200
# How much of a snippet comes before its first match.
_LEAD_CHARS = 60
# The most of the content a snippet is cut from (white space shrinks when runs become one space).
_WINDOW_CHARS = 4 * SNIPPET_CHARS

_WORD = re.compile(r"[^\W_]+")
_CHUNK = re.compile(r"\S+")
_SPACE = re.compile(r"\s+")


class _WithoutMarks(dict[int, int | None]):
    """A ``str.translate`` table that drops combining marks (category M*), learnt one code point at a time."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code))[0] == "M" else code
        self[code] = kept
        return kept


_WITHOUT_MARKS = _WithoutMarks()


def fold(text: str) -> str:
    """``text`` as matching sees it: NFKD, without combining marks, case folded."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text).translate(_WITHOUT_MARKS).casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return _WORD.findall(fold(text))


def query_words(query: str) -> tuple[str, ...]:
    """The words a note must hold the start of, each once; a word that starts another query word
    is implied by it and dropped (``gro groceries`` asks only for ``groceries``)."""
    found = sorted(set(words(query)), key=len, reverse=True)
    kept: list[str] = []
    for word in found:
        if not any(other.startswith(word) for other in kept):
            kept.append(word)
    return tuple(sorted(kept))


def index_keys(texts: Iterable[str]) -> set[str]:
    """The keys the index holds for a note made of ``texts``: each distinct word, cut to MAX_KEY_CHARS."""
    keys: set[str] = set()
    for text in texts:
        keys.update(word[:MAX_KEY_CHARS] for word in words(text))
    return keys


def lookup_key(word: str) -> str:
    """The start of the index keys a query word can match."""
    return word[:MAX_KEY_CHARS]


class Vocabulary:
    """The words of a note, for asking whether each query word starts one of them."""

    def __init__(self, texts: Iterable[str]) -> None:
        found: set[str] = set()
        for text in texts:
            found.update(words(text))
        self._sorted = sorted(found)

    def has_start(self, prefix: str) -> bool:
        at = bisect_left(self._sorted, prefix)
        return at < len(self._sorted) and self._sorted[at].startswith(prefix)

    def has_all(self, prefixes: Iterable[str]) -> bool:
        return all(self.has_start(prefix) for prefix in prefixes)


def first_match(text: str, prefixes: tuple[str, ...]) -> int | None:
    """Where in ``text`` the first word starting with one of ``prefixes`` begins, or None."""
    for chunk in _CHUNK.finditer(text):
        folded = fold(chunk.group())
        for word in _WORD.finditer(folded):
            if word.group().startswith(prefixes):
                if word.start() == 0:
                    return chunk.start()
                return chunk.start() + _original_offset(chunk.group(), word.start())
    return None


def _original_offset(chunk: str, folded_offset: int) -> int:
    """The offset in ``chunk`` whose folded prefix is ``folded_offset`` characters long.

    Folding keeps lengths character by character (a decomposition's marks may be reordered, never
    moved to another character), so the lengths of each character's folding add up: one pass."""
    length = 0
    for offset, char in enumerate(chunk):
        if length >= folded_offset:
            return offset
        length += len(fold(char))
    return len(chunk)


def snippet(title: str, content: str, prefixes: tuple[str, ...]) -> str:
    """At most SNIPPET_CHARS of plain text: the content around its first match, else the title
    when the title matched (or the note has no content), else the content's start. Runs of white
    space become one space."""
    at = first_match(content, prefixes)
    if at is None:
        if first_match(title, prefixes) is not None or not content.strip():
            return _clipped(_one_line(title), 0)
        return _clipped(_one_line(content[:_WINDOW_CHARS]), 0)
    lead = content[:at]
    start = max(0, len(lead) - _LEAD_CHARS)
    if start:
        space = lead.find(" ", start)  # begin at a word where one is near
        if space != -1 and space < at:
            start = space + 1
    return _clipped(_one_line(content[start : start + _WINDOW_CHARS]), start)


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _clipped(text: str, start: int) -> str:
    before = "…" if start else ""
    room = SNIPPET_CHARS - len(before)
    if len(text) <= room:
        return before + text
    return before + text[: room - 1].rstrip() + "…"
