"""The single description of a stage's infrastructure: user pool, app client, table.

Each function returns the parameters of the AWS API call that creates the
resource, so the local stack provisions exactly what is described here, and the
deploy template is rendered from the same values.
"""

from __future__ import annotations

from typing import Any

APP_NAME = "notes"
STAGES = ("test", "local", "dev", "prod")
DEPLOYED_STAGES = ("dev", "prod")
# What the Lambda function does to the table (chalicelib/notes.py): nothing else.
TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
)
PASSWORD_POLICY: dict[str, Any] = {
    "MinimumLength": 12,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}


def _check(stage: str) -> str:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    return stage


def user_pool_name(stage: str) -> str:
    return f"{APP_NAME}-{_check(stage)}-users"


def user_pool_client_name(stage: str) -> str:
    return f"{APP_NAME}-{_check(stage)}-web"


def table_name(stage: str) -> str:
    return f"{APP_NAME}-{_check(stage)}"


def user_pool(stage: str) -> dict[str, Any]:
    """CreateUserPool parameters: email is the username, verified automatically."""
    return {
        "PoolName": user_pool_name(stage),
        "UsernameAttributes": ["email"],
        "AutoVerifiedAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "Policies": {"PasswordPolicy": dict(PASSWORD_POLICY)},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
        "MfaConfiguration": "OFF",
        "DeletionProtection": "ACTIVE" if stage == "prod" else "INACTIVE",
    }


def user_pool_client(stage: str) -> dict[str, Any]:
    """CreateUserPoolClient parameters (UserPoolId aside): no secret; password, SRP and refresh flows."""
    return {
        "ClientName": user_pool_client_name(stage),
        "GenerateSecret": False,
        "ExplicitAuthFlows": [
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
        "AccessTokenValidity": 60,
        "IdTokenValidity": 60,
        "RefreshTokenValidity": 30,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    }


def retained(stage: str) -> bool:
    """Whether deleting the stage's stack keeps its user pool (the table is always kept)."""
    return stage == "prod"


def table(stage: str) -> dict[str, Any]:
    """CreateTable parameters: one item per note, keyed by owner and time-ordered id."""
    return {
        "TableName": table_name(stage),
        "AttributeDefinitions": [
            {"AttributeName": "userId", "AttributeType": "S"},
            {"AttributeName": "noteId", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "userId", "KeyType": "HASH"},
            {"AttributeName": "noteId", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
