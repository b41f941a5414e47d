"""Names of a ZIP's entries that unpack on Linux, macOS and Windows alike.

A file's name is the user's (1 to 255 characters, see ``validation.check_file_name``), but what
one system keeps another refuses: 255 characters can be 1,020 bytes in UTF-8, where Linux and
macOS take 255 bytes a name (``unzip`` stops with "File name too long"); Windows refuses
``<>:"/\\|?*`` and control characters, a name ending in a dot or a space, and device names such
as ``CON`` or ``com1.txt``. Each part of an entry's path is therefore made safe: those characters
replaced by ``_``, the trailing dots and spaces dropped, a device name given a leading ``_``, and
a name too long cut on a character boundary, keeping its extension. Windows and macOS ignore
letter case (and macOS the Unicode normal form), so two names made equal that way get a
`` (2)``, `` (3)``… before their extension. The original name is never lost: the note's JSON in
the export keeps it.
"""

from __future__ import annotations

import re
import unicodedata

# Linux and macOS (APFS) take 255 bytes of UTF-8 a name; Windows 255 UTF-16 units, fewer or as many.
MAX_PART_BYTES = 255
# macOS's HFS+ keeps names decomposed (NFD), at most 255 UTF-16 units; a name may grow so.
MAX_PART_UTF16_UNITS = 255
# An extension longer than this is no extension worth keeping whole when a name is cut.
MAX_KEPT_EXTENSION_CHARS = 16
# Characters Windows refuses in a name (besides control characters).
_REFUSED = re.compile(r'[<>:"/\\|?*]')
# Control, format, surrogate and separator characters: invisible, refused, or not encodable.
_INVISIBLE = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))
# Windows' device names, refused with any extension and with trailing spaces or dots.
_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"]
    + [f"{kind}{digit}" for kind in ("COM", "LPT") for digit in "0123456789\u00b9\u00b2\u00b3"]
)


def safe_part(name: str) -> str:
    """``name`` as one part of a path that every system unpacks (never empty, ``.`` or ``..``)."""
    text = _REFUSED.sub("_", name)
    text = "".join("_" if unicodedata.category(char) in _INVISIBLE else char for char in text)
    return _cut(text.rstrip(". ") or "_", "")


def fits(part: str) -> bool:
    """Whether one part of a path is short enough for every system."""
    decomposed = unicodedata.normalize("NFD", part)
    return (
        len(part.encode()) <= MAX_PART_BYTES
        and len(decomposed.encode("utf-16-le")) // 2 <= MAX_PART_UTF16_UNITS
    )


class EntryNames:
    """The names of one archive's entries: each part safe everywhere, no two the same for a
    system that ignores case."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def name(self, folder: str, name: str) -> str:
        """The entry for the file ``name`` under ``folder`` (``""`` or parts ending in ``/``, each
        safe already): ``name`` made safe, and numbered if an entry (or a folder) of that name
        exists already. Its folders are taken from then on, for files and folders alike."""
        base = safe_part(name)
        chosen = base
        number = 1
        while _key(folder + chosen) in self._taken:
            number += 1
            chosen = _cut(base, f" ({number})")
        parts = (folder + chosen).split("/")
        for depth in range(1, len(parts) + 1):
            self._taken.add(_key("/".join(parts[:depth])))
        return folder + chosen


def _cut(name: str, suffix: str) -> str:
    """``name`` with ``suffix`` before its extension, cut on a character boundary to fit, and
    never a device name."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > MAX_KEPT_EXTENSION_CHARS:
        stem, extension = name, ""
    tail = f"{suffix}.{extension}" if extension else suffix
    end = len(stem)
    # Never part a letter from the accents that follow it: a cut falls before a base character.
    while end and (not fits(stem[:end] + tail) or (end < len(stem) and unicodedata.combining(stem[end]))):
        end -= 1
    kept = stem[:end] if tail else stem[:end].rstrip(". ")
    chosen = (kept or "_") + tail
    if _device(chosen):
        return _cut("_" + name, suffix)
    return chosen


def _device(name: str) -> bool:
    return name.split(".", 1)[0].rstrip(" ").upper() in _DEVICES


def _key(path: str) -> str:
    """A path as Windows and macOS compare it: letter case and Unicode's normal form ignored."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", path).casefold())
