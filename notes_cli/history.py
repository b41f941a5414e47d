"""A note's history: list the versions a note's changes replaced (kept 90 days), and make one of
them the note's text again. ``notes show ID --version N`` shows one (``notes_cli.notes``)."""

from __future__ import annotations

from typing import Any

import click

from notes_cli.api import ApiError, NotesApi
from notes_cli.errors import CliError
from notes_cli.ids import resolve_note_id
from notes_cli.notes import ID_HELP, PAGE_SIZE_FOR_ALL
from notes_cli.output import label, print_json
from notes_cli.state import State, pass_state

# The history's columns: the version, when it was written (UTC), its content's size, its title.
VERSION_WIDTH = 7
TIME_WIDTH = 24
SIZE_WIDTH = 9


def history_header() -> str:
    return f"{'VERSION':>{VERSION_WIDTH}}  {'WRITTEN (UTC)':<{TIME_WIDTH}}  {'SIZE':>{SIZE_WIDTH}}  TITLE"


def history_line(version: dict[str, Any]) -> str:
    """One version of ``notes history``, in the columns of ``history_header``."""
    return (
        f"{version.get('version')!s:>{VERSION_WIDTH}}  {version.get('updatedAt')!s:<{TIME_WIDTH}}  "
        f"{version.get('size')!s:>{SIZE_WIDTH}}  {label(version)}"
    )


def no_version(error: ApiError, note_id: str, version: int) -> CliError:
    """A 404 about the version (the note exists) in the CLI's words; any other error as it is."""
    if error.status == 404 and error.detail.startswith("version "):
        return CliError(
            f"note {note_id} keeps no version {version} (versions are kept 90 days, and the current "
            f"one is the note itself): notes history {note_id} lists them"
        )
    return error


def every_version(api: NotesApi, note_id: str, limit: int = PAGE_SIZE_FOR_ALL) -> list[dict[str, Any]]:
    """Every version of the note kept, newest first."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = api.list_versions(note_id, limit, cursor)
        found.extend(page.get("versions") or [])
        cursor = page.get("nextCursor")
        if not cursor:
            return found


def read_version(api: NotesApi, note_id: str, version: int) -> dict[str, Any]:
    """The note as it was at ``version``; raises CliError saying why not."""
    try:
        return api.get_version(note_id, version)
    except ApiError as error:
        raise no_version(error, note_id, version) from error


@click.command(name="history", epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@click.option(
    "--limit", type=click.IntRange(1, 100), help="Versions per page (1-100; the API's default is 20)."
)
@click.option("--all", "all_pages", is_flag=True, help="Follow every page.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {versions, nextCursor}.")
@pass_state
def history_command(state: State, note_id: str, limit: int | None, all_pages: bool, as_json: bool) -> None:
    """List the earlier versions of a note, newest first.

    \b
    Every change of a note's title, content or tags keeps the version it
    replaced, for 90 days. A header, then one line per version: its number,
    when it was written (UTC), its content's size in bytes, and its title.
    notes show ID --version N shows one; notes restore-version ID N makes
    it the note's text again.
    """
    note_id = resolve_note_id(state.api, note_id)
    if all_pages:
        versions, cursor = every_version(state.api, note_id, limit or PAGE_SIZE_FOR_ALL), None
    else:
        page = state.api.list_versions(note_id, limit)
        versions, cursor = list(page.get("versions") or []), page.get("nextCursor")
    if as_json:
        print_json({"versions": versions, "nextCursor": cursor})
        return
    if versions:
        click.echo(history_header())
    for version in versions:
        click.echo(history_line(version))
    if not versions:
        click.echo(f"note {note_id} has no earlier version kept", err=True)
    if cursor:
        click.echo(f"more versions follow: notes history {note_id} --all (or a larger --limit)", err=True)


@click.command(name="restore-version", epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@click.argument("version", metavar="N", type=click.IntRange(min=1))
@pass_state
def restore_version(state: State, note_id: str, version: int) -> None:
    """Make version N of a note its text again.

    The title, content and tags become those of version N; the file stays
    as it is. The text it replaces is kept as a version in turn, so nothing
    is lost: notes history ID lists it.
    """
    note_id = resolve_note_id(state.api, note_id)
    try:
        note = state.api.restore_version(note_id, version)
    except ApiError as error:
        raise no_version(error, note_id, version) from error
    click.echo(f"restored version {version} of {note_id} as version {note.get('version')}: {label(note)}")
