"""Benchmarks of the notes API; prints a table. Run with ``make bench``.

Everything runs in-process against the emulated AWS; nothing leaves the machine.
Each figure is the median of several repeated runs.
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable
from typing import Any

from tests import conftest  # applies the test stage's environment before the app is imported

REPEATS = 7


def per_call_us(fn: Callable[[], Any], number: int) -> float:
    """Median microseconds per call over REPEATS runs of ``number`` calls."""
    runs = timeit.repeat(fn, number=number, repeat=REPEATS, timer=time.perf_counter)
    return statistics.median(runs) / number * 1e6


def token_verification(rows: list[tuple[str, str, str]]) -> None:
    import base64
    import json

    import jwt
    from chalice.test import Client
    from moto import mock_aws

    import app as notes_app
    from chalicelib import local_auth
    from infra.provision import provision

    with mock_aws():
        provision(conftest.STAGE, conftest.aws_client("cognito-idp"), conftest.aws_client("dynamodb"))
        http = Client(notes_app.app, stage_name=conftest.STAGE, project_dir=str(conftest.ROOT)).http
        user = conftest.new_user(http)
        verifier = local_auth._VERIFIERS[notes_app.app]
        verifier.verify(user.token)  # warm the key cache

        def stock_decode() -> Any:
            # What Chalice's local gateway does: base64-decode the payload, check nothing.
            payload = user.token.split(".")[1]
            return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

        decode = per_call_us(stock_decode, 2000)
        unverified = per_call_us(lambda: jwt.decode(user.token, options={"verify_signature": False}), 2000)
        verify = per_call_us(lambda: verifier.verify(user.token), 2000)
        request = per_call_us(lambda: user.get("/me"), 300)
        fetches = verifier.keys.fetches
    rows.append(("token: decode only, no checks (stock local gateway)", f"{decode:.1f} µs", "1.0×"))
    rows.append(
        ("token: PyJWT decode without verification", f"{unverified:.1f} µs", f"{unverified / decode:.1f}×")
    )
    rows.append(
        ("token: full check, warm key cache (RS256, claims)", f"{verify:.1f} µs", f"{verify / decode:.1f}×")
    )
    rows.append(
        (
            "GET /me through the test client, verified",
            f"{request:.0f} µs",
            f"check = {verify / request:.0%} of it",
        )
    )
    rows.append(("JWKS fetches during all of the above", str(fetches), ""))


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    token_verification(rows)
    widths = [max(len(row[i]) for row in [*rows, ("measure", "median", "ratio")]) for i in range(3)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format("measure", "median", "ratio"))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


if __name__ == "__main__":
    main()
