"""The ``notes`` command: sign up, sign in and manage your notes from a terminal.

Every failure is one line on stderr and a non-zero exit status; see ``NotesGroup``.

This module is the group: its global options, its error handling, and the one list of its
commands. The commands themselves are in ``account`` (the user, their session and password, and
deleting the account), ``notes`` (the notes), ``history`` (a note's earlier versions), ``sharing``
(read-only links), ``trash`` (the notes deleted), ``attachments`` (a note's file), ``export``
(everything, as one ZIP) and ``sync`` (what changed).
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import click

from notes_cli import account, attachments, export, history, notes, sharing, sync, trash
from notes_cli.errors import CliError
from notes_cli.state import State


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


@click.group(cls=NotesGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--api", envvar="NOTES_API_URL", show_envvar=True, metavar="URL", help="The API's base URL.")
@click.option("--region", envvar="NOTES_REGION", show_envvar=True, help="The user pool's AWS region.")
@click.option(
    "--user-pool-id", envvar="NOTES_USER_POOL_ID", show_envvar=True, metavar="ID", help="The user pool."
)
@click.option(
    "--client-id",
    envvar="NOTES_CLIENT_ID",
    show_envvar=True,
    metavar="ID",
    help="The app client (on a scoped stage: the CLI's client at the sign-in endpoints).",
)
@click.option(
    "--oauth-domain",
    envvar="NOTES_OAUTH_DOMAIN",
    show_envvar=True,
    metavar="URL",
    help="A scoped stage's sign-in endpoints, e.g. https://PREFIX.auth.REGION.amazoncognito.com; "
    "makes notes login sign in through the browser.",
)
@click.option(
    "--read-only-client-id",
    envvar="NOTES_READ_ONLY_CLIENT_ID",
    show_envvar=True,
    metavar="ID",
    help="A scoped stage's read-only app client, for notes login --read-only.",
)
@click.option(
    "--web-url",
    envvar="NOTES_WEB_URL",
    show_envvar=True,
    metavar="URL",
    help="The stage's web app (make deploy prints it as WebUrl), whose config.json holds the "
    "password rules notes signup checks.",
)
@click.option(
    "--ws-url",
    envvar="NOTES_WS_URL",
    show_envvar=True,
    metavar="URL",
    help="The stage's live endpoint, a WebSocket URL (make deploy prints it as WsUrl), which "
    "notes changes --follow stays connected to.",
)
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
def cli(ctx: click.Context, **options: Any) -> None:
    """Use the notes API from the command line.

    \b
    First time:  notes signup EMAIL, notes confirm EMAIL, notes login EMAIL
                 (scoped stages: notes login, in the browser)
    Then:        notes add "text", notes ls, notes show ID, notes edit ID, notes rm ID
    Find:        notes search WORDS, notes ls --tag TAG --sort updated
    History:     notes history ID, notes show ID --version N,
                 notes restore-version ID N
    Sharing:     notes share ID [--days N], notes shares, notes unshare ID
    Files:       notes attach ID FILE, notes download ID, notes detach ID
    Trash:       notes rm ID moves a note there; notes trash, notes restore ID,
                 notes purge ID
    Your data:   notes export -o FILE.zip, notes passwd, notes reset-password EMAIL,
                 notes delete-account
    Sync:        notes changes, notes changes --since CURSOR, notes changes --follow

    An ID is a note's id as notes ls shows it, or its first 8 or more characters.
    """
    ctx.obj = State(**options)  # the options above, by name


# Every command, in one place; notes --help lists them by name.
ACCOUNT_COMMANDS = (
    account.signup,
    account.confirm,
    account.login,
    account.logout,
    account.whoami,
    account.passwd,
    account.reset_password,
    account.delete_account,
)
NOTE_COMMANDS = (notes.add, notes.list_command, notes.search, notes.show, notes.edit, notes.rm)
HISTORY_COMMANDS = (history.history_command, history.restore_version)
SHARING_COMMANDS = (sharing.share, sharing.unshare, sharing.shares)
TRASH_COMMANDS = (trash.trash_command, trash.restore, trash.purge)
ATTACHMENT_COMMANDS = (attachments.attach, attachments.download, attachments.detach)
DATA_COMMANDS = (export.export,)
SYNC_COMMANDS = (sync.changes,)
for command in (
    *ACCOUNT_COMMANDS,
    *NOTE_COMMANDS,
    *HISTORY_COMMANDS,
    *SHARING_COMMANDS,
    *TRASH_COMMANDS,
    *ATTACHMENT_COMMANDS,
    *DATA_COMMANDS,
    *SYNC_COMMANDS,
):
    cli.add_command(command)


if __name__ == "__main__":
    cli(prog_name="notes")
