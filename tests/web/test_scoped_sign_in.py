"""The web app in scoped mode (``make run SCOPED=1``), in headless Chromium: it signs in at the user
pool's own sign-in page (authorization code with PKCE), sends the API access tokens, renews them
with the refresh token, and signs out there too.

Under CI=true these tests never skip: without Chromium they fail, saying how to get it.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from playwright.sync_api import BrowserContext, Request, Route, expect

from tests.stack import SignIn, Stack
from tests.web.helpers import (
    SESSION_KEY,
    Tab,
    alert,
    items,
    new_user,
    open_tab,
    refuse_first_get,
    requests_where,
    serious_violations,
    sign_in_at_pool,
    status,
    wait_for_notes,
)

PENDING_KEY = "notes.signin"
CORS = "Access-Control-Allow-Origin"
PASSWORD = "Scoped-Pass-1234!"

expect.set_options(timeout=10_000)


@dataclass
class ScopedTab(Tab):
    """A tab of the web app on the scoped stack, with the pool's sign-in endpoints."""

    @property
    def oauth(self) -> dict[str, Any]:
        assert self.stack.facts.oauth is not None
        return self.stack.facts.oauth

    @property
    def domain(self) -> str:
        return str(self.oauth["domain"])

    @property
    def client_id(self) -> str:
        return str(self.oauth["clients"]["web"]["clientId"])

    def at(self, path: str) -> Any:
        """A URL matcher for ``path`` under the pool's domain, whatever the query."""
        return lambda url: url.split("?")[0] == f"{self.domain}{path}"


@pytest.fixture
def tab(context: BrowserContext, scoped_stack: Stack) -> ScopedTab:
    return open_tab(context, scoped_stack, ScopedTab)


def claims(token: str) -> dict[str, Any]:
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


def expired(token: str) -> str:
    """``token`` with claims that have expired (unsigned: the page renews before it sends it)."""
    payload = base64.urlsafe_b64encode(json.dumps({"exp": 1}).encode()).rstrip(b"=").decode()
    return f"{token.split('.')[0]}.{payload}.x"


def list_notes(tab: ScopedTab, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(f"{tab.stack.facts.api_url}/notes", headers=headers, timeout=5)


def is_refresh(tab: ScopedTab, request: Request) -> bool:
    """A renewal at the pool's token endpoint."""
    sent = parse_qs(request.post_data or "")
    return tab.at("/oauth2/token")(request.url) and sent.get("grant_type") == ["refresh_token"]


def signed_out_clean(tab: ScopedTab) -> None:
    """Back on the page, not signed in, with nothing of the sign-in in the address or kept."""
    expect(tab.page.get_by_role("button", name="Sign in")).to_be_visible()
    assert tab.page.url == f"{tab.url}/"
    assert tab.stored_session() is None
    assert tab.page.evaluate(f"sessionStorage.getItem('{PENDING_KEY}')") is None


# --- the journey ---------------------------------------------------------------------------


def test_sign_up_write_reload_sign_out_and_in_at_the_pools_page(tab: ScopedTab) -> None:
    page = tab.page
    email = f"scoped-{time.time_ns()}@example.com"
    config = requests.get(f"{tab.url}/config.json", timeout=5).json()
    assert config["mode"] == "scoped"
    found: dict[str, list[str]] = {}

    # The page's own sign-in asks for no password: that is typed only at the pool's page.
    page.goto(tab.url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign up")).to_have_count(0)
    found["sign in"] = serious_violations(page)

    # Sign in: to the pool's authorize endpoint, with PKCE (S256) and a random state.
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(tab.at("/oauth2/authorize"))
    asked = {name: values[0] for name, values in parse_qs(urlsplit(page.url).query).items()}
    assert asked["response_type"] == "code"
    assert asked["client_id"] == tab.client_id == config["oauth"]["clientId"]
    assert asked["redirect_uri"] == config["oauth"]["redirectUri"] == f"{tab.url}/"
    # The pool's own scope too: the account screen changes the password with the access token.
    scopes = "openid email aws.cognito.signin.user.admin notes/read notes/write"
    assert asked["scope"] == config["oauth"]["scopes"] == scopes
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert len(asked["state"]) >= 16

    # Sign up at the pool's page, confirm, and come back signed in.
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("Confirmation code").fill("123456")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    wait_for_notes(page)
    expect(page.get_by_text(f"Signed in as {email}", exact=True)).to_be_visible()  # from the ID token
    signed_in_at = page.url
    assert signed_in_at == f"{tab.url}/"  # no code or state left in the address
    assert page.evaluate(f"sessionStorage.getItem('{PENDING_KEY}')") is None
    stored = tab.stored_session()
    assert stored is not None
    access = claims(stored["accessToken"])
    assert (access["token_use"], access["client_id"]) == ("access", tab.client_id)
    assert "notes/write" in access["scope"].split()
    assert claims(stored["idToken"])["email"] == email
    found["notes, signed in"] = serious_violations(page)

    # Write a note: the API is sent the access token.
    # The note's routes (the change feed may be pulled meanwhile, as the page follows changes).
    sent = requests_where(page, lambda request: request.url.startswith(f"{tab.stack.facts.api_url}/notes"))
    page.get_by_role("button", name="New note").click()
    page.get_by_label("Title").fill("Scoped")
    page.get_by_label("Content").fill("written with an access token")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(status(page)).to_have_text("Saved.")
    calls = [request for request in sent if request.method != "OPTIONS"]
    assert [request.method for request in calls] == ["POST"]
    assert calls[0].headers["authorization"] == f"Bearer {stored['accessToken']}"
    listed = list_notes(tab, stored["accessToken"])
    assert [note["title"] for note in listed.json()["notes"]] == ["Scoped"]
    assert list_notes(tab, stored["idToken"]).status_code == 401  # ID tokens are refused

    # Reload with the access token about to expire: renewed with the refresh token, still signed in.
    page.evaluate(
        "([key, token]) => { const s = JSON.parse(localStorage.getItem(key)); s.accessToken = token;"
        " localStorage.setItem(key, JSON.stringify(s)); }",
        [SESSION_KEY, expired(stored["accessToken"])],
    )
    renewals = requests_where(page, lambda request: is_refresh(tab, request))
    page.reload()
    expect(items(page)).to_have_count(1)
    expect(items(page).first).to_contain_text("Scoped")
    expect(page.get_by_text(f"Signed in as {email}", exact=True)).to_be_visible()
    assert len(renewals) == 1
    renewed = tab.stored_session()
    assert renewed is not None and renewed["refreshToken"] == stored["refreshToken"]
    assert claims(renewed["accessToken"])["exp"] > time.time()
    expect(alert(page)).to_have_count(0)

    # Sign out: the refresh token is revoked, and the pool's page signs out too.
    revoked = requests_where(page, lambda request: tab.at("/oauth2/revoke")(request.url))
    page.get_by_role("button", name="Sign out").click()
    expect(status(page)).to_have_text("You are signed out.")
    signed_out_clean(tab)
    assert len(revoked) == 1
    again = SignIn(tab.stack).refresh(stored["refreshToken"])
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")

    # Signing in again shows the pool's sign-in page (its session ended): email and password there.
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(tab.at("/oauth2/authorize"))
    expect(page.get_by_label("Password")).to_be_visible()
    sign_in_at_pool(page, email, PASSWORD, go=False)
    expect(items(page)).to_have_count(1)
    expect(items(page).first).to_contain_text("Scoped")
    assert page.url == f"{tab.url}/"
    assert tab.page_errors == []
    assert {screen: v for screen, v in found.items() if v} == {}


# --- what fails, in words --------------------------------------------------------------------


def test_the_pools_sign_up_page_lists_the_password_rules_and_words_its_refusals(tab: ScopedTab) -> None:
    page = tab.page
    taken = new_user(tab.stack, "scoped")
    rules = [
        "At least 12 characters",
        "An upper-case letter",
        "A lower-case letter",
        "A digit",
        "A symbol, such as ! ? # - or _",
    ]
    page.goto(tab.url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Sign up").click()

    # The pool's policy, listed under the password before anything is typed, and read with it.
    password = page.get_by_label("Password")
    expect(page.get_by_role("list")).to_have_count(1)
    expect(page.get_by_role("listitem")).to_have_text(rules)
    expect(password).to_have_accessible_description(f"The password needs: {' '.join(rules)}")

    # A password the pool refuses: what it lacks, in words (never the pool's own).
    page.get_by_label("Email").fill(f"scoped-{time.time_ns()}@example.com")
    password.fill("shortpass1")
    page.get_by_role("button", name="Sign up").click()
    expect(alert(page)).to_have_text(
        "This password cannot be used: it needs at least 12 characters, an upper-case letter and a symbol."
    )
    expect(page.get_by_role("listitem")).to_have_text(rules)  # still listed

    # An email that has an account already.
    page.get_by_label("Email").fill(taken.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(alert(page)).to_have_text(
        "An account with this email already exists: sign in with it, or sign up with another email."
    )
    assert serious_violations(page) == []
    assert tab.page_errors == []


def test_a_tampered_state_is_refused_in_words(tab: ScopedTab) -> None:
    page = tab.page
    user = new_user(tab.stack, "scoped")
    exchanged = requests_where(page, lambda request: tab.at("/oauth2/token")(request.url))

    def tamper(route: Route) -> None:
        """The pool's answer to the sign-in form, its redirect back given another state."""
        answer = route.fetch(max_redirects=0)
        back = urlsplit(answer.headers["location"])
        query = {**parse_qs(back.query), "state": ["tampered"]}
        location = back._replace(query=urlencode(query, doseq=True)).geturl()
        tampered.append(location)
        route.fulfill(response=answer, headers={**answer.headers, "location": location})

    tampered: list[str] = []
    login = tab.at("/login")
    page.route(login, tamper)
    page.goto(tab.url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(alert(page)).to_contain_text("You are not signed in.")
    expect(alert(page)).to_contain_text("state does not match")
    signed_out_clean(tab)
    assert len(tampered) == 1 and "code=" in tampered[0]
    assert exchanged == []  # the code was never used
    assert serious_violations(page) == []

    # Sign in again: the pool's page is still signed in, so it comes straight back.
    page.unroute(login)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    wait_for_notes(page)
    expect(alert(page)).to_have_count(0)
    assert tab.page_errors == []


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        ("access_denied", "The sign-in was refused or cancelled at the sign-in page (access_denied)"),
        ("invalid_grant", "The sign-in is no longer valid"),
        ("unreachable", "cannot be reached"),
    ],
)
def test_a_sign_in_that_fails_is_said_in_words(tab: ScopedTab, failure: str, words: str) -> None:
    page = tab.page

    def pool_answers(route: Route) -> None:
        query = {name: values[0] for name, values in parse_qs(urlsplit(route.request.url).query).items()}
        back = {"error": failure} if failure == "access_denied" else {"code": "not-a-code-of-the-pool"}
        location = f"{query['redirect_uri']}?{urlencode({**back, 'state': query['state']})}"
        route.fulfill(status=302, headers={"Location": location})

    page.route(tab.at("/oauth2/authorize"), pool_answers)
    if failure == "unreachable":
        page.route(tab.at("/oauth2/token"), lambda route: route.abort("connectionrefused"))
    page.goto(tab.url)
    page.get_by_role("button", name="Sign in").click()
    expect(alert(page)).to_contain_text(words)
    signed_out_clean(tab)
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    assert tab.page_errors == []


def test_settings_for_scoped_mode_without_its_oauth_settings_are_said_in_words(tab: ScopedTab) -> None:
    page = tab.page
    config = requests.get(f"{tab.url}/config.json", timeout=5).json()
    lacking = {**config, "oauth": {key: value for key, value in config["oauth"].items() if key != "clientId"}}
    page.route("**/config.json", lambda route: route.fulfill(json=lacking))
    page.goto(tab.url)
    expect(page.get_by_role("heading", name="Notes cannot start")).to_be_visible()
    expect(alert(page)).to_have_text(
        "The page's settings (config.json) are for scoped mode but lack oauth.clientId."
    )
    assert tab.page_errors == []


def test_sign_in_code_that_cannot_load_is_said_in_words(tab: ScopedTab) -> None:
    page = tab.page
    page.route("**/oauth.js", lambda route: route.abort("connectionrefused"))
    page.goto(tab.url)
    expect(page.get_by_role("heading", name="Notes cannot start")).to_be_visible()
    expect(alert(page)).to_have_text("The page could not load its sign-in code (oauth.js): reload it.")
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    assert tab.page_errors == []


def test_a_refusal_of_the_api_renews_the_access_token_once(tab: ScopedTab) -> None:
    page = tab.page
    user = new_user(tab.stack, "scoped")
    page.goto(tab.url)
    renewals = requests_where(page, lambda request: is_refresh(tab, request))
    refused = refuse_first_get(page, f"{tab.stack.facts.api_url}/notes?*", tab.url, "Unauthorized")
    sign_in_at_pool(page, user.email, user.password)
    expect(page.get_by_text("No notes yet")).to_be_visible()
    assert len(refused) == 1
    assert len(renewals) == 1
    expect(alert(page)).to_have_count(0)


def test_back_to_the_sign_in_page_while_signed_in_keeps_the_session(tab: ScopedTab) -> None:
    page = tab.page
    user = new_user(tab.stack, "scoped")
    page.goto(tab.url)
    sign_in_at_pool(page, user.email, user.password)
    stored = tab.stored_session()
    # Back at the pool's page, which is still signed in: it comes back with an answer the page
    # did not ask for, and the session goes on.
    asked = requests_where(page, lambda request: tab.at("/oauth2/authorize")(request.url))
    page.go_back()
    page.wait_for_url(f"{tab.url}/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    wait_for_notes(page)
    expect(alert(page)).to_have_count(0)
    assert len(asked) == 1
    assert tab.stored_session() == stored
    assert tab.page_errors == []
