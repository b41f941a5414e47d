"""``notes export``: every note, its file and the trash, as one ZIP the API makes in the background.

The API is asked for an export, followed until it is ready (the notes it holds so far shown on a
terminal), and the ZIP is then downloaded straight from the file store through the address the
API hands out, into a temporary file beside the one asked for, which becomes it once complete.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from notes_cli import files
from notes_cli.api import NotesApi
from notes_cli.errors import CliError
from notes_cli.local_files import AlreadyThere, save_whole
from notes_cli.output import count_bar, printable, progress_bar
from notes_cli.state import State, pass_state

# How often the export is asked about while it is made (the contract: every 0.5 to 1 s).
POLL_SECONDS = 0.75
# How long the export may take before the command stops waiting for it.
WAIT_SECONDS = 30 * 60


class Cancelled(CliError):
    """Ctrl-C while the export is made or downloaded; exits as an interrupted command does."""

    exit_code = 130


@click.command()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.zip",
    help="The ZIP to write.",
)
@click.option(
    "--force", is_flag=True, help="Overwrite FILE.zip if it exists (replaced once the download is complete)."
)
@pass_state
def export(state: State, output: Path, force: bool) -> None:
    """Download every note, its file and the trash as one ZIP.

    \b
    For each note the ZIP holds ID.md (its title, tags and dates, then
    its content), ID.json (the note as the API sends it) and its file as
    ID/NAME; the notes in the trash are under trash/.
    The API makes it in the background (progress on a terminal); it is
    then saved to FILE.zip, readable by you alone. An existing file is
    never overwritten without --force.
    """
    state.api.session()  # being logged in comes first, as for every command about notes
    if not force and (output.exists() or output.is_symlink()):
        raise AlreadyThere(output)
    folder = output.parent
    if not folder.is_dir():
        raise CliError(f"cannot write {output}: there is no folder {folder}")
    try:
        started = state.api.start_export()
        export_id = started.get("exportId")
        if not isinstance(export_id, str) or not export_id:
            raise CliError("the export was not started: the notes service sent no export id")
        ready = wait_until_ready(state.api, export_id)
        url, size = ready.get("url"), ready.get("size")
        if not isinstance(url, str):
            raise CliError("the export is ready, but the notes service sent no address to download it from")
        size = size if isinstance(size, int) and not isinstance(size, bool) else None
        with progress_bar(size or 0, f"downloading {printable(output.name)}") as bar:
            written = save_whole(
                output, force, lambda file: files.download(state.api.http, url, file, bar.update), size
            )
    except KeyboardInterrupt:
        raise Cancelled(f"export cancelled: nothing was saved to {output}") from None
    held, total = counts(ready)
    held = held if held is not None else total
    notes = f", {held:,} note{'s' if held != 1 else ''}" if held is not None else ""
    click.echo(f"saved {printable(str(output))} ({written:,} bytes{notes})")


def wait_until_ready(
    api: NotesApi,
    export_id: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """The export's status once it is ready, the notes exported so far shown on a terminal as they
    grow; raises CliError when it failed or is not ready within ``WAIT_SECONDS``."""
    deadline = clock() + WAIT_SECONDS
    with ExitStack() as stack:
        bar: Any = None
        shown = 0
        while True:
            status = api.export_status(export_id)
            done, total = counts(status)
            if bar is None and isinstance(total, int) and total > 0:
                bar = stack.enter_context(count_bar(total, "exporting"))
            if bar is not None and isinstance(done, int) and isinstance(total, int):
                now = min(max(done, shown), total)
                bar.update(now - shown, f"{now:,} of {total:,} notes")
                shown = now
            phase = status.get("status")
            if phase == "ready":
                if bar is not None and isinstance(total, int) and shown < total:
                    bar.update(total - shown, f"{total:,} of {total:,} notes")
                return status
            if phase == "failed":
                why = status.get("error")
                raise CliError(
                    f"the export failed: {why}"
                    if why
                    else "the export failed, and the notes service says no more"
                )
            if phase != "pending":
                raise CliError(f"the export is in a state this command does not know: {phase!r}")
            if clock() >= deadline:
                raise CliError(
                    f"the export was not ready within {WAIT_SECONDS // 60} minutes; nothing was saved: "
                    "try notes export again later"
                )
            sleep(POLL_SECONDS)


def counts(status: dict[str, Any]) -> tuple[int | None, int | None]:
    """How many notes an export holds so far, and of how many (None for what is not known yet)."""
    progress = status.get("progress")
    if not isinstance(progress, dict):
        return None, None
    done, total = progress.get("done"), progress.get("total")
    return (
        done if isinstance(done, int) and not isinstance(done, bool) else None,
        total if isinstance(total, int) and not isinstance(total, bool) else None,
    )
