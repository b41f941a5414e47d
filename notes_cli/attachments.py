"""The attachment commands: one file per note, attached, downloaded and detached."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import click

from notes_cli import files
from notes_cli.errors import CliError
from notes_cli.ids import resolve_note_id
from notes_cli.local_files import AlreadyThere, download_target, folder_for, open_upload, save
from notes_cli.notes import ID_HELP, unless_changed
from notes_cli.output import attachment_line, label, printable, progress_bar
from notes_cli.prompts import confirm, yes_option
from notes_cli.state import State, pass_state

DEFAULT_CONTENT_TYPE = "application/octet-stream"


@click.command(epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@pass_state
def attach(state: State, note_id: str, path: Path) -> None:
    """Attach FILE to a note, replacing the file it has.

    The file keeps its name; its type is guessed from the name. It is sent
    straight to the file store, with the progress shown on a terminal.
    """
    with open_upload(path) as (file, size):
        note_id = resolve_note_id(state.api, note_id)
        name = path.name
        content_type = mimetypes.guess_type(name)[0] or DEFAULT_CONTENT_TYPE
        form = state.api.start_upload(note_id, name, content_type, size)
        upload_id = form.get("uploadId")
        if not isinstance(upload_id, str):
            raise CliError(f"the file was not attached to note {note_id}: the upload came without its id")
        upload = files.Upload(form, file, name, content_type)
        with progress_bar(upload.length, f"uploading {printable(name)}") as bar:
            upload.send(state.api.http, bar.update)
    note = state.api.attach(note_id, upload_id)
    attachment = note.get("attachment")
    if not isinstance(attachment, dict):
        raise CliError(
            f"note {note_id} came back without its file after attaching it: see notes show {note_id}"
        )
    click.echo(
        f"attached to {note.get('noteId')} (version {note.get('version')}): {attachment_line(attachment)}"
    )


@click.command(epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    metavar="PATH",
    help="Where to save it: a file, or a folder to save it in under its own name (a PATH ending "
    "in / is a folder, made if missing). Default: its own name, in the current folder.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite a file already there (replaced only once the download is complete).",
)
@pass_state
def download(state: State, note_id: str, output: str | None, force: bool) -> None:
    """Save a note's file. An existing file is never overwritten without --force.

    Saved under its own name, the file never lands outside the folder and is
    never a dot-file: such a name needs -o PATH. Control, format and line
    separator characters in the name are saved as _.
    """
    note_id = resolve_note_id(state.api, note_id)
    link = state.api.download_link(note_id)
    url, name, size = link.get("url"), link.get("name"), link.get("size")
    if not isinstance(url, str) or not isinstance(name, str) or not isinstance(size, int):
        raise CliError(f"could not download the file of note {note_id}: its address, name or size is missing")
    target, replaced, make_folder = download_target(output, name)
    if not force and (target.exists() or target.is_symlink()):
        raise AlreadyThere(target)
    with folder_for(target, make_folder), progress_bar(size, f"downloading {printable(name)}") as bar:
        written = save(
            target, force, lambda file: files.download(state.api.http, url, file, bar.update), size
        )
    renamed = (
        f"; {replaced} hidden character{'s' if replaced != 1 else ''} of its name saved as _"
        if replaced
        else ""
    )
    click.echo(f"saved {printable(str(target))} ({written:,} bytes{renamed})")


@click.command(epilog=ID_HELP)
@click.argument("note_id", metavar="ID")
@yes_option("Remove it")
@pass_state
def detach(state: State, note_id: str, yes: bool) -> None:
    """Remove a note's file.

    At a terminal it asks first; elsewhere it removes the file only with --yes.
    The note is read first, and the file removed only if the note is still at the
    version read, so a file attached meanwhile is never the one removed.
    """
    note_id = resolve_note_id(state.api, note_id)
    note, etag = state.api.get_note(note_id)
    attachment = note.get("attachment")
    if not isinstance(attachment, dict):
        raise CliError(f"note {note_id} has no file to remove")
    name = printable(str(attachment.get("name")))
    confirm(
        f"Remove the file {name} from the note “{label(note)}”?",
        yes=yes,
        not_done=f"the file of note {note_id} was not removed",
    )
    with unless_changed(state.api, note_id, "its file was not removed", "notes detach"):
        state.api.detach(note_id, etag)
    click.echo(f"detached {name} from {note_id}")
