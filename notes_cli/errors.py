"""The one kind of error the CLI shows: a single line on stderr and a non-zero exit."""

from __future__ import annotations

from typing import IO, Any

import click

MAX_MESSAGE_CHARS = 300


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` on one line (whitespace runs collapsed), clipped to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class CliError(click.ClickException):
    """A failure the user can act on; click prints it as ``Error: <message>`` and exits 1."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class NotLoggedIn(CliError):
    """No stored session for this API; ``command`` is how to make one."""

    def __init__(self, command: str = "notes login EMAIL") -> None:
        super().__init__(f"not logged in: run {command} (no account yet: notes signup EMAIL)")


class SessionExpired(CliError):
    """The stored session can no longer be refreshed; ``command`` is how to make a new one."""

    def __init__(self, command: str) -> None:
        super().__init__(f"session expired: run {command}")


class Declined(CliError):
    """The person asked said no, or cancelled: nothing was done, and ``not_done`` says what.

    Not an error: shown as that sentence alone on stderr, without "Error:". The exit status is 1
    all the same, so that a script (or ``&&``) knows the thing was not done.
    """

    def __init__(self, not_done: str) -> None:
        super().__init__(not_done)

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=file is None, file=file)


class AccountDeleted(CliError):
    """The account of the stored session was deleted (the pool no longer knows the user its own
    tokens name): said so, with how to start again."""

    def __init__(self, email: str) -> None:
        super().__init__(
            f"the account {email} was deleted, with everything in it: you are logged out here; "
            f"notes signup {email} makes a new account"
        )


class UsageProblem(CliError):
    """The command line asks for something impossible; exit status 2, as for click's usage errors."""

    exit_code = 2


class ChangedMeanwhile(CliError):
    """A write made only if the note was still as read found it changed: nothing was written.

    ``version`` is the note's version now, ``not_done`` what did not happen, ``kept`` where what the
    user gave is kept (if anywhere), ``again`` the command to run once they have looked.
    """

    def __init__(self, note_id: str, version: Any, not_done: str, again: str, kept: str = "") -> None:
        now = f" (it is now at version {version})" if version is not None else ""
        message = (
            f"note {note_id} changed since it was read{now}, so {not_done}{kept}: "
            f"see it with notes show {note_id}, then run {again} again"
        )
        # Longer than most: it names the note twice, and may name a file.
        click.ClickException.__init__(self, one_line(message, 2 * MAX_MESSAGE_CHARS))
