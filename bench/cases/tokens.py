"""Token checks: the app's verifier against the stock local gateway's decode."""

from __future__ import annotations

import base64
import json
from typing import Any

from bench.timing import REPEATS, Row, median_us, ms, ratio


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
