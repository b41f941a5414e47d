"""The account commands: sign up, confirm, log in and out, and who you are at the API."""

from __future__ import annotations

import click

from notes_cli.errors import CliError
from notes_cli.state import State, pass_state


@click.command()
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


@click.command()
@click.argument("email")
@click.option("--code", help="The confirmation code from the email (not needed on the local stack).")
@pass_state
def confirm(state: State, email: str, code: str | None) -> None:
    """Confirm a new account."""
    state.cognito().confirm(email, code.strip() if code else None)
    click.echo(f"Confirmed {email}. Next: notes login {email}")


@click.command()
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


@click.command()
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


@click.command()
@pass_state
def whoami(state: State) -> None:
    """Show who the API thinks you are."""
    me = state.api.me()
    groups = me.get("groups") or []
    click.echo(f"email    {me.get('email') or '-'}")
    click.echo(f"userId   {me.get('userId')}")
    click.echo(f"groups   {', '.join(groups) if groups else '-'}")
    click.echo(f"api      {state.api.api_url}")
