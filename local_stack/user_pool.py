"""The emulator's user pools made to answer as Cognito's do, where the product or its clients can tell.

The emulator's Cognito differs from Cognito in ways that matter to a client written by anyone:

- **Signing key.** It signs every pool's tokens with one RSA key that ships inside the emulator
  package (key id ``dummy``), the same on every install, so anyone could mint tokens the local API
  accepts. Here each pool signs with a key of its own, made when the pool is (or, for a pool saved
  before, when it next signs), kept on the pool so that it is saved with the stack's data and
  tokens survive a restart. The pool's JWKS publishes that key only: a token signed with the
  shipped key names a key the pool does not have, and is refused.
- **Claims.** Every flow's ID token carries the user's ``email`` attribute (the emulator put the
  name the client signed in with there: after SRP, the user's ``sub``), and ``cognito:username`` and
  the access token's ``username`` are the user's internal name.
- **SRP.** ``USER_SRP_AUTH`` answers a real challenge (``SRP_B``, ``SALT``, ``SECRET_BLOCK``, see
  ``local_stack.srp``) and ``PASSWORD_VERIFIER`` checks ``PASSWORD_CLAIM_SIGNATURE`` against the
  user's password: any SDK that speaks SRP signs in with the right password and only with it. A
  challenge is answered once, right or wrong, within three minutes.
- **Usernames without case.** A pool whose ``UsernameConfiguration`` says ``CaseSensitive: false``
  (ours does) finds ``ALICE@example.com`` as ``alice@example.com``: one user whatever the case,
  ``UsernameExistsException`` for a second sign-up, sign-in in any case.
- **User existence errors.** An app client with ``PreventUserExistenceErrors: ENABLED`` (ours) tells
  nobody whether an account exists: signing in as an unknown user is ``NotAuthorizedException``
  "Incorrect username or password." as a wrong password is (SRP answers a simulated challenge
  first, the same for the same name); ``ForgotPassword`` and ``ResendConfirmationCode`` answer that
  a code went to a masked address; confirming with a code is ``CodeMismatchException``.
- **Auth flows.** ``InitiateAuth`` and ``AdminInitiateAuth`` take only the flows the app client
  enables (``ExplicitAuthFlows``), as Cognito does; a wrong password is worded alike in both.

``install()`` puts all of it into the emulator's classes, once per process: ``make run``'s emulator
and the test suite's in-process one alike.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

from local_stack import srp

SHIPPED_KEY_ID = "dummy"  # the key id of the key the emulator package ships
KEY_ATTRIBUTE = "json_web_key"  # where the emulator keeps a pool's signing key (saved with the pool)
CHALLENGE_SECONDS = 180
INCORRECT = "Incorrect username or password."
CODE_MISMATCH = "Invalid verification code provided, please try again."
_NAMESPACE = uuid.UUID("8f5b1c1e-6c1d-4a8e-9d0e-4d3b2f7c9a10")  # simulated users' stable ids


# --- the pool's own signing key -----------------------------------------------------------------


def signing_key(pool: Any) -> Any:
    """The pool's private signing key (a joserfc ``RSAKey`` with a key id); made on first need."""
    from joserfc.jwk import RSAKey

    key = pool.__dict__.get(KEY_ATTRIBUTE)
    if key is None or key.kid in (None, SHIPPED_KEY_ID):
        made = RSAKey.generate_key(2048, private=True)
        key = RSAKey.import_key(made.as_dict(private=True, kid=made.thumbprint()))
        setattr(pool, KEY_ATTRIBUTE, key)
    return key


def public_jwks(pool: Any) -> dict[str, Any]:
    """The pool's JWKS document, as Cognito publishes one: its signing key's public half only."""
    public = signing_key(pool).as_dict(private=False)
    return {
        "keys": [
            {
                "alg": "RS256",
                "e": public["e"],
                "kid": public["kid"],
                "kty": "RSA",
                "n": public["n"],
                "use": "sig",
            }
        ]
    }


def sign(pool: Any, claims: dict[str, Any]) -> str:
    """A JWT of ``claims`` signed with the pool's key, its key id in the header."""
    from joserfc import jwt

    key = signing_key(pool)
    return str(jwt.encode({"kid": key.kid, "alg": "RS256"}, claims, key))


# --- the pool's settings as Cognito reads them ----------------------------------------------------


def case_sensitive(pool: Any) -> bool:
    configuration = pool.extended_config.get("UsernameConfiguration") or {}
    return bool(configuration.get("CaseSensitive", True))


def prevents_existence_errors(client: Any) -> bool:
    return bool(client is not None and client.extended_config.get("PreventUserExistenceErrors") == "ENABLED")


def attribute(user: Any, name: str) -> str | None:
    for item in user.attributes:
        if item.get("Name") == name:
            return str(item.get("Value"))
    return None


def email_verified(user: Any) -> bool:
    """Whether the user's email is verified, as every token and userInfo say it: the attribute when
    the user has one; without it, whether the account is confirmed (confirming a sign-up with the
    emailed code verifies the email: Cognito records it, the emulator does not)."""
    stated = attribute(user, "email_verified")
    return stated.lower() == "true" if stated is not None else user.status == "CONFIRMED"


def masked(address: str) -> str:
    """An email address as Cognito shows where a code went: ``a***@e***``."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def pool_of_client(backend: Any, client_id: str | None) -> tuple[Any, Any]:
    """The pool holding app client ``client_id``, and the client. Raises ResourceNotFoundException."""
    from moto.cognitoidp.exceptions import ResourceNotFoundError

    for pool in backend.user_pools.values():
        client = pool.clients.get(client_id or "")
        if client is not None:
            return pool, client
    raise ResourceNotFoundError(client_id)


def _flow_enabled(client: Any, flow: str) -> None:
    """Cognito refuses a flow the client does not enable (``ALLOW_<flow>``)."""
    from moto.cognitoidp.exceptions import InvalidParameterException

    allowed = client.extended_config.get("ExplicitAuthFlows")
    if allowed is None:
        return  # a client made without the setting: the emulator's default, every flow
    name = "REFRESH_TOKEN_AUTH" if flow == "REFRESH_TOKEN" else flow
    if f"ALLOW_{name}" not in allowed:
        raise InvalidParameterException(f"{name} flow not enabled for this client")


def _unknown_user(client: Any, message: str = "User does not exist.") -> Exception:
    from moto.cognitoidp.exceptions import NotAuthorizedError, UserNotFoundError

    return NotAuthorizedError(INCORRECT) if prevents_existence_errors(client) else UserNotFoundError(message)


# --- SRP --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingChallenge:
    """An SRP challenge waiting for its ``PASSWORD_VERIFIER`` answer (kept on the pool)."""

    username: str | None  # the user's internal name; None for a simulated challenge
    challenge: srp.Challenge
    expires_at: float


def _pending(pool: Any) -> dict[str, PendingChallenge]:
    pending = pool.__dict__.get("srp_challenges")
    if not isinstance(pending, dict):
        pending = pool.__dict__["srp_challenges"] = {}
    now = time.time()
    for block in [block for block, item in pending.items() if item.expires_at <= now]:
        del pending[block]
    return pending


def _salt(pool: Any, name: str) -> str:
    """A user's salt: the same at every sign-in, as Cognito's (also for a name with no user)."""
    return hashlib.sha256(f"{pool.id}\0{name}".encode()).hexdigest()[:32]


def start_srp(pool: Any, client: Any, parameters: dict[str, Any]) -> dict[str, Any]:
    """``InitiateAuth`` with ``USER_SRP_AUTH``: the ``PASSWORD_VERIFIER`` challenge."""
    from moto.cognitoidp.exceptions import (
        InvalidParameterException,
        NotAuthorizedError,
        UserNotConfirmedException,
    )
    from moto.cognitoidp.models import UserStatus

    username, a_hex = parameters.get("USERNAME"), parameters.get("SRP_A")
    if not isinstance(username, str) or not username:
        raise InvalidParameterException("Missing required parameter USERNAME")
    if not isinstance(a_hex, str) or not a_hex:
        raise InvalidParameterException("Missing required parameter SRP_A")
    user = pool._get_user(username)
    if user is None:
        if not prevents_existence_errors(client):
            raise _unknown_user(client)
        # A simulated challenge, the same salt and id for the same name, failing at the next step.
        user_id = str(uuid.uuid5(_NAMESPACE, f"{pool.id}\0{username.lower()}"))
        salt = _salt(pool, username.lower())
        verifier = srp.verifier(pool.id, user_id, uuid.uuid4().hex, salt)
        internal = None
    else:
        if not user.enabled:
            raise NotAuthorizedError("User is disabled.")
        if user.status == UserStatus.UNCONFIRMED:
            raise UserNotConfirmedException("User is not confirmed.")
        user_id = internal = user.username
        salt = _salt(pool, user.username)
        verifier = srp.verifier(pool.id, user_id, user.password or "", salt)
    try:
        challenge = srp.start(a_hex, verifier, salt)
    except ValueError as error:
        raise InvalidParameterException(str(error)) from error
    _pending(pool)[challenge.secret_block] = PendingChallenge(
        internal, challenge, time.time() + CHALLENGE_SECONDS
    )
    return {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": challenge.salt,
            "SRP_B": f"{challenge.b_public:x}",
            "SECRET_BLOCK": challenge.secret_block,
            "USERNAME": user_id,
            "USER_ID_FOR_SRP": user_id,
        },
    }


def verify_srp(pool: Any, responses: dict[str, Any]) -> str:
    """The internal name of the user whose ``PASSWORD_VERIFIER`` answer proves their password.

    The challenge is used up whatever the answer. Raises NotAuthorizedException.
    """
    from moto.cognitoidp.exceptions import NotAuthorizedError

    block = responses.get("PASSWORD_CLAIM_SECRET_BLOCK")
    pending = _pending(pool).pop(block, None) if isinstance(block, str) else None
    if pending is None:
        raise NotAuthorizedError("Invalid session for the user, session is expired.")
    user = pool._get_user(pending.username) if pending.username else None
    named = pool._get_user(str(responses.get("USERNAME") or ""))
    if user is None or named is not user:
        raise NotAuthorizedError(INCORRECT)
    timestamp, signature = responses.get("TIMESTAMP"), responses.get("PASSWORD_CLAIM_SIGNATURE")
    if not isinstance(timestamp, str) or not isinstance(signature, str) or not timestamp:
        raise NotAuthorizedError(INCORRECT)
    if not srp.signature_matches(
        pending.challenge, pool.id, user.username, user.password or "", timestamp, signature
    ):
        raise NotAuthorizedError(INCORRECT)
    return str(user.username)


# --- the emulator's classes, patched --------------------------------------------------------------


def install() -> None:
    """Make the emulator's Cognito answer as described above (once per process)."""
    from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool
    from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse, CognitoIdpResponse

    if getattr(CognitoIdpUserPool, "answers_as_cognito", False):
        return
    CognitoIdpUserPool.answers_as_cognito = True  # type: ignore[attr-defined]
    _patch_pool(CognitoIdpUserPool)
    _patch_backend(CognitoIdpBackend)
    CognitoIdpJsonWebKeyResponse.serve_json_web_key = staticmethod(_serve_jwks)  # type: ignore[method-assign]
    CognitoIdpResponse.resend_confirmation_code = _resend_confirmation_code  # type: ignore[attr-defined]


def _patch_pool(pool_class: Any) -> None:
    made = pool_class.__init__
    find_user = pool_class._get_user

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        signing_key(self)

    def _get_user(self: Any, username: str) -> Any:
        """The user named ``username``: by their own name (the pool's key, found at once), else by
        a username attribute (their email), in any letter case unless the pool tells case apart;
        each user is looked at once."""
        if not isinstance(username, str) or case_sensitive(self):
            return find_user(self, username)
        if username in self.users:
            return self.users[username]
        wanted = username.lower()
        names = self.extended_config.get("UsernameAttributes") or []
        for candidate in self.users.values():
            if candidate.username.lower() == wanted or any(
                (attribute(candidate, name) or "").lower() == wanted for name in names
            ):
                return candidate
        return None

    def create_jwt(
        self: Any,
        client_id: str,
        username: str,
        use: str,
        expires_in: int = 60 * 60,
        extra_data: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        user = self._get_user(username)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": f"https://cognito-idp.{self.region}.amazonaws.com/{self.id}",
            "sub": user.id,
            ("client_id" if use == "access" else "aud"): client_id,
            "token_use": use,
            "iat": now,
            "auth_time": now,
            "exp": now + expires_in,
            "jti": str(uuid.uuid4()),
        }
        claims.update(extra_data or {})
        if use == "access":
            claims["username"] = user.username
        else:
            claims["cognito:username"] = user.username
            email = attribute(user, "email")
            if email is not None:
                claims["email"] = email
                claims["email_verified"] = email_verified(user)
        return sign(self, claims), expires_in

    pool_class.__init__ = __init__
    pool_class._get_user = _get_user
    pool_class.create_jwt = create_jwt


def _patch_backend(backend_class: Any) -> None:
    _patch_sign_in(backend_class)
    _patch_recovery(backend_class)


def _patch_sign_in(backend_class: Any) -> None:
    initiate = backend_class.initiate_auth
    admin_initiate = backend_class.admin_initiate_auth
    respond = backend_class.respond_to_auth_challenge

    def initiate_auth(self: Any, client_id: str, auth_flow: str, auth_parameters: dict[str, Any]) -> Any:
        pool, client = pool_of_client(self, client_id)
        _flow_enabled(client, auth_flow)
        if auth_flow == "USER_SRP_AUTH" and not client.generate_secret:
            return start_srp(pool, client, auth_parameters or {})
        if auth_flow == "USER_PASSWORD_AUTH":
            auth_parameters = _check_password(pool, client, auth_parameters or {})
        return initiate(self, client_id, auth_flow, auth_parameters)

    def admin_initiate_auth(
        self: Any, user_pool_id: str, client_id: str, auth_flow: str, auth_parameters: dict[str, Any]
    ) -> Any:
        pool = self.describe_user_pool(user_pool_id)
        client = pool.clients.get(client_id)
        if client is not None:
            _flow_enabled(client, auth_flow)
            if auth_flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
                auth_parameters = _check_password(pool, client, auth_parameters or {})
        return admin_initiate(self, user_pool_id, client_id, auth_flow, auth_parameters)

    def respond_to_auth_challenge(
        self: Any, session: str, client_id: str, challenge_name: str, challenge_responses: dict[str, Any]
    ) -> Any:
        if challenge_name != "PASSWORD_VERIFIER":
            return respond(self, session, client_id, challenge_name, challenge_responses)
        pool, _client = pool_of_client(self, client_id)
        username = verify_srp(pool, challenge_responses or {})
        block = challenge_responses["PASSWORD_CLAIM_SECRET_BLOCK"]
        self.sessions[block] = (username, pool)  # what the emulator's own next steps read
        return respond(self, block, client_id, challenge_name, {**challenge_responses, "USERNAME": username})

    backend_class.initiate_auth = initiate_auth
    backend_class.admin_initiate_auth = admin_initiate_auth
    backend_class.respond_to_auth_challenge = respond_to_auth_challenge


def _patch_recovery(backend_class: Any) -> None:
    forgot = backend_class.forgot_password
    confirm_forgot = backend_class.confirm_forgot_password
    confirm_sign_up = backend_class.confirm_sign_up

    def forgot_password(self: Any, client_id: str, username: str) -> Any:
        pool, client = pool_of_client(self, client_id)
        if pool._get_user(username) is None:
            if not prevents_existence_errors(client):
                raise _unknown_user(client, "Username/client id combination not found.")
            return None, {"CodeDeliveryDetails": _simulated_delivery(username)}
        return forgot(self, client_id, username)

    def confirm_forgot_password(
        self: Any, client_id: str, username: str, password: str, confirmation_code: str
    ) -> None:
        _known_or_code_mismatch(self, client_id, username)
        confirm_forgot(self, client_id, username, password, confirmation_code)

    def confirm_sign_up_(self: Any, client_id: str, username: str) -> str:
        _known_or_code_mismatch(self, client_id, username)
        return str(confirm_sign_up(self, client_id, username))

    backend_class.forgot_password = forgot_password
    backend_class.confirm_forgot_password = confirm_forgot_password
    backend_class.confirm_sign_up = confirm_sign_up_


def _check_password(pool: Any, client: Any, parameters: dict[str, Any]) -> dict[str, Any]:
    """A password flow's refusals as Cognito words them, before the emulator's own checks; the
    parameters the emulator then goes on with name the user found by their own name, which the
    pool finds at once (no second search of its users)."""
    from moto.cognitoidp.exceptions import NotAuthorizedError

    user = pool._get_user(str(parameters.get("USERNAME") or ""))
    if user is None:
        raise _unknown_user(client)
    if user.password != parameters.get("PASSWORD"):
        raise NotAuthorizedError(INCORRECT)
    return {**parameters, "USERNAME": user.username}


def _known_or_code_mismatch(backend: Any, client_id: str, username: str) -> None:
    from moto.cognitoidp.exceptions import CodeMismatchException

    pool, client = pool_of_client(backend, client_id)
    if pool._get_user(username) is None:
        if prevents_existence_errors(client):
            raise CodeMismatchException(CODE_MISMATCH)
        raise _unknown_user(client, "Username/client id combination not found.")


def _simulated_delivery(username: str) -> dict[str, str]:
    return {"Destination": masked(username), "DeliveryMedium": "EMAIL", "AttributeName": "email"}


def _resend_confirmation_code(self: Any) -> Any:
    """``ResendConfirmationCode``, which the emulator lacks: where the code went (locally, nowhere)."""
    from moto.cognitoidp.exceptions import InvalidParameterException
    from moto.cognitoidp.models import UserStatus, cognitoidp_backends, find_account_region_by_value
    from moto.core.responses import ActionResult

    client_id, username = self._get_param("ClientId"), self._get_param("Username")
    if not isinstance(username, str) or not username:
        raise InvalidParameterException("Missing required parameter Username")
    account, region = find_account_region_by_value(
        "client_id", client_id, fallback=(self.current_account, self.region)
    )
    pool, client = pool_of_client(cognitoidp_backends[account][region], client_id)
    user = pool._get_user(username)
    if user is None:
        if not prevents_existence_errors(client):
            raise _unknown_user(client, "Username/client id combination not found.")
        return ActionResult({"CodeDeliveryDetails": _simulated_delivery(username)})
    if user.status == UserStatus.CONFIRMED:
        raise InvalidParameterException("User is already confirmed.")
    return ActionResult({"CodeDeliveryDetails": _simulated_delivery(attribute(user, "email") or username)})


def _serve_jwks(*args: Any) -> tuple[int, dict[str, str], bytes]:
    """``/<poolId>/.well-known/jwks.json``: that pool's key, or 404 for a pool that does not exist."""
    import json
    from urllib.parse import urlsplit

    from moto.backends import get_backend

    pool_id = urlsplit(str(args[1])).path.strip("/").split("/")[0]
    for regions in get_backend("cognito-idp").values():
        for backend in regions.values():
            pool = backend.user_pools.get(pool_id)
            if pool is not None:
                body = json.dumps(public_jwks(pool)).encode()
                return 200, {"Content-Type": "application/json"}, body
    body = json.dumps({"message": f"User pool {pool_id} does not exist."}).encode()
    return 404, {"Content-Type": "application/json"}, body
