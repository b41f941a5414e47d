"""What the CLI asks the person at the terminal, and what it reads instead when nobody is there.

At a terminal the password is typed at a hidden prompt and a deletion is confirmed with y. When
standard input is not a terminal (a pipe, a file, a script), the password is its first line (and,
when one is asked for, its confirmation the second line, if there is one), read without a prompt
or a warning; and nothing is deleted unless the command line says ``--yes``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from notes_cli.errors import Declined, UsageProblem


def stdin_is_terminal() -> bool:
    """Whether a person can be asked: standard input is a terminal."""
    stdin = sys.stdin
    return stdin is not None and stdin.isatty()


# The line of standard input after each, for the errors that name two.
NEXT_LINE = {"first": "second", "second": "third", "third": "fourth"}


def read_password(
    prompt: str = "Password", *, confirm: bool = False, what: str = "password", line: str = "first"
) -> str:
    """A password: typed at a hidden ``prompt`` (twice when ``confirm``), or read from standard input.

    Without a terminal it is the next line of standard input (``line`` names which one it is, and
    ``what`` the password, for the errors), its confirmation the line after, if there is one.
    """
    if stdin_is_terminal():
        password: str = click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
        return password
    found = _line()
    if found is None or found == "":
        raise UsageProblem(
            f"no {what}: standard input is not a terminal, and its {line} line (the {what}) is empty"
        )
    if confirm:
        again = _line()
        if again is not None and again != found:
            after = NEXT_LINE.get(line, "next")
            lines = "first two lines" if line == "first" else f"{line} and {after} lines"
            raise UsageProblem(f"the {what} and its confirmation (the {lines} of standard input) differ")
    return found


def read_line(prompt: str, *, what: str, line: str = "first") -> str:
    """A line of text, such as a code: typed at ``prompt`` (shown as typed), or the next line of
    standard input without a terminal; raises UsageProblem when it is empty."""
    if stdin_is_terminal():
        try:
            typed: str = click.prompt(prompt, err=True)
        except click.Abort as error:
            raise Declined(f"no {what}: cancelled") from error
        text = typed.strip()
    else:
        text = (_line() or "").strip()
    if not text:
        where = (
            "" if stdin_is_terminal() else f": standard input is not a terminal, and its {line} line is empty"
        )
        raise UsageProblem(f"no {what}{where}")
    return text


def _line() -> str | None:
    """The next line of standard input without its line ending; None at its end."""
    line = sys.stdin.readline()
    if not line:
        return None
    if line.endswith("\n"):
        line = line[:-1]
    return line[:-1] if line.endswith("\r") else line


def yes_option(verb: str) -> Callable[[Any], Any]:
    """``-y/--yes``: do it without asking (``confirm``), for a command that asks at a terminal first."""
    return click.option(
        "-y", "--yes", is_flag=True, help=f"{verb} without asking (for scripts: needed without a terminal)."
    )


def confirm(question: str, *, yes: bool, not_done: str) -> None:
    """Return once the person agreed to ``question`` (or ``yes`` says they do); raise Declined
    saying ``not_done`` when they did not (no, or Ctrl-C), and UsageProblem when there is nobody
    to ask."""
    if yes:
        return
    need_terminal(not_done)
    try:
        agreed = click.confirm(question, default=False, err=True)
    except click.Abort as error:
        raise Declined(f"{not_done}: cancelled") from error
    if not agreed:
        raise Declined(f"{not_done}: you did not confirm")


def need_terminal(not_done: str) -> None:
    """Raise UsageProblem saying ``not_done`` unless there is a person to ask for confirmation."""
    if not stdin_is_terminal():
        raise UsageProblem(
            f"{not_done}: there is no terminal to ask for confirmation at; pass --yes to confirm"
        )
