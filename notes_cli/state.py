"""What every command is handed: the global options, and what they lead to.

Nothing is built until a command needs it, so ``notes --help`` reads no file and makes no client.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import click

from notes_cli.api import NotesApi
from notes_cli.cognito import Cognito
from notes_cli.credentials import CredentialStore, config_dir
from notes_cli.stack import Connection, resolve


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
"""Hands a command the State that ``cli`` made."""
