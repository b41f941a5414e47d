"""RS256 (RSASSA-PKCS1-v1_5 with SHA-256) for PyJWT, verified by python-rsa: pure Python.

The Lambda package holds no compiled module (``cryptography``, which PyJWT's own RS256 needs, is
one), so the functions that check tokens deployed verify signatures with this. It verifies
only: the app signs nothing. Imported by ``chalicelib.tokens`` where ``cryptography`` is missing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rsa
from jwt.algorithms import Algorithm
from jwt.exceptions import InvalidKeyError
from jwt.utils import base64url_decode


class PureRS256(Algorithm):
    """PyJWT's ``Algorithm`` for RS256: keys from a JWK's ``n`` and ``e``, signatures verified."""

    def prepare_key(self, key: Any) -> Any:
        if isinstance(key, rsa.PublicKey):
            return key
        raise InvalidKeyError("an RSA public key made from a JWK is needed")

    @staticmethod
    def from_jwk(jwk: Any) -> Any:
        data = json.loads(jwk) if isinstance(jwk, str) else jwk
        if not isinstance(data, dict) or data.get("kty") != "RSA":
            raise InvalidKeyError("not an RSA key")
        try:
            modulus = int.from_bytes(base64url_decode(data["n"]), "big")
            exponent = int.from_bytes(base64url_decode(data["e"]), "big")
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidKeyError("an RSA key needs its n and e") from error
        if modulus < 2 or exponent < 3:
            raise InvalidKeyError("not an RSA public key")
        return rsa.PublicKey(modulus, exponent)

    @staticmethod
    def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
        raise NotImplementedError("verification only")

    def sign(self, msg: bytes, key: Any) -> bytes:
        raise NotImplementedError("verification only")

    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        try:
            return bool(rsa.verify(msg, sig, key) == "SHA-256")
        except rsa.VerificationError:
            return False

    def compute_hash_digest(self, bytestr: bytes) -> bytes:
        return hashlib.sha256(bytestr).digest()
