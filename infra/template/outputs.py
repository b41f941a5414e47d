"""The stack's outputs: what ``make deploy`` and an operator read of a deployed stage (its pool
and clients, tables, buckets, addresses, functions and alarm topic); the web app's config.json is
built from them."""

from __future__ import annotations

from typing import Any

from infra import description
from infra.template.alarms import ALARM_TOPIC
from infra.template.api import API_URL
from infra.template.bucket import BUCKET
from infra.template.cognito import OAUTH_CLIENT_RESOURCES, USER_POOL, USER_POOL_CLIENT, auth_domain, sub
from infra.template.functions import FOLLOWER, FUNCTION, JOBS, PURGER, WS_CONNECT, WS_URL
from infra.template.tables import (
    ACCOUNT_TABLE,
    CHANGES_TABLE,
    CONNECTIONS_TABLE,
    SEARCH_TABLE,
    SHARES_TABLE,
    TABLE,
    TRASH_TABLE,
    VERSIONS_TABLE,
)
from infra.template.web import WEB_BUCKET, WEB_DISTRIBUTION, WEB_ORIGIN

OAUTH_CLIENT_OUTPUTS = {kind: f"{name}Id" for kind, name in OAUTH_CLIENT_RESOURCES.items()}
AUTH_DOMAIN_OUTPUT = "AuthDomain"
AUTH_MODE_OUTPUT = "AuthMode"
# The WebSocket API's address (live updates), as clients open it.
WS_URL_OUTPUT = "WsUrl"


def outputs(stage: str, auth: description.Auth) -> dict[str, Any]:
    """Every output of the stage's stack."""
    return {
        "Region": {"Value": {"Ref": "AWS::Region"}},
        **_auth_outputs(stage, auth),
        "TableName": {"Value": {"Ref": TABLE}},
        "SearchTableName": {"Value": {"Ref": SEARCH_TABLE}},
        "TrashTableName": {"Value": {"Ref": TRASH_TABLE}},
        "AccountTableName": {"Value": {"Ref": ACCOUNT_TABLE}},
        "ChangesTableName": {"Value": {"Ref": CHANGES_TABLE}},
        "ConnectionsTableName": {"Value": {"Ref": CONNECTIONS_TABLE}},
        "VersionsTableName": {"Value": {"Ref": VERSIONS_TABLE}},
        "SharesTableName": {"Value": {"Ref": SHARES_TABLE}},
        "BucketName": {"Value": {"Ref": BUCKET}},
        "ApiUrl": {"Value": {"Fn::Sub": API_URL}},
        WS_URL_OUTPUT: {"Value": {"Fn::Sub": WS_URL}},
        "WebUrl": {"Value": {"Fn::Sub": WEB_ORIGIN}},
        "WebBucketName": {"Value": {"Ref": WEB_BUCKET}},
        "WebDistributionId": {"Value": {"Ref": WEB_DISTRIBUTION}},
        "AlarmTopicArn": {"Value": {"Ref": ALARM_TOPIC}},
        "FunctionName": {"Value": {"Ref": FUNCTION}},
        "PurgeFunctionName": {"Value": {"Ref": PURGER}},
        "FollowFunctionName": {"Value": {"Ref": FOLLOWER}},
        "WsConnectFunctionName": {"Value": {"Ref": WS_CONNECT}},
        "JobsFunctionName": {"Value": {"Ref": JOBS}},
    }


def _auth_outputs(stage: str, auth: description.Auth) -> dict[str, Any]:
    """What a client needs of the stage's pool: its id, the mode and the mode's clients (and,
    scoped, the sign-in domain)."""
    values: dict[str, Any] = {
        "UserPoolId": {"Value": auth.user_pool_id or {"Ref": USER_POOL}},
        AUTH_MODE_OUTPUT: {"Value": auth.mode},
    }
    if not auth.scoped:
        client = auth.client_ids["password"] if auth.client_ids else {"Ref": USER_POOL_CLIENT}
        values["UserPoolClientId"] = {"Value": client}
        return values
    values[AUTH_DOMAIN_OUTPUT] = {"Value": sub(auth_domain(stage, auth) or "")}
    for kind in description.OAUTH_CLIENTS:
        client = auth.client_ids[kind] if auth.client_ids else {"Ref": OAUTH_CLIENT_RESOURCES[kind]}
        values[OAUTH_CLIENT_OUTPUTS[kind]] = {"Value": client}
    return values
