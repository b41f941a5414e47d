"""The REST API as the merge rewires it: its name, throttling, CORS on API Gateway's own answers,
the authorizer's pool and token check, and the web app's origin on each preflight.

Chalice generates the API; it bakes into the authorizer and the OPTIONS methods what it was
packaged with. The merge sets the authorizer's pool by reference; ``bind_preflight_origin`` then
sets the web app's origin on the OPTIONS methods, which a merge cannot reach without knowing every
path.
"""

from __future__ import annotations

import re
from typing import Any

from infra import description
from infra.template.cognito import USER_POOL_CLIENT, pool_arn
from infra.template.web import WEB_ORIGIN

# Names in Chalice's generated template (chalice package, CloudFormation format).
API = "RestAPI"
AUTHORIZER = "NotesUserPool"
CORS_HEADERS = "'Authorization,Content-Type,If-Match,X-Confirm-Delete'"
# The stage name of Chalice's API (api_gateway_stage in .chalice/config.json).
API_STAGE = "api"
API_URL = f"https://${{{API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{API_STAGE}"
PREFLIGHT_ORIGIN = "method.response.header.Access-Control-Allow-Origin"


def api_name(stage: str) -> str:
    """The REST API's name, which API Gateway's metrics are keyed by."""
    return f"{description.APP_NAME}-{stage}"


def rest_api(stage: str, operations: description.Operations, auth: description.Auth) -> dict[str, Any]:
    """What the merge sets on Chalice's API."""
    return {
        "Properties": {
            "Name": api_name(stage),
            # A flood gets API Gateway's 429 (with CORS headers: DEFAULT_4XX) before the
            # function runs.
            "MethodSettings": _throttling(operations),
            "GatewayResponses": _gateway_responses(),
            "DefinitionBody": {
                "securityDefinitions": {
                    AUTHORIZER: {
                        "x-amazon-apigateway-authorizer": {
                            "providerARNs": [pool_arn(auth)],
                            **_token_validation(auth),
                        }
                    }
                }
            },
        }
    }


def bind_preflight_origin(document: dict[str, Any], stand_in: str) -> int:
    """Set the web app's origin on every OPTIONS method Chalice generated in ``document``.

    Chalice bakes the origin it was packaged with (``stand_in``) into each path's preflight mock
    integration; this replaces it by the distribution's origin. Returns how many it bound; an
    OPTIONS method holding any other origin is an error.
    """
    paths = document["Resources"][API]["Properties"]["DefinitionBody"]["paths"]
    bound = 0
    for path, methods in paths.items():
        if "options" not in methods:
            continue
        for response in methods["options"]["x-amazon-apigateway-integration"]["responses"].values():
            parameters = response.get("responseParameters", {})
            if parameters.get(PREFLIGHT_ORIGIN) != f"'{stand_in}'":
                raise ValueError(
                    f"OPTIONS {path}: origin {parameters.get(PREFLIGHT_ORIGIN)!r}, not the stand-in"
                )
            parameters[PREFLIGHT_ORIGIN] = {"Fn::Sub": f"'{WEB_ORIGIN}'"}
            bound += 1
    return bound


def _token_validation(auth: description.Auth) -> dict[str, Any]:
    """ID-token mode: the authorizer admits only ID tokens whose ``aud`` is one of the stage's clients.

    API Gateway's Cognito authorizer checks a token's pool, signature and expiry, not its client:
    without this "Token validation" expression, an ID token that any other app client of the pool
    was issued would be admitted (a stage on a pool shared with other applications would admit their
    users). Access tokens have no ``aud``, so scoped mode sets none: there, the scopes each route
    takes, which only the stage's clients are allowed, do that work.
    """
    if auth.scoped:
        return {}
    if auth.client_ids is not None:
        ids = [auth.client_ids[kind] for kind in description.EXISTING_POOL_CLIENTS[auth.mode]]
        return {"identityValidationExpression": "^(?:" + "|".join(re.escape(i) for i in ids) + ")$"}
    return {"identityValidationExpression": {"Fn::Sub": f"^${{{USER_POOL_CLIENT}}}$"}}


def _throttling(operations: description.Operations) -> list[dict[str, Any]]:
    return [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": operations.throttle_rate_limit,
            "ThrottlingBurstLimit": operations.throttle_burst_limit,
        }
    ]


def _gateway_responses() -> dict[str, Any]:
    # Without these, a browser cannot read API Gateway's own 401/403/5xx answers.
    headers = {
        "Access-Control-Allow-Origin": {"Fn::Sub": f"'{WEB_ORIGIN}'"},
        "Access-Control-Allow-Headers": CORS_HEADERS,
    }
    return {kind: {"ResponseParameters": {"Headers": headers}} for kind in ("DEFAULT_4XX", "DEFAULT_5XX")}
