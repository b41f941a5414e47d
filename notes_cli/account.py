"""The account commands: sign up, confirm, log in and out, and who you are at the API."""

from __future__ import annotations

import re

import click

from notes_cli import browser_sign_in
from notes_cli.cognito import PasswordRefused, TokenEndpoint
from notes_cli.credentials import Session
from notes_cli.errors import CliError, UsageProblem, one_line
from notes_cli.passwords import fetch_policy, pool_refusal
from notes_cli.prompts import read_password, stdin_is_terminal
from notes_cli.state import State, pass_state

# An address with something before the @ and a domain of two or more dot-separated parts after it:
# what can receive the confirmation email. No space, control character or second @.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f.]+(?:\.[^@\s\x00-\x1f\x7f.]+)+")


def checked_email(email: str) -> str:
    """``email`` if it looks like an email address; raises UsageProblem before anything is asked."""
    if not _EMAIL.fullmatch(email):
        raise UsageProblem(
            f"{one_line(repr(email), 80)} is not an email address: an account is named by its email, "
            "such as you@example.com"
        )
    return email


@click.command()
@click.argument("email")
@pass_state
def signup(state: State, email: str) -> None:
    """Create an account; EMAIL is the username.

    At a terminal it asks for the password twice; otherwise the password is the
    first line of stdin (and its confirmation the second, if there is one).
    The password must follow the user pool's rules, which the stage's web app
    publishes (locally found through the stack file, deployed through --web-url).
    """
    email = checked_email(email)
    cognito = state.cognito()
    policy = fetch_policy(state.connection.web_url)
    if policy is not None and stdin_is_terminal():
        click.echo(f"The password needs {policy.sentence()}.", err=True)
    password = read_password(confirm=True)
    if policy is not None:
        missing = policy.missing(password)
        if missing:
            listed = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
            raise CliError(f"password rejected: it needs {listed}")
    try:
        confirmed = cognito.sign_up(email, password)
    except PasswordRefused as error:
        if policy is not None:
            raise CliError(f"password rejected: the user pool wants {policy.sentence()}") from error
        raise CliError(
            f"password rejected: {pool_refusal(error.pool_message)}; "
            "pass --web-url (the stage's web app) to have its rules checked and named"
        ) from error
    if confirmed:
        click.echo(f"Signed up {email}, already confirmed. Next: notes login {email}")
    elif state.connection.local:
        click.echo(f"Signed up {email}. Next: notes confirm {email}  (local stack: no code needed)")
    else:
        click.echo(
            f"Signed up {email}. Next: notes confirm {email} --code CODE, with the code sent to {email}"
        )


@click.command()
@click.argument("email")
@click.option("--code", help="The confirmation code from the email (not needed on the local stack).")
@pass_state
def confirm(state: State, email: str, code: str | None) -> None:
    """Confirm a new account."""
    email = checked_email(email)
    state.cognito().confirm(email, code.strip() if code else None)
    click.echo(f"Confirmed {email}. Next: notes login {email}")


@click.command()
@click.argument("email", required=False)
@click.option(
    "--read-only",
    is_flag=True,
    help="Scoped stages: sign in with the read-only app client, whose tokens may read but never write.",
)
@pass_state
def login(state: State, email: str | None, read_only: bool) -> None:
    """Sign in and keep the tokens for this API.

    \b
    ID-token stages: notes login EMAIL, and it asks for the password
    (without a terminal, the password is the first line of stdin).
    Scoped stages (make run SCOPED=1): notes login opens the sign-in page in
    the browser (BROWSER chooses which) and waits for it on 127.0.0.1:8976;
    EMAIL, if given, is offered to the page.
    """
    if email is not None:
        email = checked_email(email)
    connection = state.connection
    api_url = connection.require_api()
    if connection.scoped:
        client = connection.require_oauth(read_only)
        endpoint = TokenEndpoint(client.domain, client.client_id, local=connection.local)
        session = browser_sign_in.sign_in(endpoint, client.scope, read_only=read_only, login_hint=email)
    else:
        if read_only:
            raise UsageProblem(
                "--read-only needs a scoped stage (make run SCOPED=1, or --oauth-domain): "
                "this one signs in with a password"
            )
        if not email:
            raise UsageProblem("missing EMAIL: notes login EMAIL (this stage signs in with a password)")
        cognito = state.cognito()
        password = read_password()
        session = cognito.log_in(email, password)
    state.store.put(api_url, session)
    click.echo(f"Logged in as {session.email} at {api_url}{' (read-only)' if session.read_only else ''}")


@click.command()
@pass_state
def logout(state: State) -> None:
    """Forget the tokens for this API and revoke the refresh token."""
    api_url = state.connection.require_api()
    session = state.store.remove(api_url)
    if session is None:
        click.echo(f"Not logged in at {api_url}")
        return
    revoked = _revoke(state, session)
    click.echo(f"Logged out {session.email} from {api_url}")
    if session.scoped and not revoked:
        click.echo(
            "warning: the sign-in endpoints did not confirm the refresh token's revocation; "
            "it stays valid until it expires",
            err=True,
        )


def _revoke(state: State, session: Session) -> bool:
    try:
        if session.scoped:
            client_id = session.client_id or state.connection.require_oauth(session.read_only).client_id
            return state.token_endpoint(client_id).revoke(session.refresh_token)
        return state.cognito().revoke(session.refresh_token)
    except CliError:
        return False  # the tokens are gone from this machine, which is what logging out promises


@click.command()
@pass_state
def whoami(state: State) -> None:
    """Show who the API thinks you are."""
    me = state.api.me()
    session = state.store.get(state.api.api_url)
    groups = me.get("groups") or []
    # An access token carries no email: the API then knows the user by id, the sign-in by email.
    email = me.get("email") or (session.email if session is not None and session.scoped else None)
    click.echo(f"email    {email or '-'}")
    click.echo(f"userId   {me.get('userId')}")
    click.echo(f"groups   {', '.join(groups) if groups else '-'}")
    click.echo(f"api      {state.api.api_url}")
    if session is not None and session.scoped:
        access = "read only" if session.read_only else "read and write"
        click.echo(f"access   {access} ({session.scope or 'no scopes'})")
