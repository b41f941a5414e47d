"""Accounts and sessions: signup, confirm, login, logout, whoami, and the tokens kept between."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import PASSWORD, ROOT
from tests.notes_cli.helpers import (
    Notes,
    assert_one_line_error,
    create_user,
    expiry_of,
    new_email,
    no_account,
    write_stack_file,
)
from tests.stack import Stack


def test_login_with_a_wrong_password_or_unknown_email(notes: Notes, local_stack: Stack) -> None:
    email = create_user(local_stack)
    assert_one_line_error(notes("login", email, input="Wrong-Horse-Battery-9\n"), "wrong email or password")
    assert_one_line_error(notes("login", new_email(), input=PASSWORD + "\n"), "wrong email or password")
    assert not notes.credentials_path.exists()


def test_signup_with_a_weak_password_is_refused(notes: Notes, local_stack: Stack) -> None:
    email = new_email()
    assert_one_line_error(notes("signup", email, input="short1!\nshort1!\n"), "password rejected")
    cognito = local_stack.cognito()
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=local_stack.facts.user_pool_id, Username=email)


def test_confirm_with_a_code(notes: Notes, local_stack: Stack) -> None:
    email = new_email()
    cognito = local_stack.cognito()
    cognito.sign_up(ClientId=local_stack.facts.user_pool_client_id, Username=email, Password=PASSWORD)
    result = notes("confirm", email, "--code", "123456")
    assert result.exit_code == 0, result.output
    assert (
        cognito.admin_get_user(UserPoolId=local_stack.facts.user_pool_id, Username=email)["UserStatus"]
        == "CONFIRMED"
    )
    assert_one_line_error(notes("confirm", new_email()), "no account for", "notes signup")


def test_signup_twice_says_the_account_exists(notes: Notes, local_stack: Stack) -> None:
    email = create_user(local_stack)
    assert_one_line_error(
        notes("signup", email, input=f"{PASSWORD}\n{PASSWORD}\n"), "already exists", f"notes login {email}"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["whoami"],
        ["ls"],
        ["add", "text"],
        ["show", "x"],
        ["rm", "x"],
        ["attach", "x", str(ROOT / "pyproject.toml")],
        ["download", "x"],
        ["detach", "x"],
        ["trash"],
        ["restore", "x"],
        ["purge", "x"],
        ["export", "-o", "out.zip"],
        ["passwd"],
        ["delete-account"],
    ],
)
def test_commands_need_a_login(notes: Notes, command: list[str]) -> None:
    assert_one_line_error(notes(*command), "not logged in: run notes login EMAIL")


def test_credentials_file_is_private_and_keyed_by_api(
    notes: Notes, logged_in: str, local_stack: Stack
) -> None:
    assert stat.S_IMODE(notes.credentials_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(notes.config.stat().st_mode) == 0o700
    assert list(notes.credentials()["sessions"]) == [local_stack.facts.api_url]
    session = notes.session()
    assert session["expiresAt"] == expiry_of(session["idToken"]) > time.time()

    # A session at another API (a deployed stage, say) is kept apart and survives logging out here.
    other = "https://notes.example.com/api"
    data = notes.credentials()
    data["sessions"][other] = {**session, "email": "me@example.com"}
    notes.credentials_path.write_text(json.dumps(data))

    out = notes("logout")
    assert out.exit_code == 0, out.output
    assert f"Logged out {logged_in}" in out.stdout
    assert list(notes.credentials()["sessions"]) == [other]
    assert stat.S_IMODE(notes.credentials_path.stat().st_mode) == 0o600
    assert_one_line_error(notes("whoami"), "not logged in")


@pytest.fixture
def sent_tokens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Authorization header of every request the CLI sends, in order."""
    tokens: list[str] = []
    send = requests.Session.request

    def recording(self: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        tokens.append((kwargs.get("headers") or {}).get("Authorization", ""))
        return send(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", recording)
    return tokens


def test_an_expired_token_is_refreshed_before_the_call_and_saved(
    notes: Notes, logged_in: str, sent_tokens: list[str]
) -> None:
    before = notes.session()
    notes.edit_session(idToken="expired", expiresAt=int(time.time()) - 10)

    result = notes("whoami")
    assert result.exit_code == 0, result.output
    assert logged_in in result.stdout
    after = notes.session()
    # One request, already with the new token: refreshed before the call, not after a 401.
    assert sent_tokens == [after["idToken"]]
    assert after["idToken"] not in ("expired", before["idToken"])
    assert after["expiresAt"] == expiry_of(after["idToken"]) > time.time() + 60
    assert after["refreshToken"] == before["refreshToken"]


def test_a_token_about_to_expire_is_refreshed_too(
    notes: Notes, logged_in: str, sent_tokens: list[str]
) -> None:
    before = notes.session()
    notes.edit_session(expiresAt=int(time.time()) + 30)
    assert notes("ls").exit_code == 0
    assert sent_tokens == [notes.session()["idToken"]] != [before["idToken"]]


def test_a_token_the_api_refuses_is_refreshed_once(
    notes: Notes, logged_in: str, sent_tokens: list[str]
) -> None:
    notes.edit_session(idToken="not-a-token")  # its expiry is still in the future
    result = notes("ls")
    assert result.exit_code == 0, result.output
    assert sent_tokens == ["not-a-token", notes.session()["idToken"]]


def test_a_session_that_cannot_be_refreshed_has_expired(notes: Notes, logged_in: str) -> None:
    notes.edit_session(refreshToken="revoked", expiresAt=int(time.time()) + 30)
    assert_one_line_error(notes("ls"), f"session expired: run notes login {logged_in}")


@pytest.fixture
def web_app(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A stand-in for a stage's web app on 127.0.0.1: it serves ``config`` as its config.json."""
    config: dict[str, Any] = {}

    class ConfigJson(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(config).encode()
            self.send_response(200 if self.path == "/config.json" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), ConfigJson)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield config
    finally:
        server.shutdown()
        server.server_close()


def test_signup_names_the_password_rules_it_misses(notes: Notes, local_stack: Stack) -> None:
    email = new_email()
    line = assert_one_line_error(
        notes("signup", email, input="short1!\nshort1!\n"),
        "password rejected: it needs at least 12 characters and an upper-case letter",
    )
    assert "confirm" not in line and "policy" not in line  # not the pool's own words
    assert_one_line_error(
        notes("signup", email, input="longenoughbutplain\n"),
        "password rejected: it needs an upper-case letter, a digit and a symbol (such as ! ? # - or _)",
    )
    assert no_account(local_stack, email)


def test_signup_takes_the_rules_from_the_web_apps_config(
    notes: Notes, local_stack: Stack, web_app: dict[str, Any]
) -> None:
    # The rules are the stage's, as its web app publishes them: a stricter web app, stricter rules.
    web_app["passwordPolicy"] = {
        "minimumLength": 30,
        "requireUppercase": True,
        "requireLowercase": True,
        "requireNumbers": False,
        "requireSymbols": False,
    }
    write_stack_file(notes.stack_file, {**local_stack.facts.to_json(), "webUrl": web_app["url"]})
    email = new_email()
    assert_one_line_error(
        notes("signup", email, input=f"{PASSWORD}\n"), "password rejected: it needs at least 30 characters"
    )
    assert no_account(local_stack, email)
    # --web-url (NOTES_WEB_URL) names a deployed stage's web app, over the stack file's.
    web_app["passwordPolicy"] = {**web_app["passwordPolicy"], "minimumLength": 40}
    write_stack_file(notes.stack_file, local_stack.facts.to_json())
    assert_one_line_error(
        notes("--web-url", web_app["url"], "signup", email, input=f"{PASSWORD}\n"),
        "password rejected: it needs at least 40 characters",
    )


def test_signup_without_the_rules_says_what_the_pool_names(
    notes: Notes, local_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = {name: value for name, value in local_stack.facts.to_json().items() if name != "webUrl"}
    write_stack_file(notes.stack_file, facts)
    email = new_email()
    # The emulator's refusal names no rule.
    assert_one_line_error(
        notes("signup", email, input="short1!\n"),
        "password rejected: it does not follow the user pool's password rules",
        "--web-url",
    )
    assert no_account(local_stack, email)

    # Cognito's own refusal names the first rule missed; the CLI says it in its words.
    from notes_cli.cognito import Cognito, PasswordRefused

    def refused(self: Cognito, email: str, password: str) -> bool:
        raise PasswordRefused("Password did not conform with policy: Password must have uppercase characters")

    monkeypatch.setattr(Cognito, "sign_up", refused)
    assert_one_line_error(
        notes("signup", email, input="short1!\n"),
        "password rejected: it needs an upper-case letter, says the user pool",
    )


@pytest.mark.parametrize("command", ["signup", "confirm", "login"])
@pytest.mark.parametrize("email", ["not-an-email", "me@localhost", "me @example.com", "a@b@example.com", ""])
def test_an_invalid_email_is_refused_before_anything_else(notes: Notes, command: str, email: str) -> None:
    result = notes(command, email, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 2
    assert_one_line_error(result, f"{email!r} is not an email address", "you@example.com")
    assert "Password" not in result.output


def test_a_piped_password_and_its_confirmation(notes: Notes, local_stack: Stack) -> None:
    email = new_email()
    assert_one_line_error(
        notes("signup", email, input=f"{PASSWORD}\n{PASSWORD}x\n"),
        "the password and its confirmation",
        "differ",
    )
    assert_one_line_error(notes("signup", email, input="\n"), "no password")
    assert no_account(local_stack, email)
    signed_up = notes("signup", email, input=f"{PASSWORD}\r\n")  # one line: no confirmation to compare
    assert signed_up.exit_code == 0, signed_up.output
    assert signed_up.stderr == ""
    assert notes("confirm", email).exit_code == 0
    logged_in = notes("login", email, input=PASSWORD)  # no line ending at all
    assert logged_in.exit_code == 0, logged_in.output
    assert logged_in.stdout == f"Logged in as {email} at {notes.api_url}\n"
