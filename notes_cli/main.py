"""The ``notes`` command: sign up, sign in and manage your notes from a terminal.

Every failure is one line on stderr and a non-zero exit status; see ``NotesGroup``.
"""

from __future__ import annotations

import errno
import json
import mimetypes
import os
import stat
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

import click

from notes_cli import files
from notes_cli.api import ApiError, NotesApi
from notes_cli.cognito import Cognito
from notes_cli.credentials import CredentialStore, config_dir
from notes_cli.errors import CliError, one_line
from notes_cli.stack import Connection, resolve

SUMMARY_CHARS = 60
PAGE_SIZE_FOR_ALL = 100
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# No stage takes a larger file: one presigned POST carries at most 5 GiB. A stage's own,
# usually lower, limit is the API's to tell (it refuses the upload before any byte is sent).
MAX_FILE_BYTES = 5 * 1024**3
# The longest file name most file systems take, in bytes.
MAX_LOCAL_NAME_BYTES = 255


class UsageProblem(CliError):
    """The command line asks for something impossible; exit status 2, as for click's usage errors."""

    exit_code = 2


class NotesGroup(click.Group):
    """The command group; anything a command did not foresee still ends as one line, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the chosen command, turning unexpected exceptions into a one-line error."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise  # click itself handles a closed pipe (``notes ls | head``)
            raise CliError(f"unexpected error ({type(error).__name__}): {error}") from error
        except Exception as error:
            raise CliError(f"unexpected error ({type(error).__name__}): {error}") from error


class State:
    """The global options, and what they lead to, built only when a command needs it."""

    def __init__(
        self,
        *,
        api: str | None,
        region: str | None,
        user_pool_id: str | None,
        client_id: str | None,
        stack_file: Path | None,
    ) -> None:
        self._api = _text(api)
        self._region = _text(region)
        self._user_pool_id = _text(user_pool_id)
        self._client_id = _text(client_id)
        self._stack_file = stack_file
        self._cognito: Cognito | None = None

    @cached_property
    def connection(self) -> Connection:
        """Where to connect: options and environment over the stack file."""
        return resolve(
            api=self._api,
            region=self._region,
            user_pool_id=self._user_pool_id,
            client_id=self._client_id,
            stack_file=self._stack_file,
            cwd=Path.cwd(),
        )

    @cached_property
    def store(self) -> CredentialStore:
        """The per-user credentials file."""
        return CredentialStore(config_dir())

    @cached_property
    def api(self) -> NotesApi:
        """The API as the signed-in user."""
        return NotesApi(self.connection.require_api(), self.store, self.cognito)

    def cognito(self) -> Cognito:
        """The stage's user pool (the client is made on first use)."""
        if self._cognito is None:
            self._cognito = Cognito(self.connection)
        return self._cognito


def _text(value: str | None) -> str | None:
    # An empty option or variable means "not given", not "the empty string".
    return (value.strip() or None) if value is not None else None


pass_state = click.make_pass_decorator(State)


@click.group(cls=NotesGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--api", envvar="NOTES_API_URL", show_envvar=True, metavar="URL", help="The API's base URL.")
@click.option("--region", envvar="NOTES_REGION", show_envvar=True, help="The user pool's AWS region.")
@click.option(
    "--user-pool-id", envvar="NOTES_USER_POOL_ID", show_envvar=True, metavar="ID", help="The user pool."
)
@click.option("--client-id", envvar="NOTES_CLIENT_ID", show_envvar=True, metavar="ID", help="The app client.")
@click.option(
    "--stack",
    "stack_file",
    envvar="NOTES_STACK_FILE",
    show_envvar=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Connection facts as make run writes them; default: .local/stack.json here, "
    "in a parent folder or in the repository.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    api: str | None,
    region: str | None,
    user_pool_id: str | None,
    client_id: str | None,
    stack_file: Path | None,
) -> None:
    """Use the notes API from the command line.

    \b
    First time:  notes signup EMAIL, notes confirm EMAIL, notes login EMAIL
    Then:        notes add "text", notes ls, notes show ID, notes edit ID, notes rm ID
    Files:       notes attach ID FILE, notes download ID, notes detach ID
    """
    ctx.obj = State(
        api=api, region=region, user_pool_id=user_pool_id, client_id=client_id, stack_file=stack_file
    )


# Accounts.


@cli.command()
@click.argument("email")
@pass_state
def signup(state: State, email: str) -> None:
    """Create an account; EMAIL is the username. Asks for the password twice."""
    cognito = state.cognito()
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if cognito.sign_up(email, password):
        click.echo(f"Signed up {email}, already confirmed. Next: notes login {email}")
    elif state.connection.local:
        click.echo(f"Signed up {email}. Next: notes confirm {email}  (local stack: no code needed)")
    else:
        click.echo(
            f"Signed up {email}. Next: notes confirm {email} --code CODE, with the code sent to {email}"
        )


@cli.command()
@click.argument("email")
@click.option("--code", help="The confirmation code from the email (not needed on the local stack).")
@pass_state
def confirm(state: State, email: str, code: str | None) -> None:
    """Confirm a new account."""
    state.cognito().confirm(email, code.strip() if code else None)
    click.echo(f"Confirmed {email}. Next: notes login {email}")


@cli.command()
@click.argument("email")
@pass_state
def login(state: State, email: str) -> None:
    """Sign in and keep the tokens for this API. Asks for the password."""
    api_url = state.connection.require_api()
    cognito = state.cognito()
    password = click.prompt("Password", hide_input=True)
    session = cognito.log_in(email, password)
    state.store.put(api_url, session)
    click.echo(f"Logged in as {email} at {api_url}")


@cli.command()
@pass_state
def logout(state: State) -> None:
    """Forget the tokens for this API and revoke the refresh token."""
    api_url = state.connection.require_api()
    session = state.store.remove(api_url)
    if session is None:
        click.echo(f"Not logged in at {api_url}")
        return
    try:
        state.cognito().revoke(session.refresh_token)
    except CliError:
        pass  # the tokens are gone from this machine, which is what logging out promises
    click.echo(f"Logged out {session.email} from {api_url}")


@cli.command()
@pass_state
def whoami(state: State) -> None:
    """Show who the API thinks you are."""
    me = state.api.me()
    groups = me.get("groups") or []
    click.echo(f"email    {me.get('email') or '-'}")
    click.echo(f"userId   {me.get('userId')}")
    click.echo(f"groups   {', '.join(groups) if groups else '-'}")
    click.echo(f"api      {state.api.api_url}")


# Notes.


@cli.command()
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


@cli.command(name="ls")
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


@cli.command()
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


@cli.command()
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


@cli.command()
@click.argument("note_id", metavar="ID")
@pass_state
def rm(state: State, note_id: str) -> None:
    """Delete a note."""
    state.api.delete_note(note_id)
    click.echo(f"deleted {note_id}")


# Attachments: one file per note.


@cli.command()
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


@cli.command()
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


@cli.command()
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


# Helpers.


class ChangedMeanwhile(CliError):
    """A write made only if the note was still as read found it changed."""

    def __init__(self, note: dict[str, Any]) -> None:
        super().__init__(
            f"the note changed since you read it (version {note.get('version')}); run the command again"
        )


class AlreadyThere(CliError):
    """A download would overwrite a file."""

    def __init__(self, target: Path) -> None:
        super().__init__(
            f"{target} already exists: pass --force to overwrite it, or -o PATH to save elsewhere"
        )


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


@contextmanager
def open_upload(path: Path) -> Iterator[tuple[BinaryIO, int]]:
    """A regular, non-empty file opened for reading, and its size; raises CliError before any upload."""
    try:
        # Stat first: opening a FIFO would wait for a writer.
        if not stat.S_ISREG(path.stat().st_mode):
            raise CliError(f"{path} is not a regular file")
        file = path.open("rb")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or error}") from error
    with file:
        size = os.fstat(file.fileno()).st_size
        if size == 0:
            raise CliError(f"{path} is empty: a note's file holds 1 byte or more")
        if size > MAX_FILE_BYTES:
            raise CliError(f"{path} is {size:,} bytes: no file over {MAX_FILE_BYTES:,} bytes can be attached")
        yield file, size


def save(target: Path, force: bool, fetch: Callable[[BinaryIO], int], size: int) -> int:
    """Write what ``fetch(file)`` writes to ``target``; check it is ``size`` bytes; its size.

    Without ``force`` the file is created only if nothing is there; with it, the download goes
    to a temporary file beside it that replaces ``target`` once complete. A failed download
    leaves nothing behind.
    """
    try:
        if force:
            descriptor, temporary = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=".part"
            )
            os.fchmod(descriptor, 0o666 & ~current_umask())
            file: BinaryIO = os.fdopen(descriptor, "wb")
            partial = Path(temporary)
        else:
            file = target.open("xb")
            partial = target
    except FileExistsError as error:
        raise AlreadyThere(target) from error
    except OSError as error:
        raise CliError(f"cannot write {target}: {error.strerror or error}") from error
    try:
        with file:
            written = fetch(file)
        if written != size:
            raise CliError(
                f"the download holds {written:,} bytes, not the {size:,} of the file; run it again"
            )
        if force:
            os.replace(partial, target)
    except OSError as error:  # the network's errors are CliErrors already: this is the disk
        partial.unlink(missing_ok=True)
        raise CliError(f"cannot write {target}: {error.strerror or error}") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def safe_file_name(name: str) -> bool:
    """Whether ``name`` is one plain file name here: not empty, ``.`` or ``..``, no separator,
    no control character, and short enough for the file system."""
    if name in ("", ".", ".."):
        return False
    separators = {"/", "\\", os.sep, *(os.altsep or "")}
    if any(char in separators or unicodedata.category(char) == "Cc" for char in name):
        return False
    try:
        return len(os.fsencode(name)) <= MAX_LOCAL_NAME_BYTES
    except UnicodeError:
        return False


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


if __name__ == "__main__":
    cli(prog_name="notes")
