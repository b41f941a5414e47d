"""What every command is handed: the global options, and what they lead to.

Nothing is built until a command needs it, so ``notes --help`` reads no file and makes no client.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import click

from notes_cli.api import NotesApi, Refresher
from notes_cli.cognito import Cognito, TokenEndpoint
from notes_cli.credentials import CredentialStore, Session, config_dir
from notes_cli.errors import CliError
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
        oauth_domain: str | None = None,
        read_only_client_id: str | None = None,
        web_url: str | None = None,
        ws_url: str | None = None,
    ) -> None:
        self._api = _text(api)
        self._region = _text(region)
        self._user_pool_id = _text(user_pool_id)
        self._client_id = _text(client_id)
        self._stack_file = stack_file
        self._oauth_domain = _text(oauth_domain)
        self._read_only_client_id = _text(read_only_client_id)
        self._web_url = _text(web_url)
        self._ws_url = _text(ws_url)
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
            oauth_domain=self._oauth_domain,
            read_only_client_id=self._read_only_client_id,
            web_url=self._web_url,
            ws_url=self._ws_url,
        )

    @cached_property
    def store(self) -> CredentialStore:
        """The per-user credentials file."""
        return CredentialStore(config_dir())

    @cached_property
    def api(self) -> NotesApi:
        """The API as the signed-in user."""
        connection = self.connection
        return NotesApi(
            connection.require_api(),
            self.store,
            self.refresher,
            login_command=connection.login_command,
            account_gone=self.account_gone,
        )

    def cognito(self) -> Cognito:
        """The stage's user pool (the client is made on first use)."""
        if self._cognito is None:
            self._cognito = Cognito(self.connection)
        return self._cognito

    def account_gone(self, session: Session) -> bool:
        """Whether the user pool no longer has the user of ``session`` (its account was deleted),
        as the pool tells the holder of that user's access token; False when it cannot tell."""
        try:
            return self.cognito().user_gone(session.access_token)
        except CliError:
            return False

    def token_endpoint(self, client_id: str) -> TokenEndpoint:
        """The stage's OAuth 2.0 endpoints, as the app client ``client_id``."""
        connection = self.connection
        if not connection.oauth_domain:
            raise CliError(
                "this session comes from a sign-in page, but this stage names none: "
                "pass --oauth-domain (NOTES_OAUTH_DOMAIN)"
            )
        return TokenEndpoint(connection.oauth_domain, client_id, local=connection.local)

    def refresher(self, session: Session) -> Refresher:
        """What renews ``session``: the token endpoint for a scoped session, else the pool's API."""
        if session.scoped:
            return self.token_endpoint(session.client_id or self.connection.require_oauth(False).client_id)
        return self.cognito()


def _text(value: str | None) -> str | None:
    # An empty option or variable means "not given", not "the empty string".
    return (value.strip() or None) if value is not None else None


pass_state = click.make_pass_decorator(State)
"""Hands a command the State that ``cli`` made."""
