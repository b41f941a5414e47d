"""`make package`: the deploy template and Lambda package, built offline and checked."""

from __future__ import annotations

import ast
import base64
import importlib.util
import json
import marshal
import os
import re
import subprocess
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cfnlint.api import ManualArgs, lint
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chalicelib.stream_consumers import CONSUMERS, Consumer
from infra import description, package, template
from local_stack.provisioning import provision
from tests.conftest import aws_client
from tests.infra.conftest import NOTES_TABLE_ACTIONS, Packaged

POOL_ARN = {"Fn::GetAtt": ["UserPool", "Arn"]}
WEB_ORIGIN = {"Fn::Sub": "https://${WebDistribution.DomainName}"}
# As API Gateway wants a static header value: in single quotes.
QUOTED_WEB_ORIGIN = {"Fn::Sub": "'https://${WebDistribution.DomainName}'"}
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
BUCKET_ARN = {"Fn::GetAtt": ["AttachmentsBucket", "Arn"]}
BUCKET_OBJECTS = [
    {"Fn::Sub": "${AttachmentsBucket.Arn}/uploads/*"},
    {"Fn::Sub": "${AttachmentsBucket.Arn}/files/*"},
]
# The routes no authorizer guards: the API's liveness, and a shared note's link.
PUBLIC_ROUTES = [("/health", "get"), ("/shared/{share_id}", "get")]
NOTES_ROUTES = [
    ("/me", "get"),
    ("/notes", "get"),
    ("/notes", "post"),
    ("/notes/{note_id}", "get"),
    ("/notes/{note_id}", "put"),
    ("/notes/{note_id}", "patch"),
    ("/notes/{note_id}", "delete"),
    ("/notes/{note_id}/attachment", "post"),
    ("/notes/{note_id}/attachment", "put"),
    ("/notes/{note_id}/attachment", "get"),
    ("/notes/{note_id}/attachment", "delete"),
    ("/trash", "get"),
    ("/changes", "get"),
    ("/notes/{note_id}/versions", "get"),
    ("/notes/{note_id}/versions/{version}", "get"),
    ("/notes/{note_id}/versions/{version}/restore", "post"),
    ("/notes/{note_id}/share", "post"),
    ("/notes/{note_id}/share", "get"),
    ("/notes/{note_id}/share", "delete"),
    ("/shares", "get"),
    ("/trash/{note_id}/restore", "post"),
    ("/trash/{note_id}", "delete"),
    ("/exports", "post"),
    ("/exports/{export_id}", "get"),
    ("/me", "delete"),
]


READ_ROUTES = [(path, method) for path, method in NOTES_ROUTES if method == "get"]
# The scope each route takes on a scoped stage: reading needs the read scope, the rest the write scope.
ROUTE_SCOPES = {
    route: description.READ_SCOPE if route in READ_ROUTES else description.WRITE_SCOPE
    for route in NOTES_ROUTES
}
OAUTH_CLIENTS = {"web": "WebClient", "cli": "CliClient", "readOnly": "ReadOnlyClient"}


@pytest.fixture(scope="module", params=description.DEPLOYED_STAGES)
def built(request: pytest.FixtureRequest, packaged: Packaged) -> tuple[str, Any]:
    stage = request.param
    return stage, packaged(stage)


def _mode(cfn: dict[str, Any]) -> str:
    """The mode the rendered stack says it is in."""
    mode: str = cfn["Outputs"]["AuthMode"]["Value"]
    return mode


@pytest.fixture(scope="module")
def cfn(built: tuple[str, Any]) -> dict[str, Any]:
    return dict(json.loads(built[1].template.read_text()))


LINT_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]


def test_the_template_is_lint_clean(built: tuple[str, Any]) -> None:
    matches = lint(
        built[1].template.read_text(), config=ManualArgs(regions=LINT_REGIONS, include_checks=["I"])
    )
    assert [str(match) for match in matches if match.rule.id[0] in "EW"] == []
    assert [str(match) for match in matches if match.rule.id == "I3011"] == []  # stateful resources


def test_user_pool_uses_email_as_the_username(built: tuple[str, Any], cfn: dict[str, Any]) -> None:
    stage = built[0]
    pool = cfn["Resources"]["UserPool"]
    props = pool["Properties"]
    assert pool["Type"] == "AWS::Cognito::UserPool"
    assert props["UsernameAttributes"] == ["email"]
    assert props["AutoVerifiedAttributes"] == ["email"]
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(policy[f"Require{kind}"] for kind in ("Uppercase", "Lowercase", "Numbers", "Symbols"))
    assert props["AccountRecoverySetting"]["RecoveryMechanisms"][0]["Name"] == "verified_email"
    if stage == "prod":
        assert props["DeletionProtection"] == "ACTIVE"
        assert pool["DeletionPolicy"] == "Retain"
    else:
        assert props["DeletionProtection"] == "INACTIVE"
        assert pool["DeletionPolicy"] == "Delete"


def test_dev_is_an_id_token_stage_and_prod_a_scoped_one(built: tuple[str, Any], cfn: dict[str, Any]) -> None:
    assert _mode(cfn) == {"dev": "id", "prod": "scoped"}[built[0]]
    cognito = sorted(name for name, r in cfn["Resources"].items() if r["Type"].startswith("AWS::Cognito::"))
    if _mode(cfn) == "id":
        assert cognito == ["UserPool", "UserPoolClient"]
    else:
        # The password client of ID-token mode is not made on a scoped stage.
        assert cognito == sorted(
            ["UserPool", "UserPoolDomain", "UserPoolResourceServer", *OAUTH_CLIENTS.values()]
        )


def test_app_clients_have_no_secret(cfn: dict[str, Any]) -> None:
    clients = {
        name: resource["Properties"]
        for name, resource in cfn["Resources"].items()
        if resource["Type"] == "AWS::Cognito::UserPoolClient"
    }
    assert clients
    for name, client in clients.items():
        assert client["GenerateSecret"] is False, name
        assert client["UserPoolId"] == {"Ref": "UserPool"}, name
    if _mode(cfn) == "id":
        assert set(clients["UserPoolClient"]["ExplicitAuthFlows"]) == {
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        }
    else:
        # No password or SRP sign-in: tokens come from the authorization code flow only.
        assert all(client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"] for client in clients.values())


def test_table_keys_billing_backups_encryption_and_retention(cfn: dict[str, Any]) -> None:
    table = cfn["Resources"]["NotesTable"]
    props = table["Properties"]
    assert {k["AttributeName"]: k["KeyType"] for k in props["KeySchema"]} == {
        "userId": "HASH",
        "noteId": "RANGE",
    }
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_every_notes_route_is_bound_to_the_stacks_pool_and_health_is_open(cfn: dict[str, Any]) -> None:
    body = cfn["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    definitions = body["securityDefinitions"]
    assert list(definitions) == ["NotesUserPool"]
    authorizer = dict(definitions["NotesUserPool"]["x-amazon-apigateway-authorizer"])
    authorizer.pop("identityValidationExpression", None)
    assert authorizer == {"type": "cognito_user_pools", "providerARNs": [POOL_ARN]}
    for route in NOTES_ROUTES:
        # ID tokens carry no scopes: an ID-token stage's methods name none; a scoped stage's each
        # name the one scope they take (GET the read scope, the others the write scope).
        scopes = [ROUTE_SCOPES[route]] if _mode(cfn) == "scoped" else []
        path, method = route
        assert body["paths"][path][method]["security"] == [{"NotesUserPool": scopes}], route
    for path, method in PUBLIC_ROUTES:
        assert "security" not in body["paths"][path][method], path
    # Every route of the generated definition is one of these: guarded by the pool, or public.
    documented = {(p, m) for p, methods in body["paths"].items() for m in methods if m != "options"}
    assert documented == {*NOTES_ROUTES, *PUBLIC_ROUTES}


def test_an_id_token_stage_admits_only_its_own_clients_id_tokens(cfn: dict[str, Any]) -> None:
    # API Gateway's Cognito authorizer checks a token's pool, not its client, unless its token
    # validation expression (matched against the ID token's aud) says which clients.
    body = cfn["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    authorizer = body["securityDefinitions"]["NotesUserPool"]["x-amazon-apigateway-authorizer"]
    if _mode(cfn) == "scoped":
        # Access tokens have no aud: any expression would refuse them all. The scopes do the work.
        assert "identityValidationExpression" not in authorizer
        return
    expression = authorizer["identityValidationExpression"]
    assert expression == {"Fn::Sub": "^${UserPoolClient}$"}
    assert cfn["Resources"]["UserPoolClient"]["Type"] == "AWS::Cognito::UserPoolClient"
    deployed = expression["Fn::Sub"].replace("${UserPoolClient}", "4q1ab2cd3ef4gh5ij6kl7mn8op")
    assert re.search(deployed, "4q1ab2cd3ef4gh5ij6kl7mn8op")
    for other in (
        "another0client0of0the0pool",
        "4q1ab2cd3ef4gh5ij6kl7mn8opX",
        "x4q1ab2cd3ef4gh5ij6kl7mn8op",
        "",
    ):
        assert not re.search(deployed, other), other


def test_gateway_responses_carry_cors_headers(cfn: dict[str, Any]) -> None:
    responses = cfn["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        headers = responses[kind]["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == QUOTED_WEB_ORIGIN, kind
        assert "Authorization" in headers["Access-Control-Allow-Headers"]


def test_the_function_has_only_the_table_actions_it_uses(cfn: dict[str, Any]) -> None:
    policies = cfn["Resources"]["ApiHandlerRole"]["Properties"]["Policies"]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])]
    # The notes table, the search index, then the trash and the account table (test_your_data.py),
    # the change feed (test_changes.py), the versions (test_history.py) and the links
    # (test_sharing.py).
    assert len(dynamodb) == 7
    assert set(dynamodb[0]["Action"]) == set(NOTES_TABLE_ACTIONS)
    assert dynamodb[0]["Resource"] == {"Fn::GetAtt": ["NotesTable", "Arn"]}
    # The search index is only read by the API: the indexer function writes it.
    assert dynamodb[1] == {
        "Effect": "Allow",
        "Action": ["dynamodb:Query"],
        "Resource": {"Fn::GetAtt": ["SearchTable", "Arn"]},
    }
    actions = [a for s in statements for a in s["Action"]]
    assert not [a for a in actions if a.endswith("*") or a == "dynamodb:Scan"]
    assert all(s["Effect"] == "Allow" for s in statements)


# The stage's tables with a stream, by key (chalicelib.tables): their resources.
STREAM_TABLES = {"notes": "NotesTable", "trash": "TrashTable", "account": "AccountTable"}


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda consumer: consumer.name)
def test_each_stream_functions_event_source_is_its_declaration(
    cfn: dict[str, Any], consumer: Consumer[Any]
) -> None:
    """The deployed filter is the declared one, pattern for pattern, and nothing else: the local
    stack delivers by the same declaration, so what runs locally is what Lambda delivers."""
    (function,) = [
        resource["Properties"]
        for resource in cfn["Resources"].values()
        if resource.get("Properties", {}).get("Handler") == f"app.{consumer.name}"
    ]
    (event,) = function["Events"].values()
    assert event["Type"] == "DynamoDB"
    properties = event["Properties"]
    assert properties["Stream"] == {"Fn::GetAtt": [STREAM_TABLES[consumer.table.key], "StreamArn"]}
    if consumer.patterns:
        deployed = [json.loads(each["Pattern"]) for each in properties["FilterCriteria"]["Filters"]]
        assert deployed == [dict(pattern) for pattern in consumer.patterns]
    else:  # every record
        assert "FilterCriteria" not in properties


def test_the_indexer_follows_the_notes_tables_stream_with_only_what_it_needs(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    table = resources["NotesTable"]["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    indexer = resources["IndexNotes"]["Properties"]
    assert indexer["Handler"] == "app.index_notes"
    event = indexer["Events"]["NotesStream"]
    assert event["Type"] == "DynamoDB"
    assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["NotesTable", "StreamArn"]}
    # From the oldest record kept (nothing written before the indexer ran is skipped), one
    # record at a time as they come, a failing batch split until the failing record is alone.
    assert event["Properties"]["StartingPosition"] == "TRIM_HORIZON"
    assert event["Properties"]["MaximumBatchingWindowInSeconds"] == 0
    assert event["Properties"]["BisectBatchOnFunctionError"] is True
    api = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert indexer["Environment"]["Variables"] == api
    assert api["NOTES_SEARCH_TABLE_NAME"] == {"Ref": "SearchTable"}
    [policy] = resources["IndexNotesRole"]["Properties"]["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    dynamodb = {
        json.dumps(s["Resource"], sort_keys=True): set(s["Action"])
        for s in statements
        if any(a.startswith("dynamodb:") for a in s["Action"])
    }
    assert dynamodb == {
        json.dumps({"Fn::GetAtt": ["NotesTable", "StreamArn"]}, sort_keys=True): {
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
        },
        json.dumps({"Fn::GetAtt": ["SearchTable", "Arn"]}, sort_keys=True): {
            "dynamodb:BatchWriteItem",
            "dynamodb:PutItem",
            "dynamodb:DeleteItem",
        },
    }
    search = resources["SearchTable"]
    assert search["Properties"]["KeySchema"] == [
        {"AttributeName": "userId", "KeyType": "HASH"},
        {"AttributeName": "entry", "KeyType": "RANGE"},
    ]
    assert search["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert cfn["Outputs"]["SearchTableName"] == {"Value": {"Ref": "SearchTable"}}


def test_the_function_is_configured_by_reference(cfn: dict[str, Any]) -> None:
    variables = cfn["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["NOTES_TABLE_NAME"] == {"Ref": "NotesTable"}
    assert variables["COGNITO_USER_POOL_ARN"] == POOL_ARN
    if _mode(cfn) == "id":
        assert variables["COGNITO_APP_CLIENT_IDS"] == {"Ref": "UserPoolClient"}
        assert "COGNITO_READ_SCOPES" not in variables and "COGNITO_WRITE_SCOPES" not in variables
    else:
        clients = [{"Ref": name} for name in OAUTH_CLIENTS.values()]
        assert variables["COGNITO_APP_CLIENT_IDS"] == {"Fn::Join": [",", clients]}
        assert (variables["COGNITO_READ_SCOPES"], variables["COGNITO_WRITE_SCOPES"]) == (
            "notes/read",
            "notes/write",
        )
    assert variables["NOTES_BUCKET_NAME"] == {"Ref": "AttachmentsBucket"}
    assert variables["CORS_ALLOW_ORIGIN"] == WEB_ORIGIN
    assert "AWS_REGION" not in variables and "AWS_DEFAULT_REGION" not in variables  # reserved by Lambda
    assert "packaging" not in json.dumps(cfn)


def test_outputs_name_what_a_client_needs(cfn: dict[str, Any]) -> None:
    outputs = cfn["Outputs"]
    assert {"EndpointURL", "Region", "UserPoolId", "AuthMode", "TableName"} <= set(outputs)
    assert outputs["UserPoolId"] == {"Value": {"Ref": "UserPool"}}
    oauth = {"AuthDomain", "WebClientId", "CliClientId", "ReadOnlyClientId"}
    if _mode(cfn) == "id":
        assert outputs["UserPoolClientId"] == {"Value": {"Ref": "UserPoolClient"}}
        assert not oauth & set(outputs)
    else:
        assert "UserPoolClientId" not in outputs  # no password client
        assert oauth <= set(outputs)


def test_outputs_name_the_bucket(cfn: dict[str, Any]) -> None:
    assert cfn["Outputs"]["BucketName"] == {"Value": {"Ref": "AttachmentsBucket"}}


def assert_private_encrypted_and_owning_its_objects(props: dict[str, Any]) -> None:
    """Every public access blocked, SSE-S3 with a bucket key, ACLs disabled."""
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}
        ]
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_the_bucket_is_retained_private_encrypted_and_owns_its_objects(cfn: dict[str, Any]) -> None:
    bucket = cfn["Resources"]["AttachmentsBucket"]
    props = bucket["Properties"]
    assert bucket["Type"] == "AWS::S3::Bucket"
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    assert "BucketName" not in props  # names are global: CloudFormation makes one per stack
    assert_private_encrypted_and_owning_its_objects(props)
    assert "AccessControl" not in props


def test_the_web_apps_origin_may_upload_to_and_download_from_the_bucket(cfn: dict[str, Any]) -> None:
    (rule,) = cfn["Resources"]["AttachmentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [WEB_ORIGIN]
    assert sorted(rule["AllowedMethods"]) == ["GET", "POST"]
    assert "ETag" in rule["ExposedHeaders"]


def test_uploads_never_attached_expire_after_a_day(cfn: dict[str, Any]) -> None:
    lifecycle = cfn["Resources"]["AttachmentsBucket"]["Properties"]["LifecycleConfiguration"]
    (rule,) = [rule for rule in lifecycle["Rules"] if rule["Id"] == "expire-uploads-never-attached"]
    assert rule["Status"] == "Enabled"
    assert rule["Prefix"] == "uploads/"
    assert rule["ExpirationInDays"] == 1
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert not {"Transitions", "NoncurrentVersionExpiration", "TagFilters"} & set(rule)


def test_the_bucket_refuses_every_request_not_over_tls(cfn: dict[str, Any]) -> None:
    policy = cfn["Resources"]["AttachmentsBucketPolicy"]
    assert policy["Type"] == "AWS::S3::BucketPolicy"
    assert policy["Properties"]["Bucket"] == {"Ref": "AttachmentsBucket"}
    document = policy["Properties"]["PolicyDocument"]
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Resource"] == [BUCKET_ARN, {"Fn::Join": ["", [BUCKET_ARN, "/*"]]}]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_function_reaches_only_the_objects_under_the_apps_two_prefixes(cfn: dict[str, Any]) -> None:
    policies = cfn["Resources"]["ApiHandlerRole"]["Properties"]["Policies"]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    s3 = [s for s in statements if any(a.lower().startswith("s3:") for a in s["Action"])]
    assert s3 == [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": BUCKET_OBJECTS,
        },
        # The exports' ZIPs, which the API only hands out as presigned GETs.
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [{"Fn::Sub": "${AttachmentsBucket.Arn}/exports/*"}],
        },
        # Shared files' copies: made from the files, handed out as presigned GETs.
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [{"Fn::Sub": "${AttachmentsBucket.Arn}/shared/*"}],
        },
    ]
    # Nothing else in the role names the bucket, or any S3 resource.
    others = json.dumps([s for s in statements if s not in s3])
    assert "AttachmentsBucket" not in others and ":s3:" not in others
    assert "ManagedPolicyArns" not in cfn["Resources"]["ApiHandlerRole"]["Properties"]


def test_chalices_policy_file_is_the_roles_policy(built: tuple[str, Any], cfn: dict[str, Any]) -> None:
    written = json.loads((package.ROOT / ".chalice" / f"policy-{built[0]}.json").read_text())
    (policy,) = cfn["Resources"]["ApiHandlerRole"]["Properties"]["Policies"]
    assert written == policy["PolicyDocument"]
    # What it grants, written out: the API function's own actions on each resource, nothing more.
    assert written["Version"] == "2012-10-17"
    assert {statement["Effect"] for statement in written["Statement"]} == {"Allow"}
    assert [(statement["Action"], statement["Resource"]) for statement in written["Statement"]] == [
        (
            NOTES_TABLE_ACTIONS,
            {"Fn::GetAtt": ["NotesTable", "Arn"]},
        ),
        (["dynamodb:Query"], {"Fn::GetAtt": ["SearchTable", "Arn"]}),
        (
            [
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:DeleteItem",
                "dynamodb:Query",
                "dynamodb:ConditionCheckItem",
            ],
            [{"Fn::GetAtt": ["TrashTable", "Arn"]}, {"Fn::Sub": "${TrashTable.Arn}/index/*"}],
        ),
        (
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            {"Fn::GetAtt": ["AccountTable", "Arn"]},
        ),
        (["dynamodb:GetItem", "dynamodb:Query"], {"Fn::GetAtt": ["ChangesTable", "Arn"]}),
        (
            ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchWriteItem"],
            {"Fn::GetAtt": ["VersionsTable", "Arn"]},
        ),
        (
            [
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:Query",
            ],
            [{"Fn::GetAtt": ["SharesTable", "Arn"]}, {"Fn::Sub": "${SharesTable.Arn}/index/*"}],
        ),
        (
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            [
                {"Fn::Sub": "${AttachmentsBucket.Arn}/uploads/*"},
                {"Fn::Sub": "${AttachmentsBucket.Arn}/files/*"},
            ],
        ),
        (["s3:GetObject"], [{"Fn::Sub": "${AttachmentsBucket.Arn}/exports/*"}]),
        (["s3:GetObject", "s3:PutObject"], [{"Fn::Sub": "${AttachmentsBucket.Arn}/shared/*"}]),
        (["cognito-idp:AdminGetUser"], {"Fn::GetAtt": ["UserPool", "Arn"]}),
        (
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"},
        ),
    ]


def test_a_bucket_setting_the_template_cannot_render_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    lifecycle = description.bucket_lifecycle()
    lifecycle["Rules"][0]["Transitions"] = [{"Days": 30, "StorageClass": "GLACIER"}]
    monkeypatch.setattr(description, "bucket_lifecycle", lambda: lifecycle)
    with pytest.raises(ValueError, match="Transitions"):
        template.merge_template("dev")


def _references(value: Any) -> set[str]:
    """The resources ``value`` names by Ref, Fn::GetAtt or Fn::Sub (pseudo parameters aside)."""
    if isinstance(value, list):
        return set().union(*(_references(item) for item in value))
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, item in value.items():
        if key == "Ref" and isinstance(item, str):
            found.add(item)
        elif key == "Fn::GetAtt":
            found.add(item[0] if isinstance(item, list) else item.split(".")[0])
        elif key == "Fn::Sub":
            text = item if isinstance(item, str) else item[0]
            found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
            found |= _references(item[1:] if isinstance(item, list) else [])
        else:
            found |= _references(item)
    return {name for name in found if not name.startswith("AWS::")}


def _dependencies(resources: dict[str, Any], name: str) -> set[str]:
    """Every resource ``name`` depends on, directly or through others."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        resource = resources[todo.pop()]
        named = _references(resource.get("Properties", {})) | set(resource.get("DependsOn", []))
        todo.extend(named - seen)
        seen |= named
    return seen


def _csp_directives(policy: str) -> dict[str, list[str]]:
    directives = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        assert name not in directives, f"{name} twice"
        directives[name] = sources
    return directives


def _csp_allows(sources: list[str], url: str) -> bool:
    """Whether a host-source list allows ``url`` (scheme, host with a leading wildcard, path prefix
    or exact path)."""
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    for source in sources:
        source_scheme, _, source_rest = source.partition("://")
        source_host, slash, source_path = source_rest.partition("/")
        if source_scheme != scheme:
            continue
        if source_host.startswith("*."):
            if not host.endswith(source_host[1:]):
                continue
        elif source_host != host:
            continue
        if not slash or source_path == "" or (source_path.endswith("/") and path.startswith(source_path)):
            return True
        if source_path == path:  # a path without its trailing slash matches exactly
            return True
    return False


def _deployed(policy: str, region: str = "eu-west-1") -> str:
    return policy.replace("${AWS::Region}", region).replace("${AWS::URLSuffix}", "amazonaws.com")


def test_the_web_bucket_is_private_encrypted_owns_its_objects_and_is_no_website(cfn: dict[str, Any]) -> None:
    bucket = cfn["Resources"]["WebBucket"]
    props = bucket["Properties"]
    assert bucket["Type"] == "AWS::S3::Bucket"
    # Only built files, uploaded again by every make deploy: it goes with the stack.
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Delete"
    assert "BucketName" not in props
    assert_private_encrypted_and_owning_its_objects(props)
    assert not {"WebsiteConfiguration", "AccessControl", "CorsConfiguration"} & set(props)


def test_only_the_distribution_reads_the_web_bucket_and_only_over_tls(cfn: dict[str, Any]) -> None:
    policy = cfn["Resources"]["WebBucketPolicy"]
    assert policy["Type"] == "AWS::S3::BucketPolicy"
    assert policy["Properties"]["Bucket"] == {"Ref": "WebBucket"}
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    arn = {"Fn::GetAtt": ["WebBucket", "Arn"]}
    assert statements == [
        {
            "Sid": "TLSOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, {"Fn::Join": ["", [arn, "/*"]]}],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "OnlyTheDistributionReads",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${WebBucket.Arn}/*"},
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:"
                        "distribution/${WebDistribution}"
                    }
                }
            },
        },
    ]


def test_the_distribution_reads_the_bucket_through_its_origin_access_control(cfn: dict[str, Any]) -> None:
    access = cfn["Resources"]["WebOriginAccessControl"]
    assert access["Type"] == "AWS::CloudFront::OriginAccessControl"
    config = access["Properties"]["OriginAccessControlConfig"]
    assert config["OriginAccessControlOriginType"] == "s3"
    assert config["SigningBehavior"] == "always"
    assert config["SigningProtocol"] == "sigv4"
    distribution = cfn["Resources"]["WebDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = distribution["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["WebBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy access identity
    assert "CustomOriginConfig" not in origin


def test_the_distribution_serves_the_page_over_https_compressed_and_keeps_no_config(
    cfn: dict[str, Any],
) -> None:
    distribution = cfn["Resources"]["WebDistribution"]
    assert distribution["Type"] == "AWS::CloudFront::Distribution"
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Enabled"] is True
    assert config["DefaultRootObject"] == "index.html"
    assert config["HttpVersion"] == "http2and3"
    assert config["PriceClass"] == "PriceClass_100"
    assert "Aliases" not in config and "ViewerCertificate" not in config  # CloudFront's own domain
    default = config["DefaultCacheBehavior"]
    (config_json,) = config["CacheBehaviors"]
    assert config_json["PathPattern"] == "/config.json"
    assert default["CachePolicyId"] == CACHING_OPTIMIZED
    assert config_json["CachePolicyId"] == CACHING_DISABLED
    for behavior in (default, config_json):
        assert behavior["TargetOriginId"] == config["Origins"][0]["Id"]
        assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
        assert behavior["Compress"] is True
        assert sorted(behavior["AllowedMethods"]) == ["GET", "HEAD"]
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": "WebResponseHeadersPolicy"}
        assert not {"ForwardedValues", "DefaultTTL", "MinTTL", "MaxTTL"} & set(behavior)


def test_the_page_has_a_strict_content_security_policy(cfn: dict[str, Any]) -> None:
    headers = cfn["Resources"]["WebResponseHeadersPolicy"]
    assert headers["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    security = headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = security["ContentSecurityPolicy"]
    assert csp["Override"] is True
    policy = csp["ContentSecurityPolicy"]["Fn::Sub"]
    scoped = _mode(cfn) == "scoped"
    assert "unsafe" not in policy and "nonce-" not in policy and "sha256-" not in policy
    # Deployed, the page connects to itself, its region's API, WebSocket API (the live endpoint) and
    # Cognito, the attachments bucket (by its global and its regional name) and, scoped, the pool's
    # own sign-in domain; its service worker is its own file.
    suffix = "${AWS::Region}.${AWS::URLSuffix}"
    connect = [
        "'self'",
        f"https://*.execute-api.{suffix}",
        f"wss://*.execute-api.{suffix}",
        f"https://cognito-idp.{suffix}",
        *(["https://notes-prod-${AWS::AccountId}.auth.${AWS::Region}.amazoncognito.com"] if scoped else []),
        "https://*.s3.${AWS::URLSuffix}",
        f"https://*.s3.{suffix}",
    ]
    assert _csp_directives(policy) == {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # An attached image is shown from its download URL: the attachments bucket, nothing broader.
        "img-src": ["'self'", "data:", "https://*.s3.${AWS::URLSuffix}", f"https://*.s3.{suffix}"],
        "connect-src": connect,
        "worker-src": ["'self'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "manifest-src": ["'self'"],
    }

    # Deployed, the page may reach its API, its live endpoint, Cognito and the attachments bucket,
    # nothing else.
    connect = _csp_directives(_deployed(policy))["connect-src"]
    assert connect[0] == "'self'" and "*" not in connect and "https:" not in connect and "wss:" not in connect
    api = _deployed(cfn["Outputs"]["ApiUrl"]["Value"]["Fn::Sub"]).replace("${RestAPI}", "a1b2c3d4e5")
    live = _deployed(cfn["Outputs"]["WsUrl"]["Value"]["Fn::Sub"])
    live = live.replace("${WebsocketAPI}", "f6g7h8i9j0").replace("${WebsocketAPIStage}", "api")
    bucket = "notes-dev-attachmentsbucket-1x2y3z"
    for url in (
        f"{api}/notes/01J0?limit=20",
        live,
        "https://cognito-idp.eu-west-1.amazonaws.com/",
        f"https://{bucket}.s3.amazonaws.com/",
        f"https://{bucket}.s3.eu-west-1.amazonaws.com/",
    ):
        assert _csp_allows(connect, url), url
    for url in (
        "https://attacker.example/collect",
        "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/api/notes",  # another region's
        "https://cognito-idp.us-east-1.amazonaws.com/",
        "http://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/api/notes",  # not over TLS
        live.replace("eu-west-1", "us-east-1"),  # another region's live endpoint
        live.replace("wss://", "ws://"),  # not over TLS
        "wss://attacker.example/live",
        "https://other-prefix.auth.eu-west-1.amazoncognito.com/oauth2/token",  # another pool's domain
    ):
        assert not _csp_allows(connect, url), url
    # Scoped, the page also calls the pool's own domain (its token endpoint), and no other.
    token_endpoint = "https://notes-prod-123456789012.auth.eu-west-1.amazoncognito.com/oauth2/token"
    connect_in_account = [source.replace("${AWS::AccountId}", "123456789012") for source in connect]
    assert _csp_allows(connect_in_account, token_endpoint) is (_mode(cfn) == "scoped")
    assert not _csp_allows(connect_in_account, token_endpoint.replace("eu-west-1", "us-east-1"))

    # Images: the page's own and the attachments bucket's (an attached image's download URL), no
    # other site's (a note's Markdown image is shown as a link, never loaded).
    images = _csp_directives(_deployed(policy))["img-src"]
    assert "*" not in images and "https:" not in images and "http:" not in images
    assert _csp_allows(
        images, f"https://{bucket}.s3.eu-west-1.amazonaws.com/files/u/n/pic.png?X-Amz-Signature=1"
    )
    assert _csp_allows(images, f"https://{bucket}.s3.amazonaws.com/files/u/n/pic.png")
    for url in ("https://other.example/pic.png", f"http://{bucket}.s3.amazonaws.com/pic.png", f"{api}/notes"):
        assert not _csp_allows(images, url), url


def test_the_page_has_the_security_headers(cfn: dict[str, Any]) -> None:
    headers = cfn["Resources"]["WebResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 365 * 24 * 60 * 60
    assert security["ContentTypeOptions"] == {"Override": True}  # nosniff
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert security["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
    assert all(setting["Override"] is True for setting in security.values())
    assert set(security) == {
        "ContentSecurityPolicy",
        "StrictTransportSecurity",
        "ContentTypeOptions",
        "FrameOptions",
        "ReferrerPolicy",
    }


def test_the_api_and_the_bucket_allow_exactly_the_web_apps_origin(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    assert (
        resources["APIHandler"]["Properties"]["Environment"]["Variables"]["CORS_ALLOW_ORIGIN"] == WEB_ORIGIN
    )
    api = resources["RestAPI"]["Properties"]
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        headers = api["GatewayResponses"][kind]["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == QUOTED_WEB_ORIGIN, kind
    # Every path answers its preflight, with the web app's origin.
    paths = api["DefinitionBody"]["paths"]
    assert sorted(paths) == sorted({path for path, _ in [*NOTES_ROUTES, *PUBLIC_ROUTES]})
    for path, methods in paths.items():
        integration = methods["options"]["x-amazon-apigateway-integration"]
        assert integration["type"] == "mock", path
        for response in integration["responses"].values():
            origin = response["responseParameters"]["method.response.header.Access-Control-Allow-Origin"]
            assert origin == QUOTED_WEB_ORIGIN, path
    (rule,) = resources["AttachmentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [WEB_ORIGIN]
    # No other origin anywhere: no wildcard, no packaging stand-in.
    text = json.dumps(cfn)
    assert "\"'*'\"" not in text and "packaging" not in text


def test_the_distribution_depends_on_neither_the_api_nor_the_function(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    web = _dependencies(resources, "WebDistribution")
    assert web == {"WebBucket", "WebOriginAccessControl", "WebResponseHeadersPolicy"}
    # What allows the web app's origin depends on the distribution, which closes no circle.
    for name in ("RestAPI", "APIHandler", "AttachmentsBucket"):
        assert "WebDistribution" in _dependencies(resources, name), name
        assert name not in _dependencies(resources, "WebDistribution"), name


def test_outputs_name_the_web_app_and_the_api(cfn: dict[str, Any]) -> None:
    outputs = cfn["Outputs"]
    assert outputs["WebUrl"] == {"Value": WEB_ORIGIN}
    assert outputs["WebBucketName"] == {"Value": {"Ref": "WebBucket"}}
    assert outputs["WebDistributionId"] == {"Value": {"Ref": "WebDistribution"}}
    # The API's base URL, as the page's config.json gives it: Chalice's endpoint without its slash.
    endpoint = outputs["EndpointURL"]["Value"]["Fn::Sub"]
    assert outputs["ApiUrl"] == {"Value": {"Fn::Sub": endpoint.removesuffix("/")}}
    assert endpoint.endswith("/api/")


def test_the_functions_role_gains_nothing_for_the_web_app(cfn: dict[str, Any]) -> None:
    role = json.dumps(cfn["Resources"]["ApiHandlerRole"])
    assert "Web" not in role and "cloudfront" not in role
    assert "WebBucket" not in json.dumps(cfn["Resources"]["APIHandler"])


def test_the_content_security_policy_names_each_source_once_and_refuses_what_could_break_it() -> None:
    local = description.content_security_policy(
        "http://127.0.0.1:8000",
        "http://127.0.0.1:8001/",
        ["http://127.0.0.1:8001"],
        ws_url="ws://127.0.0.1:8003",
    )
    directives = _csp_directives(local)
    assert directives["connect-src"] == [
        "'self'",
        "http://127.0.0.1:8000",
        "ws://127.0.0.1:8003",
        "http://127.0.0.1:8001",
    ]
    assert directives["worker-src"] == ["'self'"]  # the page's service worker, from its own origin
    # Images: the page's own, and the bucket's (locally the emulator's), each named once.
    assert directives["img-src"] == ["'self'", "data:", "http://127.0.0.1:8001"]
    # No live endpoint given, no WebSocket source.
    without = description.content_security_policy("http://127.0.0.1:8000", "http://127.0.0.1:8001/", [])
    assert _csp_directives(without)["connect-src"] == [
        "'self'",
        "http://127.0.0.1:8000",
        "http://127.0.0.1:8001",
    ]
    # A source with a path matches below it only when the path ends with a slash: an HTTP URL's path
    # gets one, the live endpoint's path stays exact (the page connects to that very URL).
    api = "https://a1.execute-api.eu-west-1.amazonaws.com/api"
    live = "wss://f6.execute-api.eu-west-1.amazonaws.com/api"
    connect = _csp_directives(description.content_security_policy(api, api, [], ws_url=live))["connect-src"]
    assert connect == ["'self'", api + "/", live]
    assert _csp_allows(connect, live) and not _csp_allows(connect, live + "/other")
    for bad in (
        "https://x.example; script-src *",
        "https://x.example;script-src",
        "https://x.example,https://y.example",
        "https://x.example'",
        "https://x.example 'unsafe-inline'",
        "*",
        "data:x",
    ):
        with pytest.raises(ValueError, match="content security policy"):
            description.content_security_policy(bad, "https://cognito-idp.eu-west-1.amazonaws.com", [])


@pytest.mark.parametrize("live", ["wss://f6.execute-api.eu-west-1.amazonaws.com/api", "ws://127.0.0.1:8003"])
def test_a_websocket_url_names_the_live_endpoint_and_nothing_else(live: str) -> None:
    api = "https://a1.execute-api.eu-west-1.amazonaws.com/api"
    cognito = "https://cognito-idp.eu-west-1.amazonaws.com"
    policy = description.content_security_policy(api, cognito, [], ws_url=live)
    assert live in _csp_directives(policy)["connect-src"]
    # Not the API's, Cognito's, the sign-in domain's or the bucket's: those are HTTP.
    for refused in (
        lambda: description.content_security_policy(live, cognito, []),
        lambda: description.content_security_policy(api, live, []),
        lambda: description.content_security_policy(api, cognito, [live]),
        lambda: description.content_security_policy(api, cognito, [], auth_url=live),
    ):
        with pytest.raises(ValueError, match="content security policy"):
            refused()


@pytest.mark.parametrize(
    "live",
    [
        "https://f6.execute-api.eu-west-1.amazonaws.com/api",  # the live endpoint is a WebSocket
        "http://127.0.0.1:8003",
        "ftp://x.example",
        "wss://",
        "wss:x.example",
        "wss://x.example; script-src *",
        "wss://x.example,wss://y.example",
        "wss://x.example 'unsafe-inline'",
        "*",
    ],
)
def test_the_live_endpoint_is_a_websocket_url_that_cannot_break_the_policy(live: str) -> None:
    api = "https://a1.execute-api.eu-west-1.amazonaws.com/api"
    cognito = "https://cognito-idp.eu-west-1.amazonaws.com"
    with pytest.raises(ValueError, match="content security policy"):
        description.content_security_policy(api, cognito, [], ws_url=live)


def test_a_security_header_the_template_cannot_render_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    headers = {**description.WEB_SECURITY_HEADERS, "Permissions-Policy": "camera=()"}
    monkeypatch.setattr(description, "WEB_SECURITY_HEADERS", headers)
    with pytest.raises(ValueError, match="Permissions-Policy"):
        template.merge_template("dev")


def test_an_options_method_with_another_origin_is_refused() -> None:
    def document(origin: str) -> dict[str, Any]:
        response = {"responseParameters": {"method.response.header.Access-Control-Allow-Origin": origin}}
        options = {"x-amazon-apigateway-integration": {"responses": {"default": response}}}
        paths = {"/notes": {"get": {}, "options": options}, "/health": {"get": {}}}
        return {"Resources": {"RestAPI": {"Properties": {"DefinitionBody": {"paths": paths}}}}}

    bound = document("'https://stand-in.invalid'")
    assert template.bind_preflight_origin(bound, "https://stand-in.invalid") == 1
    parameters = bound["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]["/notes"]["options"]
    assert parameters["x-amazon-apigateway-integration"]["responses"]["default"]["responseParameters"] == {
        "method.response.header.Access-Control-Allow-Origin": QUOTED_WEB_ORIGIN
    }
    with pytest.raises(ValueError, match="/notes"):
        template.bind_preflight_origin(document("'*'"), "https://stand-in.invalid")


def test_the_lambda_package_leaves_boto_to_the_runtime_and_still_imports(
    built: tuple[str, Any], tmp_path: Path
) -> None:
    with zipfile.ZipFile(built[1].zip) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "task")
    tops = {name.split("/", 1)[0] for name in names}
    assert {"app.py", "chalicelib", "chalice", "pynamodb", "uuid6"} <= tops
    assert not tops & {"botocore", "boto3", "cryptography", "moto", "requests"}
    # The WebSocket connect handler checks tokens: PyJWT, with RS256 in pure Python.
    assert {"jwt", "rsa"} <= tops
    assert built[1].zip_bytes < 1024 * 1024

    # The Lambda runtime: the package, plus boto3/botocore and their dependencies.
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site = Path(json.__file__).parent  # any stdlib module; site-packages is found below
    packages = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    for name in ("botocore", "boto3", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"):
        (runtime / name).symlink_to(packages / name)
    # A signature made with cryptography, checked in the package, where RS256 is pure Python.
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.public_key().public_numbers()
    jwk = json.dumps(
        {
            "kty": "RSA",
            "n": base64.urlsafe_b64encode(numbers.n.to_bytes(256, "big")).rstrip(b"=").decode(),
            "e": base64.urlsafe_b64encode(numbers.e.to_bytes(3, "big")).rstrip(b"=").decode(),
        }
    )
    signature = private.sign(b"signed", padding.PKCS1v15(), hashes.SHA256()).hex()
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import app; "
        "print(app.app.app_name, 'chalice.local' in sys.modules, 'jwt' in sys.modules, "
        "any(name.split('.')[0] == 'local_stack' for name in sys.modules)); "
        "import json; from chalicelib import tokens; rs256 = tokens._rs256(); "
        "key = rs256.from_jwk(json.loads(sys.argv[3])); "
        "print(type(rs256).__name__, rs256.verify(b'signed', key, bytes.fromhex(sys.argv[4])), "
        "rs256.verify(b'changed', key, bytes.fromhex(sys.argv[4])), 'pyasn1' in sys.modules)"
    )
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only
        "AWS_REGION": "eu-west-1",
        "NOTES_TABLE_NAME": "notes-dev",
        "COGNITO_USER_POOL_ARN": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc",
        "COGNITO_APP_CLIENT_IDS": "client",
        "NOTES_BUCKET_NAME": "notes-dev-attachments",
    }
    result = subprocess.run(
        # -v: the interpreter says where each module's code object came from.
        [sys.executable, "-S", "-v", "-c", code, str(tmp_path / "task"), str(runtime), jwk, signature],
        env=env,
        cwd=site,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Token checks are imported by the connect handler alone, and there RS256 is pure Python.
    assert result.stdout.split() == [
        "notes",
        "False",
        "False",
        "False",
        "PureRS256",
        "True",
        "False",
        "False",
    ]
    assert "pyasn1" not in tops  # python-rsa reads PEM and DER keys with it; the app never does
    # The package's modules ran from its bytecode: none was compiled from source at import.
    task = str(tmp_path / "task")
    loaded = [line for line in result.stderr.splitlines() if line.startswith(f"# code object from '{task}")]
    assert f"# code object from '{task}/__pycache__/app.{sys.implementation.cache_tag}.pyc'" in loaded, (
        result.stderr
    )
    assert (
        f"# code object from '{task}/pynamodb/__pycache__/models.{sys.implementation.cache_tag}.pyc'"
        in loaded
    )
    assert [line for line in loaded if not line.endswith(".pyc'")] == []


# What stands in for AWS, or serves only a developer: never in the Lambda package.
LOCAL_ONLY_TOPS = ("local_stack", "infra", "tests", "bench", "tools", "notes_cli", "web", "docs")
LOCAL_ONLY_FILES = ("chalice/local.py", "chalice/test.py", "chalice/cli/")


def local_only(names: list[str]) -> list[str]:
    """The entries of a zip's file list that only a developer's machine needs."""
    return [
        name
        for name in names
        if name.split("/", 1)[0] in LOCAL_ONLY_TOPS
        or name.startswith(LOCAL_ONLY_FILES)
        or re.search(r"(^|/)(local_auth|gateway_auth)[.]", name)
    ]


def test_the_lambda_package_holds_deployed_code_only(built: tuple[str, Any]) -> None:
    with zipfile.ZipFile(built[1].zip) as archive:
        names = archive.namelist()
    assert local_only(names) == []
    # The app's own code in the package is exactly app.py and chalicelib/.
    ours = sorted(
        name for name in names if name.endswith(".py") and name.split("/")[0] in ("app.py", "chalicelib")
    )
    tree = sorted(
        [
            "app.py",
            *(str(path.relative_to(package.ROOT)) for path in (package.ROOT / "chalicelib").glob("*.py")),
        ]
    )
    assert ours == tree


def test_local_only_code_in_a_package_is_named() -> None:
    names = [
        "app.py",
        "chalicelib/notes.py",
        "chalice/app.py",
        "local_stack/gateway_auth.py",
        "chalice/local.py",
        "chalicelib/local_auth.py",
        "infra/description.py",
        "pynamodb/models.py",
    ]
    assert local_only(names) == [
        "local_stack/gateway_auth.py",
        "chalice/local.py",
        "chalicelib/local_auth.py",
        "infra/description.py",
    ]


def test_every_module_of_the_lambda_package_is_compiled_for_its_runtime(built: tuple[str, Any]) -> None:
    assert built[1].bytecode
    runtime = json.loads(built[1].template.read_text())["Resources"]["APIHandler"]["Properties"]["Runtime"]
    tag = "cpython-" + runtime.removeprefix("python").replace(".", "")
    with zipfile.ZipFile(built[1].zip) as archive:
        names = set(archive.namelist())
        modules = sorted(name for name in names if name.endswith(".py"))
        missing = [
            name
            for name in modules
            if f"{name.rpartition('/')[0]}/__pycache__/{Path(name).stem}.{tag}.pyc".lstrip("/") not in names
        ]
        assert modules and not missing
        # PEP 552: hash-based and unchecked (flags 0b01), so no source timestamps are compared.
        header = archive.read(f"__pycache__/app.{tag}.pyc")[:8]
        assert int.from_bytes(header[4:8], "little") == 0b01


def test_the_packaged_bytecode_holds_no_docstrings(built: tuple[str, Any]) -> None:
    # A docstring is read by nothing in the function, and costs bytes in the zip and at each cold start.
    runtime = json.loads(built[1].template.read_text())["Resources"]["APIHandler"]["Properties"]["Runtime"]
    tag = "cpython-" + runtime.removeprefix("python").replace(".", "")
    with zipfile.ZipFile(built[1].zip) as archive:
        source = archive.read("chalicelib/stream_records.py").decode()
        # Bytecode this test suite just made: its code object, after the 16 bytes of header.
        compiled = marshal.loads(archive.read(f"chalicelib/__pycache__/stream_records.{tag}.pyc")[16:])  # noqa: S302
    documented = ast.parse(source)
    module_doc = ast.get_docstring(documented, clean=False)
    record = next(node for node in documented.body if isinstance(node, ast.ClassDef))
    assert module_doc and ast.get_docstring(record, clean=False)  # the sources keep them
    strings = _strings(compiled)
    assert module_doc not in strings and ast.get_docstring(record, clean=False) not in strings
    assert "eventName" in strings  # the code's own strings are there


def _strings(code: types.CodeType) -> set[str]:
    """Every string constant of ``code`` and the code objects within it."""
    found: set[str] = set()
    for constant in code.co_consts:
        if isinstance(constant, str):
            found.add(constant)
        elif isinstance(constant, types.CodeType):
            found |= _strings(constant)
    return found


def test_bytecode_chalice_copies_from_the_working_tree_is_replaced(tmp_path: Path) -> None:
    # What chalice package makes of a working tree that holds bytecode of its own.
    tag = sys.implementation.cache_tag
    made = tmp_path / "deployment.zip"
    with zipfile.ZipFile(made, "w") as archive:
        archive.writestr("chalicelib/notes.py", "NOTE = 1\n")
        archive.writestr(f"chalicelib/__pycache__/notes.{tag}.pyc", b"stale bytecode")
        archive.writestr("botocore/__init__.py", "")
    package._slim(made, bytecode=True)
    with zipfile.ZipFile(made) as archive:
        names = archive.namelist()
        compiled = archive.read(f"chalicelib/__pycache__/notes.{tag}.pyc")
    assert sorted(names) == ["chalicelib/__pycache__/notes." + tag + ".pyc", "chalicelib/notes.py"]
    assert compiled != b"stale bytecode" and compiled[:4] == importlib.util.MAGIC_NUMBER


def test_a_package_without_bytecode_is_sources_only(tmp_path: Path) -> None:
    built = package.package("dev", tmp_path, bytecode=False)
    with zipfile.ZipFile(built.zip) as archive:
        assert not [name for name in archive.namelist() if name.endswith(".pyc")]
    assert not built.bytecode


def test_locally_provisioned_pool_matches_the_template(aws: Any, cfn: dict[str, Any]) -> None:
    stage = "dev"
    made = provision(stage, aws_client("cognito-idp"), aws_client("dynamodb"), aws_client("s3"))
    pool = aws_client("cognito-idp").describe_user_pool(UserPoolId=made.user_pool_id)["UserPool"]
    rendered = template.merge_template(stage)["Resources"]["UserPool"]["Properties"]
    for name, value in rendered.items():
        if name == "UserPoolName":
            assert pool["Name"] == value
        elif name == "Policies":
            assert {k: pool[name]["PasswordPolicy"][k] for k in value["PasswordPolicy"]} == value[
                "PasswordPolicy"
            ]
        else:
            assert pool[name] == value, name
    client = aws_client("cognito-idp").describe_user_pool_client(
        UserPoolId=made.user_pool_id, ClientId=made.user_pool_client_id
    )["UserPoolClient"]
    rendered_client = template.merge_template(stage)["Resources"]["UserPoolClient"]["Properties"]
    assert "ClientSecret" not in client
    for name in ("ExplicitAuthFlows", "AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity"):
        assert client[name] == rendered_client[name], name


def test_locally_provisioned_tables_match_the_template(aws: Any) -> None:
    stage = "dev"
    provision(stage, aws_client("cognito-idp"), aws_client("dynamodb"), aws_client("s3"))
    dynamodb = aws_client("dynamodb")
    rendered = template.merge_template(stage)["Resources"]
    tables = (
        "NotesTable",
        "SearchTable",
        "TrashTable",
        "AccountTable",
        "ChangesTable",
        "ConnectionsTable",
        "VersionsTable",
        "SharesTable",
    )
    for name in tables:
        props = rendered[name]["Properties"]
        local = dynamodb.describe_table(TableName=props["TableName"])["Table"]
        assert local["KeySchema"] == props["KeySchema"], name
        assert sorted(local["AttributeDefinitions"], key=str) == sorted(
            props["AttributeDefinitions"], key=str
        )
        for kind in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
            assert [
                (index["IndexName"], index["KeySchema"], index["Projection"]) for index in local.get(kind, [])
            ] == [
                (index["IndexName"], index["KeySchema"], index["Projection"]) for index in props.get(kind, [])
            ], (name, kind)
        stream = local.get("StreamSpecification", {})
        assert stream.get("StreamViewType") == props.get("StreamSpecification", {}).get("StreamViewType"), (
            name
        )
        ttl = dynamodb.describe_time_to_live(TableName=props["TableName"])["TimeToLiveDescription"]
        if "TimeToLiveSpecification" in props:
            assert ttl["TimeToLiveStatus"] == "ENABLED", name
            assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"], name
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED", name
    # Every table of the stack is one the local stack makes.
    assert {n for n, r in rendered.items() if r.get("Type") == "AWS::DynamoDB::Table"} == set(tables)


def test_locally_provisioned_bucket_matches_the_template(aws: Any) -> None:
    stage, origin = "dev", "https://notes.example"
    made = provision(
        stage, aws_client("cognito-idp"), aws_client("dynamodb"), aws_client("s3"), web_origins=(origin,)
    )
    s3 = aws_client("s3")
    rendered = template.merge_template(stage)["Resources"]
    props = rendered["AttachmentsBucket"]["Properties"]

    local_rules = s3.get_bucket_lifecycle_configuration(Bucket=made.bucket_name)["Rules"]
    assert [
        (
            rule["Status"],
            rule["Filter"]["Prefix"],
            rule["Expiration"]["Days"],
            rule.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation"),
        )
        for rule in local_rules
    ] == [
        (
            rule["Status"],
            rule["Prefix"],
            rule["ExpirationInDays"],
            rule.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation"),
        )
        for rule in props["LifecycleConfiguration"]["Rules"]
    ]

    # The same rules, for each stage's web app: the local page's origin, the deployed distribution's.
    local_cors = s3.get_bucket_cors(Bucket=made.bucket_name)["CORSRules"]
    assert [rule["AllowedOrigins"] for rule in local_cors] == [[origin]]
    assert [rule["AllowedOrigins"] for rule in props["CorsConfiguration"]["CorsRules"]] == [[WEB_ORIGIN]]
    assert [
        (
            sorted(rule["AllowedMethods"]),
            rule["AllowedHeaders"],
            rule["ExposeHeaders"],
            rule["MaxAgeSeconds"],
        )
        for rule in local_cors
    ] == [
        (
            sorted(rule["AllowedMethods"]),
            rule["AllowedHeaders"],
            rule["ExposedHeaders"],
            rule["MaxAge"],
        )
        for rule in props["CorsConfiguration"]["CorsRules"]
    ]

    local_encryption = s3.get_bucket_encryption(Bucket=made.bucket_name)["ServerSideEncryptionConfiguration"]
    assert [
        (rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], rule["BucketKeyEnabled"])
        for rule in local_encryption["Rules"]
    ] == [
        (rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"], rule["BucketKeyEnabled"])
        for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    ]

    local_block = s3.get_public_access_block(Bucket=made.bucket_name)["PublicAccessBlockConfiguration"]
    assert local_block == props["PublicAccessBlockConfiguration"]

    # The one difference: the emulator's bucket has no policy. The deployed one refuses every
    # request not made over TLS, and the emulator speaks plain HTTP on loopback, so provision
    # leaves it out (local_stack/provisioning.py); the template's is checked on its own above.
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=made.bucket_name)
    rendered_policy = rendered["AttachmentsBucketPolicy"]["Properties"]["PolicyDocument"]
    assert rendered_policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TLSOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [BUCKET_ARN, {"Fn::Join": ["", [BUCKET_ARN, "/*"]]}],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


@pytest.mark.parametrize(
    ("stage", "protection"), [("local", "INACTIVE"), ("dev", "INACTIVE"), ("prod", "ACTIVE")]
)
def test_the_local_stage_has_the_deployed_pool_settings(stage: str, protection: str) -> None:
    assert description.user_pool(stage) == {
        "PoolName": f"notes-{stage}-users",
        "DeletionProtection": protection,
        "UsernameAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "AutoVerifiedAttributes": ["email"],
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
        "MfaConfiguration": "OFF",
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": 12,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
                "RequireUppercase": True,
                "TemporaryPasswordValidityDays": 7,
            }
        },
    }
    assert description.user_pool_client(stage) == {
        "ClientName": f"notes-{stage}-web",
        "GenerateSecret": False,
        "ExplicitAuthFlows": [
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
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


def test_only_deployed_stages_package() -> None:
    with pytest.raises(RuntimeError, match="STAGE=local"):
        package.package("local")


# ---- operations: throttling, alarms, the function's architecture and logs ---------------------


def test_the_api_is_throttled_per_stage_before_the_function_runs(
    built: tuple[str, Any], cfn: dict[str, Any]
) -> None:
    stage = built[0]
    api = cfn["Resources"]["RestAPI"]["Properties"]
    # Requests a second and at once: dev's defaults, prod's from .chalice/config.json.
    rate, burst = {"dev": (20, 40), "prod": (100, 200)}[stage]
    assert api["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": rate,
            "ThrottlingBurstLimit": burst,
        }
    ]
    assert api["Name"] == f"notes-{stage}"
    # A 429 is one of API Gateway's 4xx answers: a browser can read it.
    assert (
        "Access-Control-Allow-Origin"
        in api["GatewayResponses"]["DEFAULT_4XX"]["ResponseParameters"]["Headers"]
    )


ALARM_METRICS = {
    "Api5xxRateAlarm": ("AWS/ApiGateway", "5XXError", "Average", 0.05),
    "FunctionErrorsAlarm": ("AWS/Lambda", "Errors", "Sum", 0),
    "FunctionThrottlesAlarm": ("AWS/Lambda", "Throttles", "Sum", 0),
    "IndexerErrorsAlarm": ("AWS/Lambda", "Errors", "Sum", 0),
    # The search promise: found 2 seconds after the write.
    "IndexerLagAlarm": ("AWS/Lambda", "IteratorAge", "Maximum", 2000),
    "FollowerErrorsAlarm": ("AWS/Lambda", "Errors", "Sum", 0),
    # The feed's promise: a write in the feed 2 seconds after it was answered.
    "FollowerLagAlarm": ("AWS/Lambda", "IteratorAge", "Maximum", 2000),
    "WsConnectErrorsAlarm": ("AWS/Lambda", "Errors", "Sum", 0),
    "WsMessageErrorsAlarm": ("AWS/Lambda", "Errors", "Sum", 0),
    "PurgeErrorsAlarm": ("AWS/Lambda", "Errors", "Sum", 0),
    "JobsErrorsAlarm": ("AWS/Lambda", "Errors", "Sum", 0),
}
ALARM_FUNCTIONS = {
    "Indexer": "IndexNotes",
    "Follower": "FollowChanges",
    "WsConnect": "WebsocketConnect",
    "WsMessage": "WebsocketMessage",
    "Purge": "PurgeTrash",
    "Jobs": "RunJobs",
    "Function": "APIHandler",
}


@pytest.mark.parametrize("name", sorted(ALARM_METRICS))
def test_each_alarm_watches_its_metric_and_notifies_the_topic(
    built: tuple[str, Any], cfn: dict[str, Any], name: str
) -> None:
    stage = built[0]
    alarm = cfn["Resources"][name]
    props = alarm["Properties"]
    namespace, metric, statistic, threshold = ALARM_METRICS[name]
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (namespace, metric, statistic)
    assert (props["Threshold"], props["ComparisonOperator"]) == (threshold, "GreaterThanThreshold")
    assert (props["Period"], props["EvaluationPeriods"], props["TreatMissingData"]) == (
        300,
        1,
        "notBreaching",
    )
    assert props["AlarmActions"] == props["OKActions"] == [{"Ref": "AlarmTopic"}]
    dimensions = {d["Name"]: d["Value"] for d in props["Dimensions"]}
    if namespace == "AWS/Lambda":
        (function,) = [f for prefix, f in ALARM_FUNCTIONS.items() if name.startswith(prefix)]
        assert dimensions == {"FunctionName": {"Ref": function}}
    else:
        assert dimensions == {"ApiName": f"notes-{stage}", "Stage": "api"}
    assert props["AlarmDescription"]


def test_the_table_throttles_alarm_adds_read_and_write_throttle_events(cfn: dict[str, Any]) -> None:
    props = cfn["Resources"]["TableThrottlesAlarm"]["Properties"]
    metrics = {m["Id"]: m for m in props["Metrics"]}
    for id_, name in (("reads", "ReadThrottleEvents"), ("writes", "WriteThrottleEvents")):
        stat = metrics[id_]["MetricStat"]
        assert (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], stat["Stat"]) == (
            "AWS/DynamoDB",
            name,
            "Sum",
        )
        assert stat["Metric"]["Dimensions"] == [{"Name": "TableName", "Value": {"Ref": "NotesTable"}}]
        assert metrics[id_]["ReturnData"] is False
    assert metrics["throttled"] == {"Id": "throttled", "Expression": "reads + writes", "ReturnData": True}
    assert (props["Threshold"], props["AlarmActions"]) == (0, [{"Ref": "AlarmTopic"}])


def test_the_alarm_topic_has_no_subscriber_unless_configured(cfn: dict[str, Any]) -> None:
    topic = cfn["Resources"]["AlarmTopic"]
    assert topic["Type"] == "AWS::SNS::Topic"
    assert "Subscription" not in topic["Properties"]
    assert cfn["Outputs"]["AlarmTopicArn"] == {"Value": {"Ref": "AlarmTopic"}}


def test_an_alarm_email_subscribes_to_the_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALARM_EMAIL", "ops@example.com")
    merged = template.merge_template("dev", package.stage_operations("dev"))
    subscription = merged["Resources"]["AlarmTopic"]["Properties"]["Subscription"]
    assert subscription == [{"Protocol": "email", "Endpoint": "ops@example.com"}]


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"throttle_rate_limit": 0}, "throttle_rate_limit"),
        ({"throttle_burst_limit": 2.5}, "throttle_burst_limit"),
        ({"alarm_email": "not an address"}, "alarm_email"),
        ({"throttle": 5}, "throttle"),
    ],
)
def test_a_bad_operations_setting_is_refused_by_name(given: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        description.operations("prod", given)


def test_the_function_runs_on_arm64_and_its_logs_are_kept(
    built: tuple[str, Any], cfn: dict[str, Any]
) -> None:
    stage = built[0]
    assert cfn["Resources"]["APIHandler"]["Properties"]["Architectures"] == ["arm64"]
    group = cfn["Resources"]["ApiHandlerLogGroup"]
    assert group["Properties"]["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${APIHandler}"}
    assert group["Properties"]["RetentionInDays"] == {"dev": 30, "prod": 90}[stage]


def test_the_package_is_pure_python_so_it_runs_on_arm64(built: tuple[str, Any]) -> None:
    compiled = (".so", ".pyd", ".dylib", ".dll")
    with zipfile.ZipFile(built[1].zip) as archive:
        names = archive.namelist()
    assert names and not [name for name in names if name.endswith(compiled) or ".so." in name]
    wheels = sorted(path.name for path in package.WHEELS.glob("*.whl"))
    assert wheels and all(name.endswith("-none-any.whl") for name in wheels), wheels
