"""Provision a stage's user pool, app client and table through the AWS APIs. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra import description


@dataclass(frozen=True)
class Provisioned:
    region: str
    user_pool_id: str
    user_pool_arn: str
    user_pool_client_id: str
    table_name: str


def provision(stage: str, cognito: Any, dynamodb: Any) -> Provisioned:
    """Create what the stage describes, reusing what already exists (matched by name)."""
    pool = _find_pool(cognito, description.user_pool_name(stage))
    if pool is None:
        pool = cognito.create_user_pool(**description.user_pool(stage))["UserPool"]
    client_id = _find_client(cognito, pool["Id"], description.user_pool_client_name(stage))
    if client_id is None:
        client = cognito.create_user_pool_client(UserPoolId=pool["Id"], **description.user_pool_client(stage))
        client_id = client["UserPoolClient"]["ClientId"]
    table = description.table(stage)
    try:
        dynamodb.describe_table(TableName=table["TableName"])
    except dynamodb.exceptions.ResourceNotFoundException:
        dynamodb.create_table(**table)
        dynamodb.get_waiter("table_exists").wait(
            TableName=table["TableName"], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
    return Provisioned(
        region=cognito.meta.region_name,
        user_pool_id=pool["Id"],
        user_pool_arn=pool["Arn"],
        user_pool_client_id=client_id,
        table_name=table["TableName"],
    )


def _find_pool(cognito: Any, name: str) -> dict[str, Any] | None:
    for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                found: dict[str, Any] = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
                return found
    return None


def _find_client(cognito: Any, pool_id: str, name: str) -> str | None:
    for page in cognito.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60):
        for client in page["UserPoolClients"]:
            if client["ClientName"] == name:
                return str(client["ClientId"])
    return None
