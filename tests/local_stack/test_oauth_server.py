"""The sign-in server of ``make run SCOPED=1`` in this process, on a clock the tests move: codes
expire after five minutes, and what it issued is saved with the emulator's data."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from moto.cognitoidp.models import cognitoidp_backends

from infra import description
from local_stack import oauth, state_file
from local_stack.provisioning import Provisioned
from tests.conftest import PASSWORD, aws_client

START = 2_000_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pool_lookup(aws_stack: Provisioned) -> Callable[[], Any]:
    account = aws_stack.account

    def pool() -> Any:
        return cognitoidp_backends[account][aws_stack.region].user_pools[aws_stack.user_pool_id]

    return pool


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(aws_stack: Provisioned, pool_lookup: Callable[[], Any], clock: Clock) -> Any:
    issuer = f"http://127.0.0.1:1/{aws_stack.user_pool_id}"
    return oauth.oauth_app(issuer, pool_lookup, clock=clock).test_client(), issuer


@pytest.fixture
def email(aws_stack: Provisioned) -> str:
    cognito = aws_client("cognito-idp")
    address = f"clock-{secrets.token_hex(5)}@example.com"
    cognito.sign_up(ClientId=aws_stack.user_pool_client_id, Username=address, Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=aws_stack.user_pool_id, Username=address)
    return address


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorize(server: Any, client_id: str, email: str, verifier: str | None, **changes: str) -> Any:
    """The authorize endpoint's last answer, the sign-in page's form sent if it shows one.

    ``verifier`` None: no PKCE; ``changes`` change (or, when empty, leave out) query parameters.
    """
    browser, issuer = server
    base = urlsplit(issuer).path
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": description.CLI_CALLBACK_URL,
        "state": "s",
        **({"code_challenge": challenge_of(verifier), "code_challenge_method": "S256"} if verifier else {}),
    }
    query = {name: value for name, value in {**query, **changes}.items() if value}
    answer = browser.get(f"{base}/oauth2/authorize", query_string=query)
    if answer.status_code == 200:  # the sign-in page; else its session signed in already
        csrf = re.search(r'name="csrf" value="([^"]+)"', answer.text)
        assert csrf is not None
        form = {**query, "csrf": csrf[1], "username": email, "password": PASSWORD}
        answer = browser.post(f"{base}/login", data=form)
    return answer


def redirected(answer: Any) -> dict[str, str]:
    """The query of the redirect to the CLI's callback that ``answer`` is."""
    assert answer.status_code == 302, answer.text
    target = urlsplit(answer.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == description.CLI_CALLBACK_URL
    return {name: values[0] for name, values in parse_qs(target.query).items()}


def code_for(server: Any, client_id: str, email: str, verifier: str | None, **changes: str) -> str:
    return redirected(authorize(server, client_id, email, verifier, **changes))["code"]


def exchange(server: Any, client_id: str, code: str, verifier: str | None, **changes: str) -> Any:
    browser, issuer = server
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": description.CLI_CALLBACK_URL,
        "client_id": client_id,
        **({"code_verifier": verifier} if verifier else {}),
        **changes,
    }
    return browser.post(f"{urlsplit(issuer).path}/oauth2/token", data=form)


def error_of(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.get_json()["error"]


def test_a_code_is_good_for_five_minutes_and_no_longer(
    server: Any, aws_stack: Provisioned, clock: Clock, email: str
) -> None:
    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    late = code_for(server, cli, email, verifier)
    in_time = code_for(server, cli, email, verifier)
    clock.now += description.AUTHORIZATION_CODE_SECONDS - 1
    assert exchange(server, cli, in_time, verifier).status_code == 200
    clock.now += 2
    expired = exchange(server, cli, late, verifier)
    assert (expired.status_code, expired.get_json()["error"]) == (400, "invalid_grant")


def test_tokens_carry_the_clocks_time(server: Any, aws_stack: Provisioned, clock: Clock, email: str) -> None:
    import jwt

    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    tokens = exchange(server, cli, code_for(server, cli, email, verifier), verifier).get_json()
    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert (access["iat"], access["auth_time"], access["exp"]) == (START, START, START + 3600)


def test_a_refresh_token_outlives_a_saved_and_restored_emulator(
    server: Any, aws_stack: Provisioned, email: str, pool_lookup: Callable[[], Any], tmp_path: Path
) -> None:
    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    tokens = exchange(server, cli, code_for(server, cli, email, verifier), verifier).get_json()
    state = tmp_path / "state.pickle"
    state_file.save(state, state_file.snapshot())
    oauth.kept(pool_lookup()).refresh_tokens.clear()  # what a new process would hold without the file
    browser, issuer = server
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": cli}
    token_path = f"{urlsplit(issuer).path}/oauth2/token"
    assert browser.post(token_path, data=form).status_code == 400
    state_file.load(state)
    renewed = browser.post(token_path, data=form)
    assert renewed.status_code == 200, renewed.text
    assert "access_token" in renewed.get_json()


def test_a_refresh_token_lasts_thirty_days(
    server: Any, aws_stack: Provisioned, clock: Clock, email: str
) -> None:
    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    tokens = exchange(server, cli, code_for(server, cli, email, verifier), verifier).get_json()
    browser, issuer = server
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": cli}
    token_path = f"{urlsplit(issuer).path}/oauth2/token"
    clock.now += oauth.REFRESH_TOKEN_SECONDS - 60
    assert browser.post(token_path, data=form).status_code == 200
    clock.now += 120
    expired = browser.post(token_path, data=form)
    assert (expired.status_code, expired.get_json()["error"]) == (400, "invalid_grant")


def test_a_scope_the_client_may_not_have_is_refused_with_the_state(
    server: Any, aws_stack: Provisioned, email: str
) -> None:
    reader, cli = aws_stack.oauth_clients["readOnly"], aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    code_for(server, cli, email, verifier)  # the sign-in page's session: asking again shows no page
    for client_id, scope in (
        (reader, "openid notes/read notes/write"),  # one the client is not allowed
        (reader, "notes/read notes/nothing"),  # one that does not exist
        (cli, "openid phone"),  # a standard scope the client is not allowed
        (cli, "openid email notes/admin"),
    ):
        query = redirected(authorize(server, client_id, email, verifier, scope=scope))
        assert (query.get("error"), query.get("state")) == ("invalid_scope", "s"), scope
        assert "code" not in query
    # What a client may have, it gets: the scopes asked, or all of them when none are.
    code = code_for(server, reader, email, verifier, scope="notes/read")
    granted = exchange(server, reader, code, verifier)
    assert _claims(granted.get_json()["access_token"])["scope"] == "notes/read"
    every = exchange(server, reader, code_for(server, reader, email, verifier), verifier)
    assert _claims(every.get_json()["access_token"])["scope"] == "openid notes/read"


def test_pkce_is_needed_only_for_a_code_asked_with_a_challenge(
    server: Any, aws_stack: Provisioned, email: str
) -> None:
    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    plain = exchange(server, cli, code_for(server, cli, email, None), None)
    assert plain.status_code == 200, plain.text
    assert {"access_token", "id_token", "refresh_token"} <= set(plain.get_json())
    # A challenge asked for: its verifier is needed.
    assert error_of(exchange(server, cli, code_for(server, cli, email, verifier), None)) == (
        400,
        "invalid_request",
    )
    # No challenge asked for: a verifier is refused (RFC 9700, 4.8), as a downgrade would send it.
    assert error_of(exchange(server, cli, code_for(server, cli, email, None), verifier)) == (
        400,
        "invalid_request",
    )


def test_a_code_is_used_up_by_its_first_redemption_even_a_refused_one(
    server: Any, aws_stack: Provisioned, email: str
) -> None:
    cli, reader = aws_stack.oauth_clients["cli"], aws_stack.oauth_clients["readOnly"]
    verifier = secrets.token_urlsafe(48)
    for client_id, wrong, error in (
        (cli, {"code_verifier": secrets.token_urlsafe(48)}, "invalid_grant"),
        (cli, {"redirect_uri": description.CLI_CALLBACK_URL + "/other"}, "invalid_grant"),
        (cli, {"code_verifier": ""}, "invalid_request"),
        (reader, {}, "invalid_grant"),  # another client's
    ):
        code = code_for(server, cli, email, verifier)
        assert error_of(exchange(server, client_id, code, verifier, **wrong)) == (400, error), wrong
        assert error_of(exchange(server, cli, code, verifier)) == (400, "invalid_grant"), wrong


def test_a_token_request_without_grant_type_is_an_invalid_request(
    server: Any, aws_stack: Provisioned, email: str
) -> None:
    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    code = code_for(server, cli, email, verifier)
    assert error_of(exchange(server, cli, code, verifier, grant_type="")) == (400, "invalid_request")
    assert error_of(exchange(server, cli, code, verifier, grant_type="password")) == (
        400,
        "unsupported_grant_type",
    )


def test_a_revoked_sessions_access_token_is_refused_by_user_info_and_get_user(
    server: Any, aws_stack: Provisioned, email: str
) -> None:
    from botocore.exceptions import ClientError

    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    revoked = exchange(server, cli, code_for(server, cli, email, verifier), verifier).get_json()
    kept = exchange(server, cli, code_for(server, cli, email, verifier), verifier).get_json()
    browser, issuer = server
    base = urlsplit(issuer).path
    cognito = aws_client("cognito-idp")

    def user_info(tokens: dict[str, Any]) -> Any:
        return browser.get(
            f"{base}/oauth2/userInfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )

    assert user_info(revoked).status_code == 200
    assert cognito.get_user(AccessToken=revoked["access_token"])["Username"]
    answer = browser.post(f"{base}/oauth2/revoke", data={"token": revoked["refresh_token"], "client_id": cli})
    assert answer.status_code == 200, answer.text

    refused = user_info(revoked)
    assert refused.status_code == 401
    assert refused.get_json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    with pytest.raises(ClientError) as get_user:
        cognito.get_user(AccessToken=revoked["access_token"])
    said = get_user.value.response["Error"]
    assert (said["Code"], said["Message"]) == ("NotAuthorizedException", "Access Token has been revoked")
    # The user's other session is not touched.
    assert user_info(kept).status_code == 200
    assert cognito.get_user(AccessToken=kept["access_token"])["Username"]


def test_prompt_login_asks_for_the_password_despite_the_pages_session(
    server: Any, aws_stack: Provisioned, clock: Clock, email: str
) -> None:
    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    code_for(server, cli, email, verifier)
    clock.now += 600
    browser, issuer = server
    base = urlsplit(issuer).path
    query = {
        "response_type": "code",
        "client_id": cli,
        "redirect_uri": description.CLI_CALLBACK_URL,
        "state": "s",
        "code_challenge": challenge_of(verifier),
        "code_challenge_method": "S256",
    }
    assert browser.get(f"{base}/oauth2/authorize", query_string=query).status_code == 302  # the session
    page = browser.get(f"{base}/oauth2/authorize", query_string={**query, "prompt": "login"})
    assert page.status_code == 200
    assert '<input id="password"' in page.text
    assert '<input type="hidden" name="prompt" value="login">' in page.text
    # Signed in again: the tokens say when.
    code = code_for(server, cli, email, verifier, prompt="login")
    tokens = exchange(server, cli, code, verifier).get_json()
    assert _claims(tokens["access_token"])["auth_time"] == START + 600


def _claims(token: str) -> dict[str, Any]:
    import jwt

    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


# --- the sign-in pages (templates) -----------------------------------------------------------------


def page_query(client_id: str, **changes: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": description.CLI_CALLBACK_URL,
        "state": "s",
        **changes,
    }


def test_the_pages_show_what_they_are_given_as_text(server: Any, aws_stack: Provisioned) -> None:
    browser, issuer = server
    base = urlsplit(issuer).path
    cli = aws_stack.oauth_clients["cli"]
    name = "<script>alert(1)</script>@example.com"
    state = '"><script>alert(2)</script>'
    page = browser.get(f"{base}/oauth2/authorize", query_string=page_query(cli, state=state, login_hint=name))
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;@example.com"' in page.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    assert html.unescape(hidden["state"]) == state  # carried on as it came
    sign_up_link = re.search(r'<a href="([^"]+)">Sign up</a>', page.text)
    assert sign_up_link is not None
    assert parse_qs(urlsplit(html.unescape(sign_up_link[1])).query)["state"] == [state]

    # A name typed into the sign-up form, shown again with the refusal.
    csrf = hidden["csrf"]
    form = {**page_query(cli), "csrf": csrf, "username": f"<b>{name}", "password": "short"}
    refused = browser.post(f"{base}/signup", data=form)
    assert refused.status_code == 400
    assert "<script>" not in refused.text and "<b>" not in refused.text
    assert 'value="&lt;b&gt;&lt;script&gt;' in refused.text

    # A redirect URI the client did not register is named on the error page, as text.
    elsewhere = "http://127.0.0.1:8976/<script>alert(3)</script>"
    error = browser.get(f"{base}/oauth2/authorize", query_string=page_query(cli, redirect_uri=elsewhere))
    assert error.status_code == 400
    assert "<script>" not in error.text
    assert (
        '<p role="alert">Redirect URI http://127.0.0.1:8976/&lt;script&gt;alert(3)&lt;/script&gt;'
        in error.text
    )
    # One holding a quote, which the error cannot name, is refused as well (not a server error).
    quoted = browser.get(
        f"{base}/oauth2/authorize", query_string=page_query(cli, redirect_uri=f'{elsewhere}"')
    )
    assert quoted.status_code == 400
    assert '<p role="alert">Redirect URI is not supported by client.</p>' in quoted.text


def test_the_pages_headers_allow_their_style_and_their_forms_targets_only(
    server: Any, aws_stack: Provisioned
) -> None:
    browser, issuer = server
    base = urlsplit(issuer).path
    cli = aws_stack.oauth_clients["cli"]
    callback = urlsplit(description.CLI_CALLBACK_URL)
    page = browser.get(f"{base}/oauth2/authorize", query_string=page_query(cli))
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"form-action 'self' {callback.scheme}://{callback.netloc}; frame-ancestors 'none'; base-uri 'none'"
    )
    assert (page.headers["X-Frame-Options"], page.headers["Referrer-Policy"]) == ("DENY", "no-referrer")
    assert page.headers["Cache-Control"] == "no-store"
    unknown = browser.get(f"{base}/oauth2/authorize", query_string=page_query("no-such-client"))
    assert unknown.status_code == 400
    assert unknown.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def test_the_sign_up_page_lists_the_pools_own_rules(
    server: Any, aws_stack: Provisioned, pool_lookup: Callable[[], Any]
) -> None:
    browser, issuer = server
    base = urlsplit(issuer).path
    cli = aws_stack.oauth_clients["cli"]
    listed = re.compile(r'<ul id="password-rules">(.*?)</ul>')
    page = browser.get(f"{base}/signup", query_string=page_query(cli))
    found = listed.search(page.text)
    assert found is not None
    assert re.findall(r"<li>(.*?)</li>", found[1]) == [
        "At least 12 characters",
        "An upper-case letter",
        "A lower-case letter",
        "A digit",
        "A symbol, such as ! ? # - or _",
    ]
    policy = pool_lookup().extended_config["Policies"]["PasswordPolicy"]
    changed = {**policy, "MinimumLength": 20, "RequireSymbols": False}
    pool_lookup().extended_config["Policies"]["PasswordPolicy"] = changed
    try:
        page = browser.get(f"{base}/signup", query_string=page_query(cli))
    finally:
        pool_lookup().extended_config["Policies"]["PasswordPolicy"] = policy
    found = listed.search(page.text)
    assert found is not None
    assert re.findall(r"<li>(.*?)</li>", found[1]) == [
        "At least 20 characters",
        "An upper-case letter",
        "A lower-case letter",
        "A digit",
    ]


def test_data_saved_before_the_records_had_a_module_of_their_own_loads() -> None:
    import pickle

    from local_stack.oauth import records

    saved = records.Kept(codes={}, refresh_tokens={})
    earlier = pickle.dumps(saved, protocol=0).replace(b"local_stack.oauth.records", b"local_stack.oauth")
    assert b"local_stack.oauth.records" not in earlier
    loaded = pickle.loads(earlier)  # noqa: S301 - made here
    assert isinstance(loaded, records.Kept) and loaded == saved


@pytest.mark.parametrize(("stated", "verified"), [(None, True), ("true", True), ("false", False)])
def test_every_token_and_user_info_say_alike_whether_the_email_is_verified(
    server: Any, aws_stack: Provisioned, email: str, stated: str | None, verified: bool
) -> None:
    cognito = aws_client("cognito-idp")
    if stated is not None:
        cognito.admin_update_user_attributes(
            UserPoolId=aws_stack.user_pool_id,
            Username=email,
            UserAttributes=[{"Name": "email_verified", "Value": stated}],
        )
    cli = aws_stack.oauth_clients["cli"]
    verifier = secrets.token_urlsafe(48)
    page_tokens = exchange(server, cli, code_for(server, cli, email, verifier), verifier).get_json()
    pool_tokens = cognito.admin_initiate_auth(
        UserPoolId=aws_stack.user_pool_id,
        ClientId=aws_stack.user_pool_client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    assert _claims(page_tokens["id_token"])["email_verified"] is verified
    assert _claims(pool_tokens["IdToken"])["email_verified"] is verified
    browser, issuer = server
    info = browser.get(
        f"{urlsplit(issuer).path}/oauth2/userInfo",
        headers={"Authorization": f"Bearer {page_tokens['access_token']}"},
    )
    assert info.get_json()["email_verified"] == str(verified).lower()  # a string, as Cognito's
