"""The attachment commands: one file per note, attached, downloaded and detached."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import click

from notes_cli import files
from notes_cli.api import ApiError
from notes_cli.errors import ChangedMeanwhile, CliError, one_line
from notes_cli.local_files import AlreadyThere, open_upload, safe_file_name, save
from notes_cli.output import attachment_line, printable, progress_bar
from notes_cli.state import State, pass_state

DEFAULT_CONTENT_TYPE = "application/octet-stream"


@click.command()
@click.argument("note_id", metavar="ID")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@pass_state
def attach(state: State, note_id: str, path: Path) -> None:
    """Attach FILE to a note, replacing the file it has.

    The file keeps its name; its type is guessed from the name. It is sent
    straight to the file store, with the progress shown on a terminal.
    """
    with open_upload(path) as (file, size):
        name = path.name
        content_type = mimetypes.guess_type(name)[0] or DEFAULT_CONTENT_TYPE
        form = state.api.start_upload(note_id, name, content_type, size)
        upload_id = form.get("uploadId")
        if not isinstance(upload_id, str):
            raise CliError("the API sent an upload without an uploadId")
        upload = files.Upload(form, file, name, content_type)
        with progress_bar(upload.length, f"uploading {printable(name)}") as bar:
            upload.send(state.api.http, bar.update)
    note = state.api.attach(note_id, upload_id)
    attachment = note.get("attachment")
    if not isinstance(attachment, dict):
        raise CliError("the API answered the attach without the note's attachment")
    click.echo(
        f"attached to {note.get('noteId')} (version {note.get('version')}): {attachment_line(attachment)}"
    )


@click.command()
@click.argument("note_id", metavar="ID")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Where to save it: a file, or a folder to save it in under its own name. "
    "Default: its own name, in the current folder.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite a file already there (replaced only once the download is complete).",
)
@pass_state
def download(state: State, note_id: str, output: Path | None, force: bool) -> None:
    """Save a note's file. An existing file is never overwritten without --force."""
    link = state.api.download_link(note_id)
    url, name, size = link.get("url"), link.get("name"), link.get("size")
    if not isinstance(url, str) or not isinstance(name, str) or not isinstance(size, int):
        raise CliError("the API sent a download without a URL, a name or a size")
    target = output if output is not None and not output.is_dir() else None
    if target is None:
        if not safe_file_name(name):
            raise CliError(
                f"choose where to save it with -o PATH: the file's name {one_line(repr(name), 60)} "
                "is not a safe file name here"
            )
        target = (output or Path()) / name
    if not force and (target.exists() or target.is_symlink()):
        raise AlreadyThere(target)
    with progress_bar(size, f"downloading {printable(name)}") as bar:
        written = save(
            target, force, lambda file: files.download(state.api.http, url, file, bar.update), size
        )
    click.echo(f"saved {target} ({written:,} bytes)")


@click.command()
@click.argument("note_id", metavar="ID")
@pass_state
def detach(state: State, note_id: str) -> None:
    """Remove a note's file.

    The note is read first, and the file removed only if the note is still at the
    version read, so a file attached meanwhile is never the one removed.
    """
    note, etag = state.api.get_note(note_id)
    attachment = note.get("attachment")
    if not isinstance(attachment, dict):
        raise CliError(f"note {note_id} has no attachment")
    try:
        state.api.detach(note_id, etag)
    except ApiError as error:
        if error.status == 412:
            raise ChangedMeanwhile(note) from error
        raise
    click.echo(f"detached {printable(str(attachment.get('name')))} from {note_id}")
