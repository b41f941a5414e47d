"""The note commands: add, list, show, edit and delete notes, and reading a note's content."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import click

from notes_cli.api import ApiError, NotesApi
from notes_cli.errors import ChangedMeanwhile, CliError, UsageProblem
from notes_cli.output import attachment_line, print_json, summary, tag_list
from notes_cli.state import State, pass_state

PAGE_SIZE_FOR_ALL = 100


@click.command()
@click.argument("text", required=False)
@click.option("--title", help="A title (at most 200 characters).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag; repeat for more.")
@click.option("--json", "as_json", is_flag=True, help="Print the new note as JSON.")
@pass_state
def add(state: State, text: str | None, title: str | None, tags: tuple[str, ...], as_json: bool) -> None:
    """Add a note. Its content is TEXT, or stdin when TEXT is - or is left out and stdin is a pipe.

    To give it a file, then: notes attach ID FILE.
    """
    fields: dict[str, Any] = {"content": read_content(text)}
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
    click.echo(f"created: {summary(note)}{tag_list(note)} (version {note.get('version')})", err=True)


@click.command(name="ls")
@click.option("--limit", type=click.IntRange(1, 100), help="Notes per page (1-100; the API's default is 20).")
@click.option("--all", "all_pages", is_flag=True, help="Follow every page.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {notes, nextCursor}.")
@pass_state
def list_command(state: State, limit: int | None, all_pages: bool, as_json: bool) -> None:
    """List your notes, newest first.

    One line per note: id, last update, title (or the content's first line) and tags.
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
    for note in notes:
        click.echo(f"{note.get('noteId')}  {note.get('updatedAt')}  {summary(note)}{tag_list(note)}")
    if not notes:
        click.echo("no notes", err=True)
    if cursor:
        click.echo("more notes follow: notes ls --all (or a larger --limit)", err=True)


@click.command()
@click.argument("note_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the note as JSON.")
@pass_state
def show(state: State, note_id: str, as_json: bool) -> None:
    """Show one note."""
    note, _ = state.api.get_note(note_id)
    if as_json:
        print_json(note)
        return
    click.echo(note.get("title") or "(untitled)")
    click.echo(f"  id          {note.get('noteId')}")
    click.echo(f"  tags        {', '.join(note.get('tags') or []) or '-'}")
    click.echo(f"  created     {note.get('createdAt')}")
    click.echo(f"  updated     {note.get('updatedAt')}")
    click.echo(f"  version     {note.get('version')}")
    attachment = note.get("attachment")
    if isinstance(attachment, dict):
        click.echo(f"  attachment  {attachment_line(attachment)}")
    click.echo()
    click.echo(note.get("content", ""))


@click.command()
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
    is still at the version read, so a change made meanwhile is never overwritten.
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
    # Read, then write only if nothing changed in between: If-Match turns a
    # concurrent edit into a 412 instead of silently overwriting it.
    note, etag = state.api.get_note(note_id)
    try:
        updated = state.api.update_note(note_id, fields, etag)
    except ApiError as error:
        if error.status == 412:
            raise ChangedMeanwhile(note) from error
        raise
    click.echo(f"updated {updated.get('noteId')} (version {updated.get('version')})")


@click.command()
@click.argument("note_id", metavar="ID")
@pass_state
def rm(state: State, note_id: str) -> None:
    """Delete a note."""
    state.api.delete_note(note_id)
    click.echo(f"deleted {note_id}")


def read_content(text: str | None) -> str:
    """TEXT itself, or stdin for ``-`` (always) or for no TEXT (when stdin is not a terminal)."""
    if text is not None and text != "-":
        return text
    stdin = sys.stdin
    if text is None and stdin.isatty():
        raise UsageProblem("no content: give TEXT, pipe it in, or use - to type it (end with Ctrl-D)")
    content = stdin.read()
    if text is None and not content:
        raise UsageProblem("no content: stdin was empty")
    return content


def every_note(api: NotesApi, page_size: int) -> Iterator[dict[str, Any]]:
    """Every note, page after page, newest first."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = api.list_notes(page_size, cursor)
        yield from page_notes(page)
        cursor = page.get("nextCursor")
        if not cursor:
            return
        if cursor in seen:
            raise CliError("the API sent the same cursor twice; stopping instead of looping forever")
        seen.add(cursor)


def page_notes(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The notes of a listing page; raises CliError when the page is not shaped as the contract says."""
    notes = page.get("notes")
    if not isinstance(notes, list) or not all(isinstance(note, dict) for note in notes):
        raise CliError("the API sent a listing without a list of notes")
    return notes
