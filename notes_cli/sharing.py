"""Read-only links: share a note with anyone who has its link (no account needed), list the notes
shared, and stop a link."""

from __future__ import annotations

from typing import Any

import click

from notes_cli.ids import resolve_note_id
from notes_cli.notes import ID_HELP, PAGE_SIZE_FOR_ALL
from notes_cli.output import print_json
from notes_cli.state import State, pass_state

DEFAULT_DAYS = 30
MAX_DAYS = 365
TIME_WIDTH = 24


@click.command(name="share", epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@click.option(
    "--days",
    type=click.IntRange(1, MAX_DAYS),
    default=DEFAULT_DAYS,
    show_default=True,
    help=f"How many days the link works (1-{MAX_DAYS}).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {shareId, url, expiresAt}.")
@pass_state
def share(state: State, note_id: str, days: int, as_json: bool) -> None:
    """Make a read-only link to a note, and print it.

    Anyone with the link reads the note as it is now (its title, content,
    tags and file) in the web app, without an account, until the link
    expires or notes unshare ID stops it. A note has one link at most:
    sharing it again makes a new one, and the earlier one stops working.
    """
    note_id = resolve_note_id(state.api, note_id)
    earlier = state.api.get_share(note_id)
    link = state.api.share_note(note_id, days)
    if as_json:
        print_json(link)
    else:
        click.echo(link.get("url"))
    if earlier is not None:
        click.echo("the note's earlier link no longer works", err=True)
    click.echo(
        f"anyone with this link can read the note until {link.get('expiresAt')}; "
        f"notes unshare {note_id} stops it",
        err=True,
    )


@click.command(name="unshare", epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@pass_state
def unshare(state: State, note_id: str) -> None:
    """Stop a note's link: from now on it opens nothing."""
    note_id = resolve_note_id(state.api, note_id)
    state.api.stop_sharing(note_id)
    click.echo(f"the link of {note_id} no longer works")


@click.command(name="shares")
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON: {notes: [{noteId, shareId, url, expiresAt}]}."
)
@pass_state
def shares(state: State, as_json: bool) -> None:
    """List your notes that have a live link.

    \b
    A header, then one line per link: the note's id, when the link
    expires (UTC) and the link itself.
    """
    links = every_link(state)
    if as_json:
        print_json({"notes": links})
        return
    if links:
        width = max(len(str(link.get("noteId"))) for link in links)
        click.echo(f"{'ID':<{width}}  {'EXPIRES (UTC)':<{TIME_WIDTH}}  LINK")
    for link in links:
        click.echo(
            f"{link.get('noteId')!s:<{width}}  {link.get('expiresAt')!s:<{TIME_WIDTH}}  {link.get('url')}"
        )
    if not links:
        click.echo("no note has a live link", err=True)


def every_link(state: State) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = state.api.list_shares(PAGE_SIZE_FOR_ALL, cursor)
        found.extend(page.get("notes") or [])
        cursor = page.get("nextCursor")
        if not cursor:
            return found
