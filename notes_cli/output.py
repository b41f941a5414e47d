"""How notes and their files are shown: one short line each, as JSON, with progress on a terminal."""

from __future__ import annotations

import json
import sys
import unicodedata
from typing import Any

import click

from notes_cli.errors import one_line

SUMMARY_CHARS = 60
# The web app's rule (web/screens.js, noteLabel): the title, else the content's first non-blank
# line (its first 80 characters), else this.
UNTITLED = "Untitled note"
FIRST_LINE_CHARS = 80
# What JavaScript's String.prototype.trim removes, as the page trims: its white space (Zs among
# them) and line terminators. Python's str.strip differs (it keeps U+FEFF, drops U+001C-U+001F).
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_JS_SPACE += "\u2028\u2029\u202f\u205f\u3000\ufeff"
# Characters that would move the cursor, reorder the text or hide in a terminal.
UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def label(note: dict[str, Any], limit: int = SUMMARY_CHARS) -> str:
    """The note's name as the web app shows it, on one line of at most ``limit`` characters."""
    return one_line(printable(full_label(note)), limit)


def full_label(note: dict[str, Any]) -> str:
    """The title, else the first 80 characters of the content's first non-blank line, else
    "Untitled note": the web app's rule, exactly."""
    title = str(note.get("title") or "").strip(_JS_SPACE)
    if title:
        return title
    lines = str(note.get("content") or "").split("\n")
    first = next((line for line in lines if line.strip(_JS_SPACE)), "")
    return _utf16_prefix(first.strip(_JS_SPACE), FIRST_LINE_CHARS) or UNTITLED


def _utf16_prefix(text: str, units: int) -> str:
    """The start of ``text`` that JavaScript's ``slice(0, units)`` keeps (it counts UTF-16 code
    units), without the half of a character it may cut in two."""
    kept: list[str] = []
    used = 0
    for char in text:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            break
        kept.append(char)
    return "".join(kept)


def tag_list(note: dict[str, Any]) -> str:
    """``  [a, b]`` for a note with tags, else nothing."""
    tags = note.get("tags") or []
    return f"  [{printable(', '.join(str(tag) for tag in tags))}]" if tags else ""


def printable(text: str) -> str:
    """``text`` with control, format and line or paragraph separator characters shown as U+FFFD,
    so that a name can neither move the cursor nor reorder what is shown around it."""
    return "".join(
        "\ufffd" if unicodedata.category(char) in UNPRINTABLE_CATEGORIES else char for char in text
    )


# The listing's columns: id (its shortest unique start), when made (or last changed), a mark for a
# note with a file, then the name and tags.
TIME_WIDTH = 24
FILE_MARK = "file"
# The time a listing shows, by its order: when each note was made, or when it last changed.
TIME_COLUMNS = {"created": ("createdAt", "CREATED (UTC)"), "updated": ("updatedAt", "UPDATED (UTC)")}


def list_header(id_width: int, sort: str | None = None) -> str:
    """The header of ``notes ls`` (and ``search``): UPDATED instead of CREATED when sorted by change."""
    _, title = TIME_COLUMNS[sort or "created"]
    return f"{'ID':<{id_width}}  {title:<{TIME_WIDTH}}  {'FILE':<{len(FILE_MARK)}}  TITLE  [TAGS]"


def list_line(note: dict[str, Any], shown_id: str, id_width: int, sort: str | None = None) -> str:
    """One note of ``notes ls``, in the columns of ``list_header``; ``shown_id`` is its id as shown."""
    field, _ = TIME_COLUMNS[sort or "created"]
    has_file = isinstance(note.get("attachment"), dict)
    mark = FILE_MARK if has_file else "-"
    return (
        f"{shown_id:<{id_width}}  {note.get(field)!s:<{TIME_WIDTH}}  "
        f"{mark:<{len(FILE_MARK)}}  {label(note)}{tag_list(note)}"
    )


# The trash's columns: id, when it was deleted, the day (UTC) it is deleted for good, the name and tags.
PURGE_WIDTH = 10


def trash_header(id_width: int) -> str:
    """The header of ``notes trash``."""
    return f"{'ID':<{id_width}}  {'DELETED (UTC)':<{TIME_WIDTH}}  {'PURGE ON':<{PURGE_WIDTH}}  TITLE  [TAGS]"


def trash_line(note: dict[str, Any], shown_id: str, id_width: int) -> str:
    """One note of ``notes trash``, in the columns of ``trash_header``."""
    purge_on = str(note.get("purgeAt") or "-")[:PURGE_WIDTH]
    return (
        f"{shown_id:<{id_width}}  {note.get('deletedAt')!s:<{TIME_WIDTH}}  "
        f"{purge_on:<{PURGE_WIDTH}}  {label(note)}{tag_list(note)}"
    )


# A found note's snippet goes on the line under it, indented so the ids stand out.
SNIPPET_INDENT = "    "
SNIPPET_CHARS = 200


def snippet_line(note: dict[str, Any]) -> str | None:
    """The text around a found note's first match, indented on one line; None when it has none."""
    snippet = note.get("snippet")
    if not isinstance(snippet, str):
        return None
    shown = printable(one_line(snippet, SNIPPET_CHARS))
    return SNIPPET_INDENT + shown if shown else None


def attachment_line(attachment: dict[str, Any]) -> str:
    """``name  size  type  uploaded at``: a note's file on one line."""
    size = attachment.get("size")
    size_text = f"{size:,} bytes" if isinstance(size, int) else "? bytes"
    return (
        f"{printable(str(attachment.get('name')))}  {size_text}  {attachment.get('contentType')}  "
        f"uploaded {attachment.get('uploadedAt')}"
    )


def progress_bar(length: int, label: str) -> Any:
    """A progress bar on stderr when it is a terminal; nothing at all otherwise (a log or a pipe)."""
    return click.progressbar(length=length, label=label, file=sys.stderr, hidden=not sys.stderr.isatty())


def count_bar(length: int, label: str) -> Any:
    """A progress bar of ``length`` things on stderr when it is a terminal, showing the text each
    update passes as its item (such as "3 of 10 notes"); nothing at all otherwise."""
    return click.progressbar(
        length=length,
        label=label,
        file=sys.stderr,
        hidden=not sys.stderr.isatty(),
        show_percent=False,
        show_eta=False,
        item_show_func=lambda text: text,
    )


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))
