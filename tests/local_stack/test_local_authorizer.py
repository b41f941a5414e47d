"""Tokens in chalice local and the test client get API Gateway's answers (the contract's table)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from typing import Any

import jwt
import pytest
import requests
from chalice import Chalice, CognitoUserPoolAuthorizer
from chalice.test import Client

import app as notes_app
from chalicelib import tokens as chalice_tokens
from chalicelib.settings import Settings
from local_stack import gateway_auth
from local_stack.gateway_auth import (
    CognitoVerifier,
    JwksCache,
    SigningKeysUnavailable,
    TokenRejected,
    jwks_url,
)
from tests.conftest import ROOT, STAGE, aws_client
from tests.fakes import jwks_endpoint, stalled_endpoint
from tests.tokens import SHIPPED_KID, TokenFactory, shipped_key

UNAUTHORIZED = {"message": "Unauthorized"}
EXPIRED = {"message": "The incoming token has expired"}
READ, WRITE = "notes/notes.read", "notes/notes.write"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(token: str) -> list[str]:
    return token.split(".")


def _refused(response: Any, body: dict[str, str] = UNAUTHORIZED) -> None:
    assert response.status_code == 401, response.body
    assert json.loads(response.body) == body
    # Refused by the gateway itself, before the app ran.
    assert response.headers.get("x-amzn-ErrorType") == "UnauthorizedException"


def _call(http: Any, token: str | None, header: str = "Authorization", path: str = "/me") -> Any:
    headers = {} if token is None else {header: token}
    return http.get(path, headers=headers)


# --- the token matrix, against the notes app (ID tokens) -------------------------------------


def test_a_real_id_token_is_accepted(alice):
    response = alice.get("/me")
    assert response.status_code == 200
    assert response.json_body["userId"] == alice.sub


@pytest.mark.parametrize("token", [None, "", "   ", "Bearer", "Bearer   "])
def test_no_or_empty_token_is_refused(http, token):
    _refused(_call(http, token))


@pytest.mark.parametrize(
    "token", ["garbage", "a.b", "a.b.c", "eyJhbGciOi.e30.", "....", "Bearer a.b.c", "é.é.é"]
)
def test_garbage_is_refused_not_a_crash(http, token):
    _refused(_call(http, token))


@pytest.mark.parametrize(
    "header",
    [b"[" * 3000 + b"]" * 3000, b"\xff\xfe{}", b"null", b'["RS256"]', b'{"alg":"RS256","kid":7}', b""],
    ids=["deeply-nested", "not-utf8", "null", "a-list", "kid-not-a-string", "empty"],
)
def test_a_malformed_header_is_refused_not_a_crash(http, tokens, header):
    signed = _segments(tokens.id_token())
    _refused(_call(http, ".".join([_b64(header), *signed[1:]])))


def test_alg_none_is_refused(http, tokens):
    header = _b64(json.dumps({"alg": "none", "kid": tokens.pool_kid, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(tokens.claims("id")).encode())
    _refused(_call(http, f"{header}.{payload}."))


def test_hs256_signed_with_the_public_key_is_refused(http, tokens):
    header = _b64(json.dumps({"alg": "HS256", "kid": tokens.pool_kid, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(tokens.claims("id")).encode())
    signature = hmac.new(tokens.public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    _refused(_call(http, f"{header}.{payload}.{_b64(signature)}"))


def test_a_signature_by_another_key_under_a_known_kid_is_refused(http, tokens):
    _refused(_call(http, tokens.sign(tokens.claims("id"), key=tokens.other_key)))


def test_an_unknown_kid_is_refused(http, tokens):
    _refused(_call(http, tokens.sign(tokens.claims("id"), kid="not-a-pool-key")))


def test_a_token_signed_with_the_emulator_packages_own_key_is_refused(http, tokens, alice, bob):
    # The key every install of the emulator ships, which anyone can sign with: once, it let any
    # token in, for any sub. The pool signs with a key of its own and publishes only that one.
    bobs = tokens.claims("id", sub=bob.sub, email=bob.email)
    forged = tokens.sign(bobs, key=shipped_key(), kid=SHIPPED_KID)
    _refused(_call(http, forged))
    keys = requests.get(jwks_url(notes_app.settings), timeout=5).json()["keys"]
    assert [key["kid"] for key in keys] == [tokens.pool_kid] != [SHIPPED_KID]
    assert alice.get("/me").status_code == 200  # the pool's own tokens are accepted


def test_a_tampered_payload_is_refused(http, alice):
    header, payload, signature = _segments(alice.token)
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    _refused(_call(http, f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"))


def test_an_expired_token_gets_the_expired_message(http, tokens):
    _refused(_call(http, tokens.id_token(exp=int(time.time()) - 5)), EXPIRED)


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AnotherPool"},
        {
            "iss": "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_c89f58f7de588565c541ab008323e8e01d0f7223d8f0a"
        },
        {"aud": "another-app-client"},
        {"token_use": "access"},
        {"exp": "tomorrow"},
        {"sub": ""},
        {"exp": 10**30},
        {"iat": 10**30},
        {"exp": float("inf")},
        {"iat": "yesterday"},
        {"exp": int(time.time()) + 600.5},
        {"exp": True},
        {"aud": None},
    ],
    ids=[
        "other pool",
        "other region",
        "other client",
        "wrong token_use",
        "bad exp",
        "empty sub",
        "exp past the year 9999",
        "iat past the year 9999",
        "exp Infinity",
        "bad iat",
        "fractional exp",
        "boolean exp",
        "no aud",
    ],
)
def test_tokens_for_another_pool_client_or_use_are_refused(http, tokens, overrides):
    _refused(_call(http, tokens.id_token(**overrides)))


def test_an_audience_list_is_refused_even_naming_the_client(http, tokens):
    # Cognito's ID tokens name their client as a string; a list (JWT allows one) is never issued.
    _refused(_call(http, tokens.id_token(aud=[tokens.client_id])))
    _refused(_call(http, tokens.id_token(aud={"client": tokens.client_id})))


def test_a_payload_nested_too_deeply_to_decode_is_refused(http, tokens):
    claims = json.dumps(tokens.claims("id"))
    payload = f'{claims[:-1]}, "nested": {"[" * 5000}{"]" * 5000}}}'.encode()
    token = jwt.api_jws.encode(payload, tokens.pool_key, algorithm="RS256", headers={"kid": tokens.pool_kid})
    _refused(_call(http, token))


@pytest.mark.parametrize(
    "overrides",
    [{"exp": 10**30}, {"iat": 10**30}, {"exp": float("inf")}, {"aud": ["CLIENT"]}],
    ids=["exp 10^30", "iat 10^30", "exp Infinity", "audience list"],
)
def test_chalice_local_answers_unusual_signed_tokens_with_401_not_a_dropped_connection(
    local_stack, overrides
):
    facts = local_stack.facts
    signer = TokenFactory(
        f"https://cognito-idp.{facts.region}.amazonaws.com/{facts.user_pool_id}",
        facts.user_pool_client_id,
        local_stack.signing_key(),
    )
    if overrides.get("aud") == ["CLIENT"]:
        overrides = {"aud": [facts.user_pool_client_id]}
    assert (
        requests.get(
            f"{facts.api_url}/me", headers={"Authorization": signer.id_token()}, timeout=10
        ).status_code
        == 200
    )  # the same token without the unusual claim is accepted
    answer = requests.get(
        f"{facts.api_url}/me", headers={"Authorization": signer.id_token(**overrides)}, timeout=10
    )
    assert answer.status_code == 401, answer.text
    assert answer.json() == UNAUTHORIZED


def test_an_access_token_on_an_unscoped_route_is_refused(http, tokens, alice):
    _refused(_call(http, tokens.access_token(READ)))
    auth = aws_client("cognito-idp").initiate_auth(
        ClientId=notes_app.settings.app_client_ids[0],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": alice.email, "PASSWORD": "Correct-Horse-Battery-9"},
    )["AuthenticationResult"]
    _refused(_call(http, auth["AccessToken"]))


@pytest.mark.parametrize("header", ["authorization", "AUTHORIZATION", "Authorization"])
@pytest.mark.parametrize("prefix", ["", "Bearer ", "bearer "])
def test_header_case_and_bearer_prefix(http, alice, header, prefix):
    response = _call(http, prefix + alice.token, header=header)
    assert response.status_code == 200
    assert response.json_body["userId"] == alice.sub


def test_a_refresh_token_gives_a_working_id_token(http, alice):
    cognito = aws_client("cognito-idp")
    client_id = notes_app.settings.app_client_ids[0]
    first = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": alice.email, "PASSWORD": "Correct-Horse-Battery-9"},
    )["AuthenticationResult"]
    refreshed = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    response = _call(http, refreshed["IdToken"])
    assert response.status_code == 200 and response.json_body["userId"] == alice.sub


def test_a_refused_write_stores_nothing(http, tokens, alice):
    forged = tokens.sign(tokens.claims("id", sub=alice.sub), key=tokens.other_key)
    response = http.post(
        "/notes",
        headers={"Authorization": forged, "Content-Type": "application/json"},
        body=b'{"content":"x"}',
    )
    _refused(response)
    assert alice.get("/notes").json_body["notes"] == []


def test_health_needs_no_token(http):
    assert http.get("/health", headers={"Authorization": "garbage"}).status_code == 200


# --- a scoped stage, a custom header, and the claims the view sees ---------------------------


@pytest.fixture
def scoped(aws) -> Any:
    """A second app on the same pool: scoped routes and a custom token header, verified locally."""
    settings = notes_app.settings
    scoped_settings = Settings.from_env(
        {
            "AWS_REGION": settings.region,
            "NOTES_TABLE_NAME": settings.table_name,
            "NOTES_BUCKET_NAME": settings.bucket_name,
            "COGNITO_USER_POOL_ARN": settings.user_pool_arn,
            "COGNITO_APP_CLIENT_IDS": ",".join(settings.app_client_ids),
            "COGNITO_READ_SCOPES": READ,
            "COGNITO_WRITE_SCOPES": WRITE,
        }
    )
    app = Chalice(app_name="scoped")
    pool = CognitoUserPoolAuthorizer("Pool", provider_arns=[settings.user_pool_arn], header="X-Notes-Token")

    def claims() -> Any:
        request = app.current_request
        assert request is not None
        return request.context["authorizer"]["claims"]

    @app.route("/claims", methods=["GET"], authorizer=pool.with_scopes(list(scoped_settings.read_scopes)))
    def read_claims() -> Any:
        return claims()

    @app.route("/claims", methods=["POST"], authorizer=pool.with_scopes(list(scoped_settings.write_scopes)))
    def write_claims() -> Any:
        return claims()

    @app.route("/id-claims", methods=["GET"], authorizer=pool)
    def id_claims() -> Any:
        return claims()

    verifier = gateway_auth.verify_tokens_locally(app, scoped_settings)
    assert verifier is not None
    return Client(app, stage_name=STAGE, project_dir=str(ROOT)).http


def test_scoped_routes_take_access_tokens_with_any_one_required_scope(scoped, tokens):
    for scope in (READ, f"{WRITE} {READ}", f"openid {READ}"):
        assert _call(scoped, tokens.access_token(scope), "X-Notes-Token", "/claims").status_code == 200
    assert scoped.post("/claims", headers={"X-Notes-Token": tokens.access_token(WRITE)}).status_code == 200


def test_scoped_routes_refuse_a_missing_scope_and_id_tokens(scoped, tokens):
    _refused(_call(scoped, tokens.access_token(WRITE), "X-Notes-Token", "/claims"))
    _refused(_call(scoped, tokens.access_token("aws.cognito.signin.user.admin"), "X-Notes-Token", "/claims"))
    _refused(scoped.post("/claims", headers={"X-Notes-Token": tokens.access_token(READ)}))
    _refused(_call(scoped, tokens.id_token(), "X-Notes-Token", "/claims"))
    _refused(_call(scoped, tokens.access_token(READ, client_id="another"), "X-Notes-Token", "/claims"))


def test_the_authorizers_own_header_is_the_one_read(scoped, tokens):
    token = tokens.id_token()
    assert _call(scoped, token, "x-notes-token", "/id-claims").status_code == 200
    _refused(_call(scoped, token, "Authorization", "/id-claims"))


def test_claims_reach_the_view_as_api_gateway_strings(scoped, tokens):
    exp = 1_900_000_000  # Tue Mar 17 17:46:40 UTC 2030
    token = tokens.id_token(exp=exp, iat=exp - 3600, **{"cognito:groups": ["admin", "editors"]})
    claims = _call(scoped, token, "X-Notes-Token", "/id-claims").json_body
    assert all(isinstance(value, str) for value in claims.values())
    assert claims["exp"] == "Sun Mar 17 17:46:40 UTC 2030"
    assert claims["iat"] == "Sun Mar 17 16:46:40 UTC 2030"
    assert claims["email_verified"] == "true"
    assert claims["auth_time"].isdigit()
    assert claims["cognito:groups"] == "admin,editors"


# --- the key cache -----------------------------------------------------------------------------


class FakeJwks:
    """A JWKS endpoint under test control: counts fetches, can fail."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.calls = 0
        self.down = False

    def __call__(self, url: str) -> dict[str, Any]:
        self.calls += 1
        if self.down:
            raise SigningKeysUnavailable(f"cannot fetch the user pool's signing keys from {url}: refused")
        return self.document


@pytest.fixture
def pool_jwks(tokens) -> dict[str, Any]:
    from jwt.algorithms import RSAAlgorithm

    jwk = json.loads(RSAAlgorithm.to_jwk(tokens.pool_key.public_key()))
    return {"keys": [{**jwk, "kid": tokens.pool_kid, "alg": "RS256", "use": "sig"}]}


def _verifier(tokens, fetch, clock) -> CognitoVerifier:
    return CognitoVerifier(tokens.issuer, (tokens.client_id,), JwksCache("http://keys", fetch, clock))


def test_keys_are_fetched_once_not_per_request(tokens, pool_jwks):
    fetch, now = FakeJwks(pool_jwks), [0.0]
    verifier = _verifier(tokens, fetch, lambda: now[0])
    for _ in range(50):
        verifier.verify(tokens.id_token())
        now[0] += 10
    assert fetch.calls == 1


def test_an_unknown_kid_refreshes_at_most_once_a_minute(tokens, pool_jwks):
    fetch, now = FakeJwks(pool_jwks), [0.0]
    verifier = _verifier(tokens, fetch, lambda: now[0])
    verifier.verify(tokens.id_token())
    unknown = tokens.sign(tokens.claims("id"), kid="rotated")
    for _ in range(5):
        with pytest.raises(TokenRejected):
            verifier.verify(unknown)
    assert fetch.calls == 1
    now[0] += 60
    with pytest.raises(TokenRejected):
        verifier.verify(unknown)
    assert fetch.calls == 2


def test_a_rotated_key_is_picked_up_after_the_minute(tokens, pool_jwks):
    fetch, now = FakeJwks({"keys": []}), [0.0]
    verifier = _verifier(tokens, fetch, lambda: now[0])
    with pytest.raises(TokenRejected):
        verifier.verify(tokens.id_token())
    fetch.document = pool_jwks
    now[0] += 61
    assert verifier.verify(tokens.id_token())["token_use"] == "id"


def test_unreachable_keys_on_a_cold_cache_are_a_clear_refusal_and_a_warm_cache_keeps_working(
    tokens, pool_jwks, alice, monkeypatch
):
    fetch = FakeJwks(pool_jwks)
    fetch.down = True
    cold = _verifier(tokens, fetch, time.monotonic)
    monkeypatch.setitem(gateway_auth._VERIFIERS, notes_app.app, cold)
    response = alice.get("/me")
    assert response.status_code == 503
    assert "signing keys" in json.loads(response.body)["message"]
    assert b"Traceback" not in response.body

    fetch.down = False
    warm = _verifier(tokens, fetch, time.monotonic)
    monkeypatch.setitem(gateway_auth._VERIFIERS, notes_app.app, warm)
    assert alice.get("/me").status_code == 200
    fetch.down = True
    assert alice.get("/me").status_code == 200
    _refused(_call(alice.http, tokens.sign(tokens.claims("id"), kid="rotated")))
    assert alice.get("/me").status_code == 200


def test_a_repeated_token_is_not_checked_again_but_its_expiry_is(tokens, pool_jwks, monkeypatch):
    decoded = []
    decoder = chalice_tokens._jwt()
    real_decode = decoder.decode
    monkeypatch.setattr(decoder, "decode", lambda *a, **k: decoded.append(1) or real_decode(*a, **k))
    now = [time.time()]
    keys = JwksCache("http://keys", FakeJwks(pool_jwks), time.monotonic)
    verifier = CognitoVerifier(tokens.issuer, (tokens.client_id,), keys, clock=lambda: now[0])
    token = tokens.id_token()
    for _ in range(5):
        assert verifier.verify(token)["token_use"] == "id"
    assert len(decoded) == 1
    now[0] += 3600
    with pytest.raises(TokenRejected) as refused:
        verifier.verify(token)
    assert refused.value.message == gateway_auth.EXPIRED
    # The other checks are made on every request too: a remembered access token is still held
    # to each route's scopes.
    now[0] -= 3600
    access = tokens.access_token(WRITE)
    assert verifier.verify(access, scopes=[WRITE])["scope"] == WRITE
    with pytest.raises(TokenRejected):
        verifier.verify(access, scopes=[READ])


def test_a_remembered_token_is_refused_once_its_key_leaves_the_pool(tokens, pool_jwks):
    fetch, now = FakeJwks(pool_jwks), [0.0]
    verifier = _verifier(tokens, fetch, lambda: now[0])
    token = tokens.id_token()
    verifier.verify(token)
    fetch.document = {"keys": []}
    now[0] += 61
    with pytest.raises(TokenRejected):  # an unknown key id: the cache fetches the pool's keys again
        verifier.verify(tokens.sign(tokens.claims("id"), kid="rotated"))
    with pytest.raises(TokenRejected):
        verifier.verify(token)


def test_remembered_tokens_are_bounded(tokens, pool_jwks, monkeypatch):
    monkeypatch.setattr(chalice_tokens, "CHECKED_TOKENS", 3)
    verifier = _verifier(tokens, FakeJwks(pool_jwks), time.monotonic)
    for n in range(5):
        verifier.verify(tokens.id_token(jti=str(n)))
    assert verifier.checked_tokens == 3


# --- the key cache over real HTTP: the pool's JWKS endpoint down, broken or slow ----------------


def _over_http(monkeypatch, tokens, url: str, clock=time.monotonic) -> JwksCache:
    """Make the app check tokens with keys fetched from ``url`` (a new, cold cache); return the cache."""
    keys = JwksCache(url, gateway_auth.fetch_jwks, clock)
    monkeypatch.setitem(
        gateway_auth._VERIFIERS, notes_app.app, CognitoVerifier(tokens.issuer, (tokens.client_id,), keys)
    )
    return keys


def _keys_unavailable(response: Any, url: str) -> None:
    assert response.status_code == 503, response.body
    message = json.loads(response.body)["message"]
    assert message.startswith("cannot fetch the user pool's signing keys from") or "did not answer" in message
    assert url in message
    assert b"Traceback" not in response.body
    assert int(response.headers["Retry-After"]) == gateway_auth.KEY_RETRY_SECONDS


@pytest.mark.parametrize(
    ("status", "document"),
    [(500, {"message": "internal"}), (404, {"message": "no such pool"}), (200, {"no": "keys"}), (200, ["x"])],
    ids=["500", "404", "not-a-jwks", "a-list"],
)
def test_a_broken_jwks_endpoint_on_a_cold_cache_is_a_503_and_nothing_is_stored(
    tokens, alice, monkeypatch, status, document
):
    with jwks_endpoint(document) as server:
        server.serve(document, status)
        _over_http(monkeypatch, tokens, server.url)
        _keys_unavailable(alice.post("/notes", {"content": "kept?"}), server.url)
    assert list(notes_app.services.note_model.query(alice.sub, consistent_read=True)) == []


def test_an_unreachable_jwks_endpoint_stays_a_503_until_it_answers(tokens, pool_jwks, alice, monkeypatch):
    now = [0.0]
    with jwks_endpoint(pool_jwks) as server:
        url = server.url
    # The endpoint is gone: nothing listens on its port any more.
    keys = _over_http(monkeypatch, tokens, url, lambda: now[0])
    _keys_unavailable(alice.get("/me"), url)
    # Inside the retry interval no new fetch is tried, and the answer stays the same refusal:
    # a 401 would send a caller with a good token off to sign in again.
    _keys_unavailable(alice.get("/me"), url)
    assert keys.fetches == 1
    with jwks_endpoint(pool_jwks) as server:
        keys.url = server.url
        now[0] += gateway_auth.KEY_RETRY_SECONDS
        assert alice.get("/me").status_code == 200
        assert server.requests == 1


def test_a_stalled_jwks_endpoint_is_a_503_within_the_fetch_timeout(tokens, alice, monkeypatch):
    with stalled_endpoint() as port:
        url = f"http://127.0.0.1:{port}/pool/.well-known/jwks.json"
        _over_http(monkeypatch, tokens, url)
        started = time.monotonic()
        response = alice.get("/me")
        elapsed = time.monotonic() - started
    _keys_unavailable(response, url)
    # A correctness bound (one bounded fetch, then an answer), not a benchmark.
    assert elapsed < gateway_auth.JWKS_TIMEOUT_SECONDS + 2


def test_a_warm_cache_outlives_its_jwks_endpoint(tokens, pool_jwks, alice, monkeypatch):
    now = [0.0]
    with jwks_endpoint(pool_jwks) as server:
        keys = _over_http(monkeypatch, tokens, server.url, lambda: now[0])
        assert alice.get("/me").status_code == 200
        assert server.requests == 1
    for _ in range(3):
        assert alice.get("/me").status_code == 200
        now[0] += chalice_tokens.KEY_REFRESH_SECONDS
        # An unknown key id makes the cache try the endpoint, which is gone: that token is
        # refused as API Gateway refuses it, and the cached keys keep working.
        _refused(_call(alice.http, tokens.sign(tokens.claims("id"), kid="rotated")))
    assert keys.fetches == 4
    assert alice.post("/notes", {"content": "still here"}).status_code == 201


def test_a_malformed_key_in_the_jwks_is_skipped_not_a_crash(tokens, pool_jwks, alice, monkeypatch):
    broken = {"kty": "RSA", "kid": "broken", "n": "AQAB", "e": "AQAB", "alg": "RS256"}
    with jwks_endpoint({"keys": [broken, *pool_jwks["keys"]]}) as server:
        _over_http(monkeypatch, tokens, server.url)
        assert alice.get("/me").status_code == 200
        _refused(_call(alice.http, tokens.sign(tokens.claims("id"), kid="broken")))


def test_loading_the_app_as_make_run_does_fetches_nothing_and_loads_no_crypto():
    code = (
        "import sys; from chalice.cli.factory import CLIFactory; "
        "from local_stack import chalice_local, gateway_auth as la; "
        "chalice_local.checking_tokens(); app = CLIFactory('.').load_chalice_app(); "
        "v = la._VERIFIERS[app]; "
        "print(v.keys.fetches, 'jwt' in sys.modules, 'cryptography' in sys.modules)"
    )
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["0", "False", "False"]


def test_the_app_itself_names_nothing_local():
    code = "import sys, app; print(sorted({n.split('.')[0] for n in sys.modules} & {'local_stack', 'jwt'}))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["[]"]


def test_a_scoped_stage_puts_its_scopes_on_every_notes_route():
    code = (
        "import json, app; "
        "print(json.dumps({f'{m} {p}': (e.authorizer.scopes if e.authorizer else None) "
        "for p, ms in app.app.routes.items() for m, e in ms.items()}))"
    )
    env = {**os.environ, "COGNITO_READ_SCOPES": READ, "COGNITO_WRITE_SCOPES": WRITE}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    scopes = json.loads(result.stdout)
    assert scopes.pop("GET /health") is None
    assert scopes.pop("GET /shared/{share_id}") is None  # a link is opened without a token
    for route, route_scopes in scopes.items():
        assert route_scopes == ([READ] if route.startswith("GET") else [WRITE]), route
