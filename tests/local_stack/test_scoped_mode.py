"""Scoped mode end to end (``make run SCOPED=1``): the pool's OAuth 2.0 endpoints over HTTP, and the
API admitting only access tokens with a route's scope, as API Gateway does."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from botocore.exceptions import ClientError

from tests.conftest import PASSWORD
from tests.stack import TIMEOUT, SignIn, Stack, StackUser, new_user

READ, WRITE = "notes/read", "notes/write"
UNAUTHORIZED = {"message": "Unauthorized"}
ACCESS_CLAIMS = {
    "sub", "iss", "version", "client_id", "origin_jti", "event_id", "token_use", "scope",
    "auth_time", "exp", "iat", "jti", "username",
}  # fmt: skip
ID_CLAIMS = {
    "sub", "email", "email_verified", "cognito:username", "aud", "iss", "token_use", "auth_time",
    "exp", "iat", "jti", "origin_jti", "event_id", "at_hash",
}  # fmt: skip


@pytest.fixture
def user(scoped_stack: Stack) -> StackUser:
    return new_user(scoped_stack, "scoped")


def call(stack: Stack, token: str, method: str, path: str, body: Any = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, stack.facts.api_url + path, json=body, headers=headers, timeout=TIMEOUT)


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def third_party(sign_in: SignIn, pkce: bool = True, scope: str | None = None) -> OAuth2Session:
    """Authlib's OAuth 2.0 client for ``sign_in``'s app client: a client this project did not write."""
    return OAuth2Session(
        sign_in.client_id,
        redirect_uri=sign_in.redirect_uri,
        scope=scope,
        token_endpoint_auth_method="none",
        revocation_endpoint_auth_method="none",
        code_challenge_method="S256" if pkce else None,
    )


def signed_in_at(sign_in: SignIn, address: str, email: str) -> str:
    """The browser's part: the sign-in page at ``address``, signed in on; where it sends the browser."""
    answer = sign_in.browser.get(address, allow_redirects=False, timeout=TIMEOUT)
    if answer.status_code == 200:  # the sign-in page; else its session signed in already
        answer = sign_in.submit(answer, "/login", username=email, password=PASSWORD)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def test_discovery_names_every_endpoint_under_the_tokens_issuer(scoped_stack: Stack, user: StackUser) -> None:
    oauth = scoped_stack.facts.oauth or {}
    found = requests.get(f"{oauth['issuer']}/.well-known/openid-configuration", timeout=TIMEOUT).json()
    assert found["issuer"] == oauth["issuer"]
    for name in ("authorization_endpoint", "token_endpoint", "revocation_endpoint", "userinfo_endpoint"):
        assert found[name].startswith(oauth["domain"] + "/oauth2/"), name
    assert found["end_session_endpoint"] == f"{oauth['domain']}/logout"
    assert found["code_challenge_methods_supported"] == ["S256"]
    assert {READ, WRITE, "openid"} <= set(found["scopes_supported"])
    # The key the JWKS publishes verifies the tokens the token endpoint signs.
    tokens = SignIn(scoped_stack).tokens(user.email)
    keys = jwt.PyJWKClient(found["jwks_uri"]).get_signing_key_from_jwt(tokens["access_token"])
    verified = jwt.decode(tokens["access_token"], keys.key, algorithms=["RS256"])
    assert verified["iss"] == oauth["issuer"]


def test_the_code_flow_gives_tokens_with_cognitos_claims_that_read_and_write(
    scoped_stack: Stack, user: StackUser
) -> None:
    sign_in = SignIn(scoped_stack)
    tokens = sign_in.tokens(user.email)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    access, identity = claims(tokens["access_token"]), claims(tokens["id_token"])
    assert set(access) == ACCESS_CLAIMS  # no groups: the user is in none
    assert "aud" not in access
    assert access["token_use"] == "access"
    assert access["client_id"] == sign_in.client_id
    assert access["version"] == 2
    assert set(access["scope"].split()) == {"openid", "email", "aws.cognito.signin.user.admin", READ, WRITE}
    assert set(identity) == ID_CLAIMS
    assert identity["aud"] == sign_in.client_id
    assert identity["email"] == user.email
    assert identity["email_verified"] is True
    assert identity["sub"] == access["sub"] == identity["cognito:username"] == access["username"]
    assert identity["origin_jti"] == access["origin_jti"]
    assert identity["event_id"] == access["event_id"]
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()
    assert identity["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert identity["auth_time"] == access["auth_time"] <= access["iat"]
    assert access["exp"] - access["iat"] == 3600

    created = call(scoped_stack, tokens["access_token"], "POST", "/notes", {"content": "scoped"})
    assert created.status_code == 201, created.text
    listed = call(scoped_stack, tokens["access_token"], "GET", "/notes")
    assert [note["content"] for note in listed.json()["notes"]] == ["scoped"]
    me = call(scoped_stack, tokens["access_token"], "GET", "/me").json()
    assert me["userId"] == access["sub"]
    assert me["email"] is None  # an access token carries no email


def test_the_read_only_client_reads_and_is_refused_every_write(scoped_stack: Stack, user: StackUser) -> None:
    writer = SignIn(scoped_stack).tokens(user.email)["access_token"]
    note = call(scoped_stack, writer, "POST", "/notes", {"content": "mine"}).json()
    path = f"/notes/{note['noteId']}"
    reader = SignIn(scoped_stack, client="readOnly", scope=f"openid {READ}").tokens(user.email)
    assert claims(reader["access_token"])["scope"] == f"openid {READ}"
    token = reader["access_token"]
    assert call(scoped_stack, token, "GET", "/notes").status_code == 200
    assert call(scoped_stack, token, "GET", path).json()["content"] == "mine"
    for method, target, body in (
        ("POST", "/notes", {"content": "no"}),
        ("PUT", path, {"content": "no"}),
        ("PATCH", path, {"content": "no"}),
        ("DELETE", path, None),
        ("POST", f"{path}/attachment", {"name": "a.txt", "contentType": "text/plain", "size": 1}),
        ("PUT", f"{path}/attachment", {"uploadId": str(uuid.uuid4())}),
        ("DELETE", f"{path}/attachment", None),
        ("POST", f"{path}/share", {"expiresInDays": 1}),
        ("DELETE", f"{path}/share", None),
        ("POST", f"{path}/versions/1/restore", None),
    ):
        refused = call(scoped_stack, token, method, target, body)
        assert (refused.status_code, refused.json()) == (401, UNAUTHORIZED), (method, target)
    assert call(scoped_stack, writer, "GET", path).json()["content"] == "mine"
    # Sharing needs the write scope; reading the link, the read scope; opening it, nothing at all.
    link = call(scoped_stack, writer, "POST", f"{path}/share", {"expiresInDays": 1})
    assert link.status_code == 201, link.text
    assert call(scoped_stack, token, "GET", f"{path}/share").json() == link.json()
    opened = requests.get(f"{scoped_stack.facts.api_url}/shared/{link.json()['shareId']}", timeout=10)
    assert opened.status_code == 200 and opened.json()["content"] == "mine"


def test_id_tokens_and_the_pools_own_access_tokens_are_refused(scoped_stack: Stack, user: StackUser) -> None:
    id_token = SignIn(scoped_stack).tokens(user.email)["id_token"]
    signed_in = scoped_stack.cognito().initiate_auth(
        ClientId=scoped_stack.facts.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    admin_access = signed_in["AccessToken"]
    assert claims(admin_access)["scope"] == "aws.cognito.signin.user.admin"
    for token in (id_token, signed_in["IdToken"], admin_access):
        for method, body in (("GET", None), ("POST", {"content": "x"})):
            refused = call(scoped_stack, token, method, "/notes", body)
            assert (refused.status_code, refused.json()) == (401, UNAUTHORIZED)


def test_a_code_is_single_use_and_bound_to_its_verifier_client_and_redirect(
    scoped_stack: Stack, user: StackUser
) -> None:
    def refused(answer: requests.Response) -> None:
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant"), answer.text

    sign_in = SignIn(scoped_stack)
    cli = SignIn(scoped_stack, client="cli")
    for code in (sign_in.code(user.email), sign_in.code(user.email), sign_in.code(user.email)):
        refused(sign_in.exchange(code, code_verifier="x" * 50))
        refused(sign_in.exchange(code))  # a refused redemption used it up
    for code in (sign_in.code(user.email), sign_in.code(user.email)):
        refused(sign_in.exchange(code, redirect_uri=sign_in.redirect_uri + "other"))
        refused(sign_in.exchange(code))
    code = sign_in.code(user.email)
    refused(cli.exchange(code, code_verifier=sign_in.verifier))  # another client's
    refused(sign_in.exchange(code))
    code = sign_in.code(user.email)
    assert sign_in.exchange(code).status_code == 200
    refused(sign_in.exchange(code))  # reused
    refused(sign_in.exchange("not-a-code"))
    code = sign_in.code(user.email)
    missing = sign_in.exchange(code, code_verifier="")
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    refused(sign_in.exchange(code))
    no_grant = sign_in.exchange(sign_in.code(user.email), grant_type="")
    assert (no_grant.status_code, no_grant.json()["error"]) == (400, "invalid_request"), no_grant.text


def test_a_third_party_client_signs_in_with_pkce_or_without(scoped_stack: Stack, user: StackUser) -> None:
    sign_in = SignIn(scoped_stack)
    for pkce in (True, False):
        client = third_party(sign_in, pkce)
        verifier = generate_token(48) if pkce else None
        address, state = client.create_authorization_url(
            sign_in.url("/oauth2/authorize"), code_verifier=verifier
        )
        assert ("code_challenge" in parse_qs(urlsplit(address).query)) is pkce
        back = signed_in_at(sign_in, address, user.email)
        token = client.fetch_token(
            sign_in.url("/oauth2/token"),
            authorization_response=back,
            state=state,
            **({"code_verifier": verifier} if verifier else {}),
        )
        assert {READ, WRITE} <= set(claims(token["access_token"])["scope"].split())
        assert call(scoped_stack, token["access_token"], "GET", "/notes").status_code == 200, pkce


def test_a_third_party_clients_refused_redemption_uses_the_code_up(
    scoped_stack: Stack, user: StackUser
) -> None:
    sign_in = SignIn(scoped_stack)
    client = third_party(sign_in)
    verifier = generate_token(48)
    address, state = client.create_authorization_url(sign_in.url("/oauth2/authorize"), code_verifier=verifier)
    back = signed_in_at(sign_in, address, user.email)
    for sent in (generate_token(48), verifier):  # a wrong verifier, then the right one: too late
        with pytest.raises(OAuthError) as refused:
            client.fetch_token(
                sign_in.url("/oauth2/token"), authorization_response=back, state=state, code_verifier=sent
            )
        assert refused.value.error == "invalid_grant"


def test_a_scope_the_client_may_not_have_goes_back_as_invalid_scope(
    scoped_stack: Stack, user: StackUser
) -> None:
    reader = SignIn(scoped_stack, client="readOnly")
    reader.code(user.email)  # signed in already: the page's session would not stop the request
    for scope in (f"openid {READ} {WRITE}", f"{READ} notes/delete", "openid profile"):
        client = third_party(reader, scope=scope)
        address, state = client.create_authorization_url(
            reader.url("/oauth2/authorize"), code_verifier=generate_token(48)
        )
        back = urlsplit(signed_in_at(reader, address, user.email))
        assert f"{back.scheme}://{back.netloc}{back.path}" == reader.redirect_uri
        query = parse_qs(back.query)
        assert (query["error"], query["state"]) == (["invalid_scope"], [state]), scope
        assert "code" not in query
        # The project's own helper sees the same.
        answer = SignIn(scoped_stack, client="readOnly", scope=scope).authorize()
        assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == ["invalid_scope"], scope


def test_a_revoked_sessions_access_token_is_refused_by_user_info_and_get_user(
    scoped_stack: Stack, user: StackUser
) -> None:
    sign_in = SignIn(scoped_stack)
    client, other = third_party(sign_in), SignIn(scoped_stack).tokens(user.email)
    verifier = generate_token(48)
    address, state = client.create_authorization_url(sign_in.url("/oauth2/authorize"), code_verifier=verifier)
    back = signed_in_at(sign_in, address, user.email)
    token = client.fetch_token(
        sign_in.url("/oauth2/token"), authorization_response=back, state=state, code_verifier=verifier
    )
    user_info, cognito = sign_in.url("/oauth2/userInfo"), scoped_stack.cognito()
    assert client.get(user_info, timeout=TIMEOUT).json()["email"] == user.email
    assert cognito.get_user(AccessToken=token["access_token"])["Username"]

    revoked = client.revoke_token(
        sign_in.url("/oauth2/revoke"), token=token["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200, revoked.text
    refused = client.get(user_info, timeout=TIMEOUT)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")
    with pytest.raises(ClientError) as get_user:
        cognito.get_user(AccessToken=token["access_token"])
    said = get_user.value.response["Error"]
    assert (said["Code"], said["Message"]) == ("NotAuthorizedException", "Access Token has been revoked")
    # The user's other session is untouched.
    bearer = {"Authorization": f"Bearer {other['access_token']}"}
    assert requests.get(user_info, headers=bearer, timeout=TIMEOUT).status_code == 200
    assert cognito.get_user(AccessToken=other["access_token"])["Username"]


def test_authorize_errors_go_back_with_the_state_and_unknown_targets_get_a_page(
    scoped_stack: Stack, user: StackUser
) -> None:
    sign_in = SignIn(scoped_stack)
    for changes in (
        {"code_challenge_method": "plain"},
        {"code_challenge": ""},
        {"code_challenge_method": ""},
    ):
        answer = sign_in.authorize(**changes)
        assert answer.status_code == 302, changes
        target = urlsplit(answer.headers["Location"])
        assert f"{target.scheme}://{target.netloc}{target.path}" == sign_in.redirect_uri
        query = parse_qs(target.query)
        assert (query["error"], query["state"]) == (["invalid_request"], [sign_in.state]), changes
        assert "code" not in query
    for changes in (
        {"redirect_uri": "https://elsewhere.example/"},
        {"redirect_uri": SignIn(scoped_stack, client="cli").redirect_uri},  # another client's
        {"client_id": "no-such-client"},
        {"redirect_uri": ""},
    ):
        answer = sign_in.authorize(**changes)
        assert answer.status_code == 400, changes
        assert "Location" not in answer.headers
        assert 'role="alert"' in answer.text
    wrong = sign_in.submit(sign_in.authorize(), "/login", username=user.email, password="Wrong-password-1!")
    assert (wrong.status_code, "Location" in wrong.headers) == (400, False)
    assert "Incorrect username or password." in wrong.text


def test_refresh_works_until_the_refresh_token_is_revoked(scoped_stack: Stack, user: StackUser) -> None:
    sign_in = SignIn(scoped_stack)
    tokens = sign_in.tokens(user.email)
    renewed = sign_in.refresh(tokens["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()
    assert "refresh_token" not in fresh
    assert claims(fresh["access_token"])["origin_jti"] == claims(tokens["access_token"])["origin_jti"]
    assert (
        call(scoped_stack, fresh["access_token"], "POST", "/notes", {"content": "renewed"}).status_code == 201
    )
    # Another client cannot use it.
    cli = SignIn(scoped_stack, client="cli")
    assert sign_in.refresh(tokens["refresh_token"], client_id=cli.client_id).status_code == 400
    assert sign_in.revoke(tokens["refresh_token"]).status_code == 200
    after = sign_in.refresh(tokens["refresh_token"])
    assert (after.status_code, after.json()["error"]) == (400, "invalid_grant")


def test_user_info_names_the_access_tokens_user(scoped_stack: Stack, user: StackUser) -> None:
    sign_in = SignIn(scoped_stack)
    tokens = sign_in.tokens(user.email)
    url = sign_in.url("/oauth2/userInfo")
    found = requests.get(url, headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=TIMEOUT)
    assert found.status_code == 200
    info = found.json()
    assert (info["sub"], info["email"], info["email_verified"]) == (
        claims(tokens["id_token"])["sub"],
        user.email,
        "true",
    )
    for header in ({}, {"Authorization": f"Bearer {tokens['id_token']}"}, {"Authorization": "Bearer x.y.z"}):
        assert requests.get(url, headers=header, timeout=TIMEOUT).status_code == 401


def test_the_sign_in_page_keeps_a_session_until_logout(scoped_stack: Stack, user: StackUser) -> None:
    sign_in = SignIn(scoped_stack)
    sign_in.code(user.email)
    again = sign_in.authorize()  # no password asked: the page's session
    assert again.status_code == 302
    assert "code" in parse_qs(urlsplit(again.headers["Location"]).query)
    asked = sign_in.authorize(prompt="login")  # unless the client asks for it
    assert (asked.status_code, "Location" in asked.headers) == (200, False)
    assert 'type="password"' in asked.text
    assert sign_in.exchange(sign_in.code(user.email, prompt="login")).status_code == 200
    elsewhere = {"client_id": sign_in.client_id, "logout_uri": "https://elsewhere.example/"}
    refused = sign_in.browser.get(
        sign_in.url("/logout"), params=elsewhere, allow_redirects=False, timeout=TIMEOUT
    )
    assert (refused.status_code, "Location" in refused.headers) == (400, False)
    logout = {"client_id": sign_in.client_id, "logout_uri": sign_in.redirect_uri}
    out = sign_in.browser.get(sign_in.url("/logout"), params=logout, allow_redirects=False, timeout=TIMEOUT)
    assert (out.status_code, out.headers["Location"]) == (302, sign_in.redirect_uri)
    page = sign_in.authorize()
    assert page.status_code == 200
    assert "Sign in" in page.text


def test_sign_up_and_confirmation_on_the_page_sign_the_new_user_in(scoped_stack: Stack) -> None:
    sign_in = SignIn(scoped_stack)
    email = f"page-{uuid.uuid4().hex[:10]}@example.com"
    form = sign_in.browser.get(sign_in.url("/signup"), params=sign_in.query(), timeout=TIMEOUT)
    weak = sign_in.submit(form, "/signup", username=email, password="short")
    assert weak.status_code == 400
    assert "This password cannot be used: it needs at least 12 characters, an upper-case letter" in weak.text
    assert "conform" not in weak.text
    confirm = sign_in.submit(form, "/signup", username=email, password=PASSWORD)
    assert confirm.status_code == 200
    assert "any confirmation code is accepted" in confirm.text
    signed_in = sign_in.submit(confirm, "/confirm", code="000000")
    assert signed_in.status_code == 302, signed_in.text
    code = parse_qs(urlsplit(signed_in.headers["Location"]).query)["code"][0]
    tokens = sign_in.exchange(code).json()
    assert claims(tokens["id_token"])["email"] == email
    again = SignIn(scoped_stack)
    form = again.browser.get(again.url("/signup"), params=again.query(), timeout=TIMEOUT)
    taken = again.submit(form, "/signup", username=email, password=PASSWORD)
    assert taken.status_code == 400
    assert "An account with this email already exists: sign in with it" in taken.text


def test_the_page_answers_cors_for_the_web_app_only(scoped_stack: Stack, user: StackUser) -> None:
    sign_in = SignIn(scoped_stack)
    origin = scoped_stack.facts.web_url
    answer = sign_in.exchange(sign_in.code(user.email), headers={"Origin": origin})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == origin
    other = sign_in.exchange(sign_in.code(user.email), headers={"Origin": "http://127.0.0.1:1"})
    assert other.status_code == 200, other.text
    assert "Access-Control-Allow-Origin" not in other.headers


def test_the_web_apps_config_names_its_client_and_the_sign_in_domain(scoped_stack: Stack) -> None:
    config = requests.get(f"{scoped_stack.facts.web_url}/config.json", timeout=TIMEOUT).json()
    oauth = scoped_stack.facts.oauth or {}
    page = f"{scoped_stack.facts.web_url}/"
    assert config["mode"] == "scoped"
    assert config["oauth"] == {
        "domain": oauth["domain"],
        "clientId": oauth["clients"]["web"]["clientId"],
        "scopes": f"openid email aws.cognito.signin.user.admin {READ} {WRITE}",
        "redirectUri": page,
        "logoutUri": page,
        "passwordScope": "aws.cognito.signin.user.admin",
    }
    assert page in oauth["clients"]["web"]["redirectUris"]


def test_plain_make_run_serves_no_sign_in_endpoints(local_stack: Stack) -> None:
    assert local_stack.facts.mode == "id"
    assert local_stack.facts.oauth is None
    issuer = f"{local_stack.facts.aws_endpoint}/{local_stack.facts.user_pool_id}"
    found = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    assert "authorization_endpoint" not in found.text


def test_groups_reach_both_tokens_and_the_api(scoped_stack: Stack, user: StackUser) -> None:
    cognito = scoped_stack.cognito()
    pool = scoped_stack.facts.user_pool_id
    for group in ("editors", "admins"):
        try:
            cognito.create_group(GroupName=group, UserPoolId=pool)
        except cognito.exceptions.GroupExistsException:
            pass
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=user.email, GroupName=group)
    tokens = SignIn(scoped_stack).tokens(user.email)
    assert claims(tokens["access_token"])["cognito:groups"] == ["admins", "editors"]
    assert claims(tokens["id_token"])["cognito:groups"] == ["admins", "editors"]
    me = call(scoped_stack, tokens["access_token"], "GET", "/me").json()
    assert sorted(me["groups"]) == ["admins", "editors"]
