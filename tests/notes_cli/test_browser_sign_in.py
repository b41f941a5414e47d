"""``notes login``'s loopback callback, in-process: only the answer carrying this login's state ends
the wait; any page may send others, and they are ignored. The token endpoint is a stand-in here
(tests/notes_cli/test_scoped_login.py runs the whole sign-in against the scoped stack)."""

from __future__ import annotations

import threading
import webbrowser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from notes_cli import browser_sign_in
from notes_cli.cognito import TokenEndpoint
from notes_cli.credentials import Session
from notes_cli.errors import CliError
from tests.stack import port_is_free

TIMEOUT = 10


class Exchanged(TokenEndpoint):
    """The sign-in page's address as ever; the codes it is asked to exchange, each a session."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9/pool", "cli-client")
        self.codes: list[str] = []

    def exchange(self, code: str, redirect_uri: str, verifier: str, *, read_only: bool = False) -> Session:
        self.codes.append(code)
        return Session("me@example.com", "id", "access", "refresh", 1, "access", self.client_id)


class Login:
    """``sign_in`` in a thread, waiting for its callback; what it ended with."""

    def __init__(self, endpoint: Exchanged, monkeypatch: pytest.MonkeyPatch) -> None:
        self.endpoint = endpoint
        self.opened = threading.Event()
        self.address = ""
        self.session: Session | None = None
        self.error: CliError | None = None

        def record(url: str, *args: Any, **kwargs: Any) -> bool:
            self.address = url
            self.opened.set()
            return True

        monkeypatch.setattr(webbrowser, "open", record)
        self.thread = threading.Thread(target=self._run, args=(endpoint,), daemon=True)
        self.thread.start()
        assert self.opened.wait(TIMEOUT) and self.address, f"the sign-in page was never opened: {self.error}"

    def _run(self, endpoint: TokenEndpoint) -> None:
        try:
            self.session = browser_sign_in.sign_in(endpoint, "openid notes/read")
        except CliError as failure:
            self.error = failure
        finally:
            self.opened.set()  # also when the login ended before it opened the page

    @property
    def state(self) -> str:
        return parse_qs(urlsplit(self.address).query)["state"][0]

    def finished(self) -> bool:
        self.thread.join(TIMEOUT)
        return not self.thread.is_alive()


def callback(query: str) -> requests.Response:
    return requests.get(f"{browser_sign_in.CALLBACK_URL}{query}", timeout=TIMEOUT)


@pytest.fixture
def login(monkeypatch: pytest.MonkeyPatch, real_http: None) -> Login:
    return Login(Exchanged(), monkeypatch)


def test_answers_without_this_logins_state_are_ignored_and_the_wait_goes_on(
    login: Login, capsys: pytest.CaptureFixture[str]
) -> None:
    for forged in ("?code=stolen&state=another-state", "?code=stolen", "", "?error=access_denied&state=x"):
        answer = callback(forged)
        assert answer.status_code == 400, forged
        assert "Not this sign-in" in answer.text and "still waiting" in answer.text
        assert login.thread.is_alive(), forged  # not the end of the login

    answer = callback(f"?code=the-code&state={login.state}")
    assert answer.status_code == 200, answer.text
    assert "Signed in" in answer.text
    assert login.finished()
    assert login.error is None
    assert login.session is not None and login.session.email == "me@example.com"
    assert login.endpoint.codes == ["the-code"]  # no other code was ever exchanged
    assert "Ignored a request to the callback without this login's state" in capsys.readouterr().err
    assert port_is_free(browser_sign_in.CALLBACK_PORT)


def test_a_refusal_carrying_this_logins_state_ends_the_wait(login: Login) -> None:
    answer = callback(f"?error=access_denied&state={login.state}")
    assert answer.status_code == 400
    assert "Sign-in failed" in answer.text
    assert login.finished()
    assert login.error is not None and "access_denied" in login.error.message
    assert login.endpoint.codes == []
    assert port_is_free(browser_sign_in.CALLBACK_PORT)
