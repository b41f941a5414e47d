"""How notes and their files are shown: one short line each, as JSON, with progress on a terminal."""

from __future__ import annotations

import json
import sys
import unicodedata
from typing import Any

import click

from notes_cli.errors import one_line

SUMMARY_CHARS = 60


def summary(note: dict[str, Any]) -> str:
    """The title, else the first non-blank line of the content, on one short line."""
    text = note.get("title") or next(
        (line for line in str(note.get("content") or "").splitlines() if line.strip()), ""
    )
    return one_line(text, SUMMARY_CHARS) if text.strip() else "(empty)"


def tag_list(note: dict[str, Any]) -> str:
    """`` [a, b]`` for a note with tags, else nothing."""
    tags = note.get("tags") or []
    return f"  [{', '.join(tags)}]" if tags else ""


def printable(text: str) -> str:
    """``text`` with control characters shown as U+FFFD, so a name cannot move the cursor."""
    return "".join("\ufffd" if unicodedata.category(char) == "Cc" else char for char in text)


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


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))
