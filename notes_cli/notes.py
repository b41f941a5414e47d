"""The note commands: add, list, show, edit and delete notes, and reading a note's content."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from notes_cli.api import ApiError, NotesApi
from notes_cli.errors import ChangedMeanwhile, UsageProblem
from notes_cli.ids import every_note, page_notes, resolve_note_id
from notes_cli.local_files import keep_unsaved
from notes_cli.output import (
    LIST_HEADER,
    attachment_line,
    label,
    list_line,
    print_json,
    printable,
    tag_list,
)
from notes_cli.prompts import confirm, need_terminal
from notes_cli.state import State, pass_state

PAGE_SIZE_FOR_ALL = 100
# ``notes show`` gives the whole name (a title is at most 200 characters).
WHOLE_LABEL = 1000
ID_HELP = "ID is the note's id, or its first 8 or more characters."


@click.command()
@click.argument("text", required=False)
@click.option("--title", help="A title (at most 200 characters).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag; repeat for more.")
@click.option("--json", "as_json", is_flag=True, help="Print the new note as JSON.")
@pass_state
def add(state: State, text: str | None, title: str | None, tags: tuple[str, ...], as_json: bool) -> None:
    """Add a note. Its content is TEXT, or stdin when TEXT is - or is left out and stdin is a pipe.

    With a --title, the content may be left out: a note may be a title alone.
    To give it a file, then: notes attach ID FILE.
    """
    has_title = title is not None and bool(title.strip())
    fields: dict[str, Any] = {"content": read_content(text, title_given=has_title)}
    if title is not None:
        fields["title"] = title
    if tags:
        fields["tags"] = list(tags)
    note = state.api.create_note(fields)
    if as_json:
        print_json(note)
        return
    # The id alone on stdout, so that id=$(notes add ...) works.
    click.echo(note.get("noteId"))
    click.echo(f"created: {label(note)}{tag_list(note)} (version {note.get('version')})", err=True)


@click.command(name="ls")
@click.option("--limit", type=click.IntRange(1, 100), help="Notes per page (1-100; the API's default is 20).")
@click.option("--all", "all_pages", is_flag=True, help="Follow every page.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {notes, nextCursor}.")
@pass_state
def list_command(state: State, limit: int | None, all_pages: bool, as_json: bool) -> None:
    """List your notes, newest first.

    \b
    A header, then one line per note: its id, when it was made (UTC),
    "file" when it has a file (else -), its title (else the content's
    first line, else "Untitled note") and its tags.
    """
    if all_pages:
        notes = list(every_note(state.api, limit or PAGE_SIZE_FOR_ALL))
        cursor = None
    else:
        page = state.api.list_notes(limit)
        notes, cursor = page_notes(page), page.get("nextCursor")
    if as_json:
        print_json({"notes": notes, "nextCursor": cursor})
        return
    if notes:
        click.echo(LIST_HEADER)
    for note in notes:
        click.echo(list_line(note))
    if not notes:
        click.echo("no notes", err=True)
    if cursor:
        click.echo("more notes follow: notes ls --all (or a larger --limit)", err=True)


@click.command(epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the note as JSON.")
@pass_state
def show(state: State, note_id: str, as_json: bool) -> None:
    """Show one note."""
    note, _ = state.api.get_note(resolve_note_id(state.api, note_id))
    if as_json:
        print_json(note)
        return
    click.echo(label(note, WHOLE_LABEL))
    click.echo(f"  id          {note.get('noteId')}")
    click.echo(f"  tags        {printable(', '.join(note.get('tags') or [])) or '-'}")
    click.echo(f"  created     {note.get('createdAt')}")
    click.echo(f"  updated     {note.get('updatedAt')}")
    click.echo(f"  version     {note.get('version')}")
    attachment = note.get("attachment")
    if isinstance(attachment, dict):
        click.echo(f"  attachment  {attachment_line(attachment)}")
    click.echo()
    click.echo(note.get("content", ""))


@click.command(epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@click.option("--title", help="The new title.")
@click.option("--content", metavar="TEXT|-", help="The new content; - reads it from stdin.")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Replace the tags; repeat for more.")
@click.option("--clear-tags", is_flag=True, help="Remove every tag.")
@pass_state
def edit(
    state: State,
    note_id: str,
    title: str | None,
    content: str | None,
    tags: tuple[str, ...],
    clear_tags: bool,
) -> None:
    """Change some fields of a note.

    Only the given fields change. The note is read first and written only if it
    is still at the version read, so a change made meanwhile is never overwritten:
    the edit is then refused, and new content is kept in a file it names.
    Its file is changed with notes attach and notes detach.
    """
    if tags and clear_tags:
        raise UsageProblem("--tag and --clear-tags contradict each other")
    fields: dict[str, Any] = {}
    if title is not None:
        fields["title"] = title
    if content is not None:
        fields["content"] = read_content(content)
    if tags or clear_tags:
        fields["tags"] = list(tags)
    if not fields:
        raise UsageProblem("nothing to change: give --title, --content, --tag or --clear-tags")
    note_id = resolve_note_id(state.api, note_id)
    # Read, then write only if nothing changed in between: If-Match turns a
    # concurrent edit into a 412 instead of silently overwriting it.
    _, etag = state.api.get_note(note_id)

    def keep() -> str:
        where = keep_unsaved(note_id, fields["content"]) if "content" in fields else None
        return f"; your new content is kept in {where}" if where else ""

    with unless_changed(state.api, note_id, "your edit was not saved", "the edit", keep):
        updated = state.api.update_note(note_id, fields, etag)
    click.echo(f"updated {updated.get('noteId')} (version {updated.get('version')})")


@click.command(epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@click.option(
    "-y", "--yes", is_flag=True, help="Delete without asking (for scripts: needed without a terminal)."
)
@pass_state
def rm(state: State, note_id: str, yes: bool) -> None:
    """Delete a note, and its file if it has one.

    At a terminal it asks first; elsewhere it deletes only with --yes.
    """
    note_id = resolve_note_id(state.api, note_id)
    not_done = f"note {note_id} was not deleted"
    etag = None
    if not yes:
        need_terminal(not_done)  # before anything is read: nobody could be asked
        note, etag = state.api.get_note(note_id)
        attachment = note.get("attachment")
        with_file = (
            f" and its file {printable(str(attachment.get('name')))}" if isinstance(attachment, dict) else ""
        )
        # The note asked about is the one deleted: If-Match refuses it once it has changed.
        confirm(f"Delete the note “{label(note)}”{with_file}?", yes=False, not_done=not_done)
    with unless_changed(state.api, note_id, "it was not deleted", "notes rm"):
        state.api.delete_note(note_id, etag)
    click.echo(f"deleted {note_id}")


@contextmanager
def unless_changed(
    api: NotesApi, note_id: str, not_done: str, again: str, keep: Callable[[], str] = lambda: ""
) -> Iterator[None]:
    """A write made only if the note is still as read: the API's 412 becomes ChangedMeanwhile,
    naming the note's version now, ``not_done`` and ``again``, and where ``keep`` kept the input."""
    try:
        yield
    except ApiError as error:
        if error.status != 412:
            raise
        raise ChangedMeanwhile(note_id, current_version(api, note_id), not_done, again, keep()) from error


def current_version(api: NotesApi, note_id: str) -> Any:
    """The note's version now, or None when it cannot be read."""
    try:
        note, _ = api.get_note(note_id)
    except ApiError:
        return None
    return note.get("version")


def read_content(text: str | None, *, title_given: bool = False) -> str:
    """TEXT itself, or stdin for ``-`` (always) or for no TEXT (when stdin is not a terminal).

    With ``title_given``, no TEXT means no content (``""``) rather than a mistake.
    """
    if text is not None and text != "-":
        return text
    stdin = sys.stdin
    if text is None and stdin.isatty():
        if title_given:
            return ""
        raise UsageProblem(
            "no content: give TEXT or a --title, pipe the content in, or use - to type it (end with Ctrl-D)"
        )
    content = stdin.read()
    if text is None and not content and not title_given:
        raise UsageProblem("no content: stdin was empty (a note needs content or a --title)")
    return content
