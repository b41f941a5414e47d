"""What the CLI asks the person at the terminal, and what it reads instead when nobody is there.

At a terminal the password is typed at a hidden prompt and a deletion is confirmed with y. When
standard input is not a terminal (a pipe, a file, a script), the password is its first line (and,
when one is asked for, its confirmation the second line, if there is one), read without a prompt
or a warning; and nothing is deleted unless the command line says ``--yes``.
"""

from __future__ import annotations

import sys

import click

from notes_cli.errors import CliError, UsageProblem


def stdin_is_terminal() -> bool:
    """Whether a person can be asked: standard input is a terminal."""
    stdin = sys.stdin
    return stdin is not None and stdin.isatty()


def read_password(*, confirm: bool = False) -> str:
    """The password: typed at a hidden prompt (twice when ``confirm``), or read from standard input."""
    if stdin_is_terminal():
        password: str = click.prompt("Password", hide_input=True, confirmation_prompt=confirm, err=True)
        return password
    line = _line()
    if line is None or line == "":
        raise UsageProblem(
            "no password: standard input is not a terminal, and its first line (the password) is empty"
        )
    if confirm:
        again = _line()
        if again is not None and again != line:
            raise UsageProblem(
                "the password and its confirmation (the first two lines of standard input) differ"
            )
    return line


def _line() -> str | None:
    """The next line of standard input without its line ending; None at its end."""
    line = sys.stdin.readline()
    if not line:
        return None
    if line.endswith("\n"):
        line = line[:-1]
    return line[:-1] if line.endswith("\r") else line


def confirm(question: str, *, yes: bool, not_done: str) -> None:
    """Return once the person agreed to ``question`` (or ``yes`` says they do); raise CliError
    saying ``not_done`` otherwise, and UsageProblem when there is nobody to ask."""
    if yes:
        return
    need_terminal(not_done)
    try:
        agreed = click.confirm(question, default=False, err=True)
    except click.Abort as error:
        raise CliError(f"{not_done}: cancelled") from error
    if not agreed:
        raise CliError(f"{not_done}: you did not confirm")


def need_terminal(not_done: str) -> None:
    """Raise UsageProblem saying ``not_done`` unless there is a person to ask for confirmation."""
    if not stdin_is_terminal():
        raise UsageProblem(
            f"{not_done}: there is no terminal to ask for confirmation at; pass --yes to confirm"
        )
