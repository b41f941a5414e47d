"""The web app's ``config.json`` has one builder: the deployed page and ``make run``'s read the same
settings, the local stage's differing only where the local stack does."""

from __future__ import annotations

from typing import Any

import pytest

from infra import description
from infra.web_config import build_web_config
from tests.conftest import WEB_RULES

FACTS: dict[str, Any] = {
    "api_url": "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/api",
    "ws_url": "wss://f6g7h8i9j0.execute-api.eu-west-1.amazonaws.com/api",
    "region": "eu-west-1",
    "user_pool_id": "eu-west-1_Pool",
    "client_id": "client",
    "max_attachment_bytes": 4096,
}


def test_a_stage_is_reached_at_its_regions_cognito_endpoint_with_the_rules() -> None:
    assert build_web_config(**FACTS, mode="id") == {
        "apiUrl": "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/api",
        "wsUrl": "wss://f6g7h8i9j0.execute-api.eu-west-1.amazonaws.com/api",
        "region": "eu-west-1",
        "mode": "id",
        "userPoolId": "eu-west-1_Pool",
        "userPoolClientId": "client",
        "cognitoEndpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",
        "maxAttachmentBytes": 4096,
        **WEB_RULES,
    }


def test_the_local_stage_differs_only_in_its_endpoint_and_in_saying_it_is_local() -> None:
    oauth = description.web_oauth("http://127.0.0.1:4566/oauth", "client", "http://127.0.0.1:8000")
    deployed = build_web_config(**FACTS, mode="scoped", oauth=oauth)
    local = build_web_config(
        **FACTS, mode="scoped", oauth=oauth, cognito_endpoint="http://127.0.0.1:4566/", local=True
    )
    assert local == {**deployed, "cognitoEndpoint": "http://127.0.0.1:4566/", "local": True}
    assert local["oauth"] == oauth


@pytest.mark.parametrize(
    ("mode", "oauth", "refusal"),
    [
        ("scoped", None, "scoped mode, and only then"),
        ("id", {"clientId": "client"}, "scoped mode, and only then"),
        ("password", None, "'password' is not a mode"),
    ],
)
def test_settings_that_do_not_fit_the_mode_are_refused(
    mode: str, oauth: dict[str, str] | None, refusal: str
) -> None:
    with pytest.raises(ValueError, match=refusal):
        build_web_config(**FACTS, mode=mode, oauth=oauth)
