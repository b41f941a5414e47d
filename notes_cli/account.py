"""The account commands: sign up, confirm, log in and out, who you are at the API, the password,
and deleting the account."""

from __future__ import annotations

import re

import click

from contract.passwords import listing
from contract.scopes import USER_ADMIN_SCOPE
from notes_cli import browser_sign_in
from notes_cli.cognito import PasswordRefused, TokenEndpoint, WrongPassword
from notes_cli.credentials import Session
from notes_cli.errors import CliError, Declined, UsageProblem, one_line
from notes_cli.passwords import PasswordPolicy, fetch_policy, pool_refusal
from notes_cli.prompts import read_line, read_password, stdin_is_terminal
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
    tell_rules(policy)
    password = read_password(confirm=True)
    missed = rules_missed(policy, password)
    if missed:
        raise CliError(f"password rejected: {missed}")
    try:
        confirmed = cognito.sign_up(email, password)
    except PasswordRefused as error:
        raise CliError(f"password rejected: {refusal(policy, error)}") from error
    if state.connection.api_url:
        state.store.forget_deleted(state.connection.api_url, email)
    if confirmed:
        click.echo(f"Signed up {email}, already confirmed. Next: notes login {email}")
    elif state.connection.local:
        click.echo(f"Signed up {email}. Next: notes confirm {email}  (local stack: no code needed)")
    else:
        click.echo(
            f"Signed up {email}. Next: notes confirm {email} --code CODE, with the code sent to {email}"
        )


def tell_rules(policy: PasswordPolicy | None) -> None:
    """At a terminal, the rules a new password must follow, before it is asked for."""
    if policy is not None and stdin_is_terminal():
        click.echo(f"The password needs {policy.sentence(explained=True)}.", err=True)


def rules_missed(policy: PasswordPolicy | None, password: str) -> str | None:
    """Every rule ``password`` misses, as "it needs …"; None when it misses none (or none are known)."""
    missing = policy.missing(password) if policy is not None else []
    return f"it needs {listing([rule.explained for rule in missing])}" if missing else None


def refusal(policy: PasswordPolicy | None, error: PasswordRefused) -> str:
    """Why the pool refused a new password, in the CLI's words."""
    if policy is not None:
        return f"the user pool wants {policy.sentence(explained=True)}"
    return (
        f"{pool_refusal(error.pool_message)}; "
        "pass --web-url (the stage's web app) to have its rules checked and named"
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
        try:
            session = cognito.log_in(email, password)
        except WrongPassword as error:
            if state.store.was_deleted(api_url, email):
                # This machine learnt it from the account's own tokens: nothing about others is told.
                raise CliError(
                    f"wrong email or password: the account {email} was deleted (this machine was "
                    f"logged in to it); notes signup {email} makes a new one"
                ) from error
            raise
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


@click.command()
@pass_state
def passwd(state: State) -> None:
    """Change your password.

    \b
    At a terminal it asks for the current password, then for the new one
    twice, at hidden prompts. Otherwise stdin's first line is the current
    password, its second the new one, and its third, if there is one,
    the new one again. The new password must follow the user pool's rules
    (see notes signup). You stay logged in.
    """
    not_done = "the password was not changed"
    session, _ = state.api.session()  # refreshed first when it is about to expire
    if session.read_only:
        raise CliError(
            f"{not_done}: this session may only read (logged in with notes login --read-only); "
            "run notes login, then notes passwd"
        )
    if session.scoped and USER_ADMIN_SCOPE not in (session.scope or "").split():
        raise CliError(
            f"{not_done}: this session's sign-in did not grant changing the password; "
            "run notes login again, then notes passwd"
        )
    cognito = state.cognito()
    policy = fetch_policy(state.connection.web_url)
    current = read_password("Current password", what="current password")
    tell_rules(policy)
    new = read_password("New password", confirm=True, what="new password", line="second")
    if new == current:
        raise CliError(f"{not_done}: the new password is the current one")
    missed = rules_missed(policy, new)
    if missed:
        raise CliError(f"{not_done}: the new password was rejected: {missed}")
    try:
        cognito.change_password(session, current, new)
    except PasswordRefused as error:
        raise CliError(f"{not_done}: the new password was rejected: {refusal(policy, error)}") from error
    click.echo(f"Changed the password of {session.email}; you are still logged in")


@click.command(name="reset-password")
@click.argument("email")
@click.option(
    "--code",
    help="A code already sent to EMAIL by this command: no new one is sent, and none is asked for.",
)
@pass_state
def reset_password(state: State, email: str, code: str | None) -> None:
    """Set a new password for a forgotten one.

    \b
    The user pool emails a code to EMAIL (the account's email); type it
    when asked, then the new password twice, at a hidden prompt. On the
    local stack no email is sent: any code is accepted.
    Without a terminal, stdin's lines are the code, the new password and,
    if there is one more, the new password again (with --code: the new
    password, then its repetition).
    """
    email = checked_email(email)
    connection = state.connection
    cognito = state.cognito()
    policy = fetch_policy(connection.web_url)
    new_at = "first"
    if code is None or not code.strip():
        destination = cognito.forgot_password(email)
        # Told to the person asked for the code; without a terminal the code is stdin's first line.
        if stdin_is_terminal() and connection.local:
            click.echo("Local stack: no email is sent, and any code is accepted.", err=True)
        elif stdin_is_terminal():
            # The pool answers the same for an email with no account, so as not to tell which exist.
            click.echo(
                f"If {email} has an account, a code to reset its password was sent to "
                f"{destination or email}.",
                err=True,
            )
        code = read_line("Code from the email", what="code")
        new_at = "second"
    code = code.strip()
    tell_rules(policy)
    new = read_password("New password", confirm=True, what="new password", line=new_at)
    again = f"run notes reset-password {email} --code {code} with another password"
    missed = rules_missed(policy, new)
    if missed:
        raise CliError(f"the password was not reset: the new password was rejected: {missed}; {again}")
    try:
        cognito.confirm_forgot_password(email, code, new)
    except PasswordRefused as error:
        raise CliError(
            f"the password was not reset: the new password was rejected: {refusal(policy, error)}; {again}"
        ) from error
    login_command = "notes login" if connection.scoped else f"notes login {email}"
    click.echo(f"Reset the password of {email}. Next: {login_command}")


@click.command(name="delete-account")
@click.option(
    "--confirm",
    "confirmation",
    metavar="EMAIL",
    help="Your account's email: deletes without asking (for scripts: needed without a terminal).",
)
@pass_state
def delete_account(state: State, confirmation: str | None) -> None:
    """Delete your account and everything in it, for good.

    \b
    Deleted: every note, the notes in the trash, their files, your exports
    and the account itself. It cannot be undone: notes export -o FILE.zip
    first keeps a copy. At a terminal it asks you to type your email;
    elsewhere it deletes only with --confirm EMAIL. From then on the
    account's tokens are refused everywhere, and it logs out here.
    """
    not_done = "the account was not deleted"
    api = state.api
    session, _ = api.session()
    if session.read_only:
        raise CliError(
            f"{not_done}: this session may only read (logged in with notes login --read-only); "
            "run notes login to sign in with write access"
        )
    # An access token carries no email: the API then knows the user by id, the sign-in by email.
    email = str(api.me().get("email") or session.email)
    if confirmation is None:
        if not stdin_is_terminal():
            raise UsageProblem(
                f"{not_done}: there is no terminal to ask for confirmation at; "
                "pass --confirm EMAIL (your account's email)"
            )
        click.echo(
            f"This deletes the account {email} and everything in it, for good: every note, the notes "
            "in the trash, their files and your exports. It cannot be undone.",
            err=True,
        )
        try:
            confirmation = str(
                click.prompt(
                    f"Type your email ({email}) to confirm", default="", show_default=False, err=True
                )
            )
        except click.Abort as error:
            raise Declined(f"{not_done}: cancelled") from error
    typed = confirmation.strip()
    if not typed:
        raise Declined(f"{not_done}: you did not confirm")
    if typed.casefold() != email.casefold():
        raise CliError(f"{not_done}: {one_line(repr(typed), 80)} is not its email ({email})")
    api.delete_account(email)
    state.store.mark_deleted(api.api_url, session.email)
    click.echo(
        f"The account {email} is being deleted, with its notes, trash, files and exports; "
        f"you are logged out. A new account: notes signup {email}"
    )
