"""The trash's commands: list the notes in the trash, bring one back, or delete one for good.

``notes rm`` moves a note (and its file) to the trash, where it stays 30 days before it is deleted
for good on its own; the trash's notes are in no listing or search of the notes.
"""

from __future__ import annotations

from typing import Any

import click

from notes_cli.api import page_notes
from notes_cli.errors import CliError
from notes_cli.ids import every_trashed, resolve_trashed_id, short_ids
from notes_cli.notes import PAGE_SIZE_FOR_ALL
from notes_cli.output import label, print_json, printable, trash_header, trash_line
from notes_cli.prompts import confirm, need_terminal, yes_option
from notes_cli.state import State, pass_state

TRASHED_ID_HELP = (
    "ID is the note's id as notes trash shows it, or any start of it of 8 or more characters that "
    "starts no other trashed note's id."
)


@click.command(name="trash")
@click.option("--limit", type=click.IntRange(1, 100), help="Notes per page (1-100; the API's default is 20).")
@click.option("--all", "all_pages", is_flag=True, help="Follow every page.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {notes, nextCursor}.")
@pass_state
def trash_command(state: State, limit: int | None, all_pages: bool, as_json: bool) -> None:
    """List the notes in the trash, most recently deleted first.

    \b
    A header, then one line per note: its id (as much of it as tells it
    from the other notes listed, at least 8 characters), when it was deleted (UTC),
    the day (UTC) it is deleted for good, its title and its tags.
    notes restore ID brings one back; notes purge ID deletes it at once.
    """
    if all_pages:
        notes = list(every_trashed(state.api, limit or PAGE_SIZE_FOR_ALL))
        cursor = None
    else:
        page = state.api.list_trash(limit)
        notes, cursor = page_notes(page, "trash"), page.get("nextCursor")
    if as_json:
        print_json({"notes": notes, "nextCursor": cursor})
        return
    # A start unique among one page alone may start a note on another.
    others = list(every_trashed(state.api)) if cursor else []
    shown = short_ids(str(note.get("noteId")) for note in [*notes, *others])
    width = max((len(shown[str(note.get("noteId"))]) for note in notes), default=0)
    if notes:
        click.echo(trash_header(width))
    for note in notes:
        click.echo(trash_line(note, shown[str(note.get("noteId"))], width))
    if not notes:
        click.echo("the trash is empty", err=True)
    if cursor:
        click.echo("more notes follow: notes trash --all (or a larger --limit)", err=True)


@click.command(epilog=TRASHED_ID_HELP)
@click.argument("note_id", metavar="ID")
@pass_state
def restore(state: State, note_id: str) -> None:
    """Bring a note back from the trash, with its file."""
    note_id = resolve_trashed_id(state.api, note_id)
    note = state.api.restore_note(note_id)
    click.echo(f"restored {note.get('noteId')} (version {note.get('version')}): {label(note)}")


@click.command(epilog=TRASHED_ID_HELP)
@click.argument("note_id", metavar="ID")
@yes_option("Delete")
@pass_state
def purge(state: State, note_id: str, yes: bool) -> None:
    """Delete a note in the trash, and its file, for good.

    It cannot be brought back. At a terminal it asks first; elsewhere it
    deletes only with --yes. Left in the trash, a note is deleted for good
    30 days after it was moved there.
    """
    note_id = resolve_trashed_id(state.api, note_id)
    not_done = f"note {note_id} was not deleted for good"
    if not yes:
        need_terminal(not_done)
        note = trashed_note(state, note_id)
        attachment = note.get("attachment")
        with_file = (
            f" and its file {printable(str(attachment.get('name')))}" if isinstance(attachment, dict) else ""
        )
        confirm(f"Delete the note “{label(note)}”{with_file} for good?", yes=False, not_done=not_done)
    state.api.purge_note(note_id)
    click.echo(f"deleted {note_id} for good")


def trashed_note(state: State, note_id: str) -> dict[str, Any]:
    """The note ``note_id`` as the trash lists it; raises CliError when the trash does not hold it."""
    for note in every_trashed(state.api):
        if note.get("noteId") == note_id:
            return note
    raise CliError(f"there is no note {note_id} in your trash: check the id with notes trash")
