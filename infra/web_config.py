"""The web app's ``config.json``, built in one place for every stage.

``make deploy`` writes it beside the page from the stack's outputs (``infra.deploy.web_config``);
``make run``'s web server serves it from the local stage (``local_stack.web_server``). The page
reads it at start (``web/config.js``): where the API and the user pool are, the stage's mode, and
the rules it checks before it asks, none of them copied into the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra import description


def build_web_config(
    *,
    api_url: str,
    ws_url: str,
    region: str,
    user_pool_id: str,
    client_id: str,
    mode: str,
    max_attachment_bytes: int,
    oauth: Mapping[str, str] | None = None,
    cognito_endpoint: str | None = None,
    local: bool = False,
) -> dict[str, Any]:
    """The stage's ``config.json`` as a dict.

    ``ws_url`` is the stage's WebSocket endpoint (live updates: ``wsUrl``).

    ``region`` is the user pool's; the page speaks to the pool's JSON API at ``cognito_endpoint``
    (by default the region's Cognito endpoint). ``client_id`` is the client the page signs in
    with: the password client in ID-token mode, the web OAuth client in scoped mode, where
    ``oauth`` (``description.web_oauth``) says where and how the page signs in; it is given in
    scoped mode only. ``max_attachment_bytes`` is the stage's largest file, sent with the other
    rules (``description.client_rules``). ``local``: the local stack's stage, where no email is
    sent and any confirmation code is accepted, which the page says.
    """
    if mode not in description.MODES:
        raise ValueError(f"{mode!r} is not a mode: one of {', '.join(description.MODES)}")
    if (mode == "scoped") != (oauth is not None):
        raise ValueError("the page's oauth settings are given in scoped mode, and only then")
    config: dict[str, Any] = {
        "apiUrl": api_url,
        "wsUrl": ws_url,
        "region": region,
        "mode": mode,
        "userPoolId": user_pool_id,
        "userPoolClientId": client_id,
        "cognitoEndpoint": cognito_endpoint or f"https://cognito-idp.{region}.amazonaws.com/",
    }
    if oauth is not None:
        config["oauth"] = dict(oauth)
    config.update(description.client_rules(max_attachment_bytes))
    if local:
        config["local"] = True
    return config
