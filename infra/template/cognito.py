"""The Cognito resources a stage makes, and how the rest of the stack names its pool and clients.

A stage's auth (``description.Auth``) chooses what of Cognito is made. ID-token mode: the
pool and its password client. Scoped mode: the pool, its domain (the sign-in pages), the
resource server with the read and the write scope, and the three OAuth clients, each made
after the resource server (a client naming a scope that does not exist yet fails). A stage
naming an existing pool makes none of it: the authorizer and the functions name that pool and
its clients.
"""

from __future__ import annotations

from typing import Any

from infra import description
from infra.template.web import WEB_ORIGIN

USER_POOL = "UserPool"
USER_POOL_CLIENT = "UserPoolClient"  # ID-token mode's password client
# Scoped mode.
USER_POOL_DOMAIN = "UserPoolDomain"
RESOURCE_SERVER = "UserPoolResourceServer"
OAUTH_CLIENT_RESOURCES = {"web": "WebClient", "cli": "CliClient", "readOnly": "ReadOnlyClient"}
# The classic hosted UI: it works on every feature plan of a pool, Lite included; managed login
# (version 2) needs Essentials or Plus and a branding resource per client (docs/deploying.md).
MANAGED_LOGIN_VERSION = 1
# Where Cognito serves a prefix's sign-in pages and OAuth endpoints (for Fn::Sub).
COGNITO_DOMAIN = "https://{prefix}.auth.${{AWS::Region}}.amazoncognito.com"


def resources(stage: str, auth: description.Auth) -> dict[str, Any]:
    """The Cognito resources the stage makes: none for an existing pool."""
    if auth.existing_pool:
        return {}
    if not auth.scoped:
        return {USER_POOL: _user_pool(stage), USER_POOL_CLIENT: _user_pool_client(stage)}
    made: dict[str, Any] = {
        USER_POOL: _user_pool(stage),
        USER_POOL_DOMAIN: {
            "Type": "AWS::Cognito::UserPoolDomain",
            "Properties": {
                "UserPoolId": {"Ref": USER_POOL},
                "Domain": sub(domain_prefix(stage, auth)),
                "ManagedLoginVersion": MANAGED_LOGIN_VERSION,
            },
        },
        RESOURCE_SERVER: {
            "Type": "AWS::Cognito::UserPoolResourceServer",
            "Properties": {**description.resource_server(stage), "UserPoolId": {"Ref": USER_POOL}},
        },
    }
    for kind in description.OAUTH_CLIENTS:
        made[OAUTH_CLIENT_RESOURCES[kind]] = _oauth_client(stage, kind)
    return made


def sub(text: str) -> Any:
    """``text`` as Fn::Sub when it names a parameter, else as it is."""
    return {"Fn::Sub": text} if "${" in text else text


def domain_prefix(stage: str, auth: description.Auth) -> str:
    """The prefix of the domain the stack makes for its pool (for Fn::Sub): the stage's
    ``domain_prefix``, or one unique per stage and account (prefixes are unique per region)."""
    return auth.domain_prefix or f"{description.APP_NAME}-{stage}-${{AWS::AccountId}}"


def auth_domain(stage: str, auth: description.Auth) -> str | None:
    """The pool's sign-in domain as an https URL without a trailing slash (for Fn::Sub), in
    scoped mode; None in ID-token mode."""
    if not auth.scoped:
        return None
    if auth.domain:
        return auth.domain
    return COGNITO_DOMAIN.format(prefix=domain_prefix(stage, auth))


def pool_arn(auth: description.Auth) -> Any:
    """The ARN of the pool the stage trusts: an existing pool's, or the stack's own."""
    return auth.user_pool_arn or {"Fn::GetAtt": [USER_POOL, "Arn"]}


def client_ids(auth: description.Auth) -> Any:
    """``COGNITO_APP_CLIENT_IDS``: the clients whose tokens the API takes."""
    if auth.client_ids is not None:
        return ",".join(auth.client_ids[kind] for kind in description.EXISTING_POOL_CLIENTS[auth.mode])
    if not auth.scoped:
        return {"Ref": USER_POOL_CLIENT}
    return {"Fn::Join": [",", [{"Ref": OAUTH_CLIENT_RESOURCES[kind]} for kind in description.OAUTH_CLIENTS]]}


def _user_pool(stage: str) -> dict[str, Any]:
    properties = dict(description.user_pool(stage))
    properties["UserPoolName"] = properties.pop("PoolName")
    policy = "Retain" if description.retained(stage) else "Delete"
    return {
        "Type": "AWS::Cognito::UserPool",
        "DeletionPolicy": policy,
        "UpdateReplacePolicy": policy,
        "Properties": properties,
    }


def _user_pool_client(stage: str) -> dict[str, Any]:
    properties = {**description.user_pool_client(stage), "UserPoolId": {"Ref": USER_POOL}}
    return {"Type": "AWS::Cognito::UserPoolClient", "Properties": properties}


def _oauth_client(stage: str, kind: str) -> dict[str, Any]:
    # The page signs in and out at its own address; the CLI and read-only tools at the CLI's
    # loopback callback.
    urls: list[Any] = [{"Fn::Sub": f"{WEB_ORIGIN}/"}] if kind == "web" else [description.CLI_CALLBACK_URL]
    return {
        "Type": "AWS::Cognito::UserPoolClient",
        # The client's scopes must exist when it is made.
        "DependsOn": [RESOURCE_SERVER],
        "Properties": {
            **description.oauth_client(stage, kind, urls, urls),
            "UserPoolId": {"Ref": USER_POOL},
        },
    }
