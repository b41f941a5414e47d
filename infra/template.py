"""Render a deployed stage's resources as CloudFormation, merged into Chalice's own template.

``chalice package --merge-template`` deep-merges this document into the
template Chalice generates (dictionaries are merged, anything else replaced),
so besides adding the pool, its client, the table and the attachments bucket, it
rewires what Chalice can only fill with import-time strings: the authorizer's
provider ARN, the function's environment and its role's policy, each by
reference to the resources of the same stack.

``infra/description.py`` describes the bucket in the shapes of the S3 API calls
that configure it (what the local stack applies); the functions below rename
those shapes to CloudFormation's property names, and refuse any field they do
not know rather than leave it out.
"""

from __future__ import annotations

from typing import Any

from infra import description

USER_POOL = "UserPool"
USER_POOL_CLIENT = "UserPoolClient"
TABLE = "NotesTable"
BUCKET = "AttachmentsBucket"
BUCKET_POLICY = "AttachmentsBucketPolicy"
# ACLs disabled: the bucket owns every object, whoever uploaded it.
OBJECT_OWNERSHIP = "BucketOwnerEnforced"
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


def _renamed(shape: dict[str, Any], names: dict[str, str], what: str) -> dict[str, Any]:
    """``shape`` with each key renamed by ``names``; a key ``names`` lacks is an error."""
    unknown = sorted(set(shape) - set(names))
    if unknown:
        raise ValueError(f"{what}: no CloudFormation property for {unknown}")
    return {names[key]: value for key, value in shape.items()}


def _bucket_encryption() -> dict[str, Any]:
    """``BucketEncryption``, from PutBucketEncryption's ServerSideEncryptionConfiguration."""
    names = {
        "ApplyServerSideEncryptionByDefault": "ServerSideEncryptionByDefault",
        "BucketKeyEnabled": "BucketKeyEnabled",
    }
    configuration = _renamed(description.BUCKET_ENCRYPTION, {"Rules": "Rules"}, "bucket encryption")
    rules = [_renamed(rule, names, "bucket encryption rule") for rule in configuration["Rules"]]
    return {"ServerSideEncryptionConfiguration": rules}


def _bucket_cors(origin: str) -> dict[str, Any]:
    """``CorsConfiguration``, from PutBucketCors's CORSConfiguration for ``origin``."""
    names = {
        "ID": "Id",
        "AllowedOrigins": "AllowedOrigins",
        "AllowedMethods": "AllowedMethods",
        "AllowedHeaders": "AllowedHeaders",
        "ExposeHeaders": "ExposedHeaders",
        "MaxAgeSeconds": "MaxAge",
    }
    configuration = _renamed(description.bucket_cors([origin]), {"CORSRules": "CorsRules"}, "bucket CORS")
    return {"CorsRules": [_renamed(rule, names, "bucket CORS rule") for rule in configuration["CorsRules"]]}


def _bucket_lifecycle() -> dict[str, Any]:
    """``LifecycleConfiguration``, from PutBucketLifecycleConfiguration's LifecycleConfiguration.

    CloudFormation flattens the rule: ``Filter.Prefix`` is ``Prefix``, ``Expiration.Days`` is
    ``ExpirationInDays``.
    """
    names = {
        "ID": "Id",
        "Status": "Status",
        "AbortIncompleteMultipartUpload": "AbortIncompleteMultipartUpload",
    }
    rules = []
    for rule in _renamed(description.bucket_lifecycle(), {"Rules": "Rules"}, "bucket lifecycle")["Rules"]:
        rest = dict(rule)
        prefix = _renamed(rest.pop("Filter", {}), {"Prefix": "Prefix"}, "lifecycle rule filter")
        expiration = _renamed(
            rest.pop("Expiration", {}), {"Days": "ExpirationInDays"}, "lifecycle expiration"
        )
        rules.append({**_renamed(rest, names, "bucket lifecycle rule"), **prefix, **expiration})
    return {"Rules": rules}


def _bucket(cors_allow_origin: str) -> dict[str, Any]:
    # No BucketName: bucket names are global, so CloudFormation makes one up for each stack.
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "PublicAccessBlockConfiguration": dict(description.PUBLIC_ACCESS_BLOCK),
            "BucketEncryption": _bucket_encryption(),
            "OwnershipControls": {"Rules": [{"ObjectOwnership": OBJECT_OWNERSHIP}]},
            "CorsConfiguration": _bucket_cors(cors_allow_origin),
            "LifecycleConfiguration": _bucket_lifecycle(),
        },
    }


def _bucket_policy() -> dict[str, Any]:
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": BUCKET},
            "PolicyDocument": description.bucket_policy({"Fn::GetAtt": [BUCKET, "Arn"]}),
        },
    }


def role_policy() -> dict[str, Any]:
    """The function's only permissions: its table's item and query actions, reading, writing and
    deleting the bucket's objects under the app's two key prefixes, and its logs."""
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
                "Action": list(description.BUCKET_OBJECT_ACTIONS),
                "Resource": [
                    {"Fn::Sub": f"${{{BUCKET}.Arn}}/{prefix}*"} for prefix in description.object_prefixes()
                ],
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
            BUCKET: _bucket(cors_allow_origin or "*"),
            BUCKET_POLICY: _bucket_policy(),
            FUNCTION: {
                "Properties": {
                    "Environment": {
                        "Variables": {
                            "NOTES_TABLE_NAME": {"Ref": TABLE},
                            "COGNITO_USER_POOL_ARN": {"Fn::GetAtt": [USER_POOL, "Arn"]},
                            "COGNITO_APP_CLIENT_IDS": {"Ref": USER_POOL_CLIENT},
                            "NOTES_BUCKET_NAME": {"Ref": BUCKET},
                        }
                    }
                }
            },
            ROLE: {
                "Properties": {
                    "Policies": [{"PolicyName": "NotesTableBucketAndLogs", "PolicyDocument": role_policy()}]
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
            "BucketName": {"Value": {"Ref": BUCKET}},
        },
    }
