"""The server's half of Cognito's Secure Remote Password sign-in (``USER_SRP_AUTH``).

Cognito's SRP is SRP-6a over the 3072-bit group of RFC 5054 (generator 2), with the choices its
SDKs make on the client's side (Amplify's ``AuthenticationHelper``, pycognito's ``AWSSRP``):

- ``k = H(pad(N) ‖ pad(g))``, ``u = H(pad(A) ‖ pad(B))``;
- ``x = H(pad(salt) ‖ H(poolName ‖ userIdForSrp ‖ ":" ‖ password))``, where ``poolName`` is the pool
  id after its underscore and ``userIdForSrp`` the user's internal name (their ``sub`` here);
- the password key is the first 16 bytes of HKDF-SHA256 over ``pad(S)`` with ``pad(u)`` as salt and
  ``"Caldera Derived Key"`` as info;
- the client proves it with ``PASSWORD_CLAIM_SIGNATURE``: base64 of HMAC-SHA256, under that key, of
  ``poolName ‖ userIdForSrp ‖ SECRET_BLOCK's bytes ‖ TIMESTAMP``.

``H`` is SHA-256 over the bytes of the hex strings, and ``pad`` is the hex of a number with a leading
``00`` where its first digit would read as a sign, as the SDKs write them. The server never holds the
password's verifier apart from the password: the emulator keeps passwords, so ``v = g^x`` is
computed from it for each sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2
INFO = b"Caldera Derived Key"


def pad(value: int | str) -> str:
    """A number (or hex string) as the SDKs hash it: even length, ``00`` before a high first digit."""
    digits = value if isinstance(value, str) else f"{value:x}"
    if len(digits) % 2:
        return "0" + digits
    if digits[:1] in tuple("89abcdefABCDEF"):
        return "00" + digits
    return digits


def hex_hash(hex_string: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_string)).hexdigest().rjust(64, "0")


K = int(hex_hash("00" + f"{N:X}" + "0" + f"{G:x}"), 16)


def pool_name(pool_id: str) -> str:
    """What the SDKs mix into the password's hash: the pool id after its region."""
    return pool_id.split("_", 1)[1]


def password_x(pool_id: str, user_id: str, password: str, salt: str) -> int:
    inner = hashlib.sha256(f"{pool_name(pool_id)}{user_id}:{password}".encode()).hexdigest().rjust(64, "0")
    return int(hex_hash(pad(salt) + inner), 16)


@dataclass(frozen=True)
class Challenge:
    """What the server holds between ``InitiateAuth`` and ``RespondToAuthChallenge``."""

    a_public: int
    b_secret: int
    b_public: int
    salt: str
    secret_block: str  # base64, as sent


def start(a_hex: str, verifier: int, salt: str | None = None) -> Challenge:
    """The server's answer to a client's ``SRP_A``. Raises ValueError for an ``A`` SRP refuses."""
    try:
        a_public = int(a_hex, 16)
    except (TypeError, ValueError) as error:
        raise ValueError("SRP_A is not a hexadecimal number") from error
    if a_public % N == 0:
        raise ValueError("SRP_A is not a valid SRP value")
    b_secret = secrets.randbelow(N - 2) + 1
    b_public = (K * verifier + pow(G, b_secret, N)) % N
    return Challenge(
        a_public=a_public,
        b_secret=b_secret,
        b_public=b_public,
        salt=salt or secrets.token_hex(16),
        secret_block=base64.b64encode(secrets.token_bytes(96)).decode("ascii"),
    )


def verifier(pool_id: str, user_id: str, password: str, salt: str) -> int:
    return pow(G, password_x(pool_id, user_id, password, salt), N)


def expected_signature(
    challenge: Challenge, pool_id: str, user_id: str, password: str, timestamp: str
) -> str:
    """The ``PASSWORD_CLAIM_SIGNATURE`` a client holding ``password`` sends for this challenge."""
    u = int(hex_hash(pad(challenge.a_public) + pad(challenge.b_public)), 16)
    v = verifier(pool_id, user_id, password, challenge.salt)
    shared = pow(challenge.a_public * pow(v, u, N), challenge.b_secret, N)
    prk = hmac.new(bytes.fromhex(pad(f"{u:x}")), bytes.fromhex(pad(shared)), hashlib.sha256).digest()
    key = hmac.new(prk, INFO + b"\x01", hashlib.sha256).digest()[:16]
    message = (
        pool_name(pool_id).encode()
        + user_id.encode()
        + base64.b64decode(challenge.secret_block)
        + timestamp.encode()
    )
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def signature_matches(
    challenge: Challenge, pool_id: str, user_id: str, password: str, timestamp: str, signature: str
) -> bool:
    expected = expected_signature(challenge, pool_id, user_id, password, timestamp)
    return hmac.compare_digest(expected.encode(), (signature or "").encode())
