"""The one kind of error the CLI shows: a single line on stderr and a non-zero exit."""

from __future__ import annotations

from typing import Any

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
        super().__init__(f"not logged in: run {command}")


class SessionExpired(CliError):
    """The stored session can no longer be refreshed; ``command`` is how to make a new one."""

    def __init__(self, command: str) -> None:
        super().__init__(f"session expired: run {command}")


class UsageProblem(CliError):
    """The command line asks for something impossible; exit status 2, as for click's usage errors."""

    exit_code = 2


class ChangedMeanwhile(CliError):
    """A write made only if the note was still as read found it changed."""

    def __init__(self, note: dict[str, Any]) -> None:
        super().__init__(
            f"the note changed since you read it (version {note.get('version')}); run the command again"
        )
