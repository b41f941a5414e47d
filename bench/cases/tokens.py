"""Token checks: the app's verifier against the stock local gateway's decode."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

from bench.timing import REPEATS, Row, median_us, ms, ratio

unseen_ids = itertools.count()


def token_verification(rows: list[Row], user: Any) -> None:
    import jwt

    import app as notes_app
    from local_stack import gateway_auth
    from tests.tokens import TokenFactory, in_process_pool_key

    verifier = gateway_auth._VERIFIERS[notes_app.app]
    verifier.verify(user.token)  # warm the key cache
    number = 300
    # Tokens the verifier has not seen, signed with the emulated pool's key.
    settings = notes_app.settings
    key = in_process_pool_key(settings.user_pool_id, settings.region)
    factory = TokenFactory(gateway_auth.issuer(settings), settings.app_client_ids[0], key)
    unseen = iter([factory.id_token() for _ in range(number * REPEATS)])

    def stock_decode() -> Any:
        # What Chalice's local gateway does: base64-decode the payload, check nothing.
        payload = user.token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    decode = median_us(stock_decode, 2000)
    unverified = median_us(lambda: jwt.decode(user.token, options={"verify_signature": False}), 2000)
    first = median_us(lambda: verifier.verify(next(unseen)), number)
    again = median_us(lambda: verifier.verify(user.token), 2000)
    # Scoped mode's check: an access token carrying one of the route's scopes.
    scopes = ["notes/read"]
    granted = "openid notes/read notes/write"
    unseen_access = iter([factory.access_token(granted) for _ in range(number * REPEATS)])
    first_access = median_us(lambda: verifier.verify(next(unseen_access), scopes), number)
    rows.append(("token: decode only, no checks (stock local gateway)", ms(decode), "baseline", "1.0×"))
    rows.append(
        ("token: PyJWT decode, no verification", ms(unverified), "vs stock", ratio(unverified, decode))
    )
    rows.append(("token: full check, a token not seen before", ms(first), "vs stock", ratio(first, decode)))
    rows.append(("token: full check, the same token again", ms(again), "vs stock", ratio(again, decode)))
    rows.append(
        (
            "token: full check, an access token not seen before (scoped route)",
            ms(first_access),
            "vs an ID token",
            ratio(first_access, first),
        )
    )
    rows.append(("token: JWKS fetches in this whole run", str(verifier.keys.fetches), "", ""))
    websocket_connect(rows, user, factory, first)


def websocket_connect(rows: list[Row], user: Any, factory: Any, with_cryptography_us: float) -> None:
    """The WebSocket connect handler's token check as it runs in Lambda, where RS256 is pure Python
    (python-rsa: the package holds no compiled module), against the same check with cryptography's
    RS256 (the REST check's, locally); and the whole handler (the check, the tombstone's GetItem,
    the connection's PutItem)."""
    import app as notes_app
    from chalicelib import tokens
    from chalicelib.pure_rs256 import PureRS256
    from local_stack.gateway_auth import fetch_jwks

    settings = notes_app.settings
    number = 200
    pure, chosen, decoder = PureRS256(), list(tokens._ALGORITHM), list(tokens._DECODER)
    tokens._ALGORITHM[:], tokens._DECODER[:] = [pure], []
    try:
        checks = tokens.stage_verifier(settings, fetch_jwks)
        checks.verify(user.token)  # warm the key cache
        unseen = iter([factory.id_token() for _ in range(number * REPEATS)])
        in_lambda = median_us(lambda: checks.verify(next(unseen)), number)
        live = notes_app.services.live
        kept = live._verifier
        live._verifier = checks
        offered = iter(
            [
                {"Sec-WebSocket-Protocol": f"notes, {factory.id_token(sub=user.sub)}"}
                for _ in range(number * REPEATS)
            ]
        )
        handler = median_us(lambda: live.connect(next(offered), f"bench-{next(unseen_ids)}"), number)
        live._verifier = kept
    finally:
        tokens._ALGORITHM[:], tokens._DECODER[:] = chosen, decoder
    rows.append(
        (
            "WebSocket connect: full check of a new ID token, pure-Python RS256 (as in Lambda)",
            ms(in_lambda),
            f"with cryptography {ms(with_cryptography_us)}",
            ratio(in_lambda, with_cryptography_us),
        )
    )
    rows.append(("WebSocket connect: the whole handler (check, tombstone, record)", ms(handler), "", ""))
