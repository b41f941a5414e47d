"""``notes changes``: what changed in your notes, from any device, after a cursor.

The command prints one line per change (when, the note's id, its title or "deleted") and, on
stderr, the cursor to pass next time, so that a script can keep a copy of the notes in step.
"""

from __future__ import annotations

from typing import Any

import click

from notes_cli.api import ApiError
from notes_cli.errors import CliError
from notes_cli.output import TIME_WIDTH, label, print_json
from notes_cli.state import State, pass_state

# The id as a change line shows it: enough to tell notes apart, and to paste into notes show.
SHOWN_ID_CHARS = 13
DELETED = "deleted"


def change_line(change: dict[str, Any]) -> str:
    """One change: when (UTC), the note's id (its first characters), its title or "deleted"."""
    note = change.get("note")
    what = label(note) if isinstance(note, dict) else DELETED
    shown_id = str(change.get("noteId"))[:SHOWN_ID_CHARS]
    return f"{change.get('changedAt')!s:<{TIME_WIDTH}}  {shown_id:<{SHOWN_ID_CHARS}}  {what}"


@click.command(name="changes")
@click.option(
    "--since",
    metavar="CURSOR",
    help="The cursor an earlier notes changes printed: only what changed after it. "
    "Without it: every note you have, then what changed.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {changes, cursor}.")
@pass_state
def changes(state: State, since: str | None, as_json: bool) -> None:
    """What changed in your notes, from any device, in the order it changed.

    \b
    One line per change: when it changed (UTC), the note's id (its start,
    enough for notes show), and its title, or "deleted" for a note moved to the
    trash or deleted for good. A note is shown once, as it is now.
    Then, on stderr, the cursor: notes changes --since CURSOR shows only what
    changed after this run.
    """
    found: list[dict[str, Any]] = []
    cursor = since
    while True:
        try:
            page = state.api.changes(cursor)
        except ApiError as error:
            if error.code == "ResyncRequired":
                raise CliError(
                    "that cursor is more than 30 days old: run notes changes without --since to get "
                    "every note again"
                ) from error
            raise
        by_id = {str(change.get("noteId")): change for change in found}
        for change in page.get("changes") or []:
            by_id.pop(str(change.get("noteId")), None)  # once, at its last change
            by_id[str(change.get("noteId"))] = change
        found = list(by_id.values())
        cursor = str(page.get("cursor"))
        if not page.get("more"):
            break
    if as_json:
        print_json({"changes": found, "cursor": cursor})
        return
    for change in found:
        click.echo(change_line(change))
    if not found:
        click.echo("nothing changed", err=True)
    click.echo(f"cursor: {cursor}  (notes changes --since {cursor} shows what changes next)", err=True)
