"""Render a deployed stage's resources as CloudFormation, merged into Chalice's own template.

``chalice package --merge-template`` deep-merges this document into the
template Chalice generates (dictionaries are merged, anything else replaced),
so besides adding the pool, its client and the table, it rewires what Chalice
can only fill with import-time strings: the authorizer's provider ARN, the
function's environment and its role's policy, each by reference to the
resources of the same stack.
"""

from __future__ import annotations

from typing import Any

from infra import description

USER_POOL = "UserPool"
USER_POOL_CLIENT = "UserPoolClient"
TABLE = "NotesTable"
# Names in Chalice's generated template (chalice package, CloudFormation format).
API = "RestAPI"
FUNCTION = "APIHandler"
ROLE = "ApiHandlerRole"
AUTHORIZER = "NotesUserPool"
CORS_HEADERS = "'Authorization,Content-Type,If-Match'"


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


def _table(stage: str) -> dict[str, Any]:
    properties = {
        **description.table(stage),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def role_policy() -> dict[str, Any]:
    """The function's only permissions: its table's item and query actions, and its logs."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": list(description.TABLE_ACTIONS),
                "Resource": {"Fn::GetAtt": [TABLE, "Arn"]},
            },
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"},
            },
        ],
    }


def _gateway_responses(origin: str) -> dict[str, Any]:
    # Without these, a browser cannot read API Gateway's own 401/403/5xx answers.
    headers = {
        "Access-Control-Allow-Origin": f"'{origin}'",
        "Access-Control-Allow-Headers": CORS_HEADERS,
    }
    return {kind: {"ResponseParameters": {"Headers": headers}} for kind in ("DEFAULT_4XX", "DEFAULT_5XX")}


def merge_template(stage: str, cors_allow_origin: str | None = None) -> dict[str, Any]:
    """The document ``chalice package --merge-template`` merges for ``stage``."""
    if stage not in description.DEPLOYED_STAGES:
        raise ValueError(f"stage {stage!r} is not deployed; deployed stages: {description.DEPLOYED_STAGES}")
    return {
        "Resources": {
            USER_POOL: _user_pool(stage),
            USER_POOL_CLIENT: _user_pool_client(stage),
            TABLE: _table(stage),
            FUNCTION: {
                "Properties": {
                    "Environment": {
                        "Variables": {
                            "NOTES_TABLE_NAME": {"Ref": TABLE},
                            "COGNITO_USER_POOL_ARN": {"Fn::GetAtt": [USER_POOL, "Arn"]},
                            "COGNITO_APP_CLIENT_IDS": {"Ref": USER_POOL_CLIENT},
                        }
                    }
                }
            },
            ROLE: {
                "Properties": {
                    "Policies": [{"PolicyName": "NotesTableAndLogs", "PolicyDocument": role_policy()}]
                }
            },
            API: {
                "Properties": {
                    "GatewayResponses": _gateway_responses(cors_allow_origin or "*"),
                    "DefinitionBody": {
                        "securityDefinitions": {
                            AUTHORIZER: {
                                "x-amazon-apigateway-authorizer": {
                                    "providerARNs": [{"Fn::GetAtt": [USER_POOL, "Arn"]}]
                                }
                            }
                        }
                    },
                }
            },
        },
        "Outputs": {
            "Region": {"Value": {"Ref": "AWS::Region"}},
            "UserPoolId": {"Value": {"Ref": USER_POOL}},
            "UserPoolClientId": {"Value": {"Ref": USER_POOL_CLIENT}},
            "TableName": {"Value": {"Ref": TABLE}},
        },
    }
