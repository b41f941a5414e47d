"""Render a deployed stage's resources as CloudFormation, merged into Chalice's own template.

``chalice package --merge-template`` deep-merges this document into the
template Chalice generates (dictionaries are merged, anything else replaced),
so besides adding the pool, its client, the tables, the attachments bucket and the
web app's hosting (a private bucket behind CloudFront), it rewires what Chalice can
only fill with import-time strings: the authorizer's provider ARN, each function's
environment and its role's policy, each by reference to the resources of the same
stack, and gives the stream functions their event sources. ``bind_preflight_origin``
then sets the web app's origin on the OPTIONS methods Chalice generates, which a merge
cannot reach without knowing every path.

A stage's auth (``description.Auth``) chooses what of Cognito is made. ID-token mode: the
pool and its password client. Scoped mode: the pool, its domain (the sign-in pages), the
resource server with the read and the write scope, and the three OAuth clients, each made
after the resource server (a client naming a scope that does not exist yet fails). A stage
naming an existing pool makes none of it: the authorizer and the function name that pool and
its clients.

The web app's origin, ``https://<the distribution's domain>``, is the only one the
API and the attachments bucket allow. So the API, the function and the bucket
depend on the distribution, and the distribution depends on none of them: its
content security policy names the API and the bucket by their region's host
patterns, not by reference (a reference would close a circle).

``infra/description.py`` describes the bucket in the shapes of the S3 API calls
that configure it (what the local stack applies); the functions below rename
those shapes to CloudFormation's property names, and refuse any field they do
not know rather than leave it out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from chalicelib import stream_consumers as consumers
from chalicelib.tables import ACCOUNT, NOTES, SEARCH, TABLES, TRASH, Table, time_to_live
from infra import description

USER_POOL = "UserPool"
USER_POOL_CLIENT = "UserPoolClient"  # ID-token mode's password client
# Scoped mode.
USER_POOL_DOMAIN = "UserPoolDomain"
RESOURCE_SERVER = "UserPoolResourceServer"
OAUTH_CLIENT_RESOURCES = {"web": "WebClient", "cli": "CliClient", "readOnly": "ReadOnlyClient"}
OAUTH_CLIENT_OUTPUTS = {kind: f"{name}Id" for kind, name in OAUTH_CLIENT_RESOURCES.items()}
AUTH_DOMAIN_OUTPUT = "AuthDomain"
AUTH_MODE_OUTPUT = "AuthMode"
# The classic hosted UI: it works on every feature plan of a pool, Lite included; managed login
# (version 2) needs Essentials or Plus and a branding resource per client (docs/deploying.md).
MANAGED_LOGIN_VERSION = 1
# Where Cognito serves a prefix's sign-in pages and OAuth endpoints (for Fn::Sub).
COGNITO_DOMAIN = "https://{prefix}.auth.${{AWS::Region}}.amazoncognito.com"
TABLE = "NotesTable"
SEARCH_TABLE = "SearchTable"
# The search indexer, Chalice's ``index_notes`` lambda function, and the role Chalice gives it.
INDEXER = "IndexNotes"
INDEXER_ROLE = "IndexNotesRole"
INDEXER_LOG_GROUP = "IndexNotesLogGroup"
# Records of the notes table's stream per invocation, as the local stack delivers them.
INDEXER_BATCH_SIZE = 100
INDEXER_RETRIES = 10
# The trash (a table of its own) and the purge function, Chalice's ``purge_trash``: the trash
# table's stream hands it the items DynamoDB's TTL removed, and only those.
TRASH_TABLE = "TrashTable"
PURGER = "PurgeTrash"
PURGER_ROLE = "PurgeTrashRole"
PURGER_LOG_GROUP = "PurgeTrashLogGroup"
PURGER_BATCH_SIZE = 100
PURGER_RETRIES = 10
# The account table and the jobs function, Chalice's ``run_jobs``: each new item of the table (an
# export asked for, an account to delete) is one job, one record per invocation, up to ten at a
# time per shard; its timeout and memory are its own (.chalice/config.json, lambda_functions).
ACCOUNT_TABLE = "AccountTable"
JOBS = "RunJobs"
JOBS_ROLE = "RunJobsRole"
JOBS_LOG_GROUP = "RunJobsLogGroup"
JOBS_BATCH_SIZE = 1
JOBS_PARALLELIZATION = 10
JOBS_RETRIES = 10
# Each of the stage's tables (chalicelib.tables), by key: its resource.
TABLE_RESOURCES = {
    NOTES.key: TABLE,
    SEARCH.key: SEARCH_TABLE,
    TRASH.key: TRASH_TABLE,
    ACCOUNT.key: ACCOUNT_TABLE,
}
BUCKET = "AttachmentsBucket"
BUCKET_POLICY = "AttachmentsBucketPolicy"
# ACLs disabled: the bucket owns every object, whoever uploaded it.
OBJECT_OWNERSHIP = "BucketOwnerEnforced"
# Names in Chalice's generated template (chalice package, CloudFormation format).
API = "RestAPI"
FUNCTION = "APIHandler"
ROLE = "ApiHandlerRole"
AUTHORIZER = "NotesUserPool"
CORS_HEADERS = "'Authorization,Content-Type,If-Match,X-Confirm-Delete'"
# The web app.
WEB_BUCKET = "WebBucket"
WEB_BUCKET_POLICY = "WebBucketPolicy"
WEB_ORIGIN_ACCESS = "WebOriginAccessControl"
WEB_HEADERS_POLICY = "WebResponseHeadersPolicy"
WEB_DISTRIBUTION = "WebDistribution"
WEB_ORIGIN_ID = "web-bucket"
WEB_ORIGIN = "https://${WebDistribution.DomainName}"  # for Fn::Sub
# The stage name of Chalice's API (api_gateway_stage in .chalice/config.json).
API_STAGE = "api"
API_URL = f"https://${{{API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{API_STAGE}"
# CloudFront's managed cache policies.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
PREFLIGHT_ORIGIN = "method.response.header.Access-Control-Allow-Origin"
# Operations: the alarms and where they go.
ALARM_TOPIC = "AlarmTopic"
# Chalice makes the function's log group from log_retention_in_days, but names the function
# "ApiHandler" in it where the function is "APIHandler": the merge puts the right reference.
LOG_GROUP = "ApiHandlerLogGroup"
ALARMS = (
    "Api5xxRateAlarm",
    "FunctionErrorsAlarm",
    "FunctionThrottlesAlarm",
    "TableThrottlesAlarm",
    "IndexerErrorsAlarm",
    "IndexerLagAlarm",
    "PurgeErrorsAlarm",
    "JobsErrorsAlarm",
)


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


def _sub(text: str) -> Any:
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


def _cognito(stage: str, auth: description.Auth) -> dict[str, Any]:
    """The Cognito resources the stage makes: none for an existing pool."""
    if auth.existing_pool:
        return {}
    if not auth.scoped:
        return {USER_POOL: _user_pool(stage), USER_POOL_CLIENT: _user_pool_client(stage)}
    resources: dict[str, Any] = {
        USER_POOL: _user_pool(stage),
        USER_POOL_DOMAIN: {
            "Type": "AWS::Cognito::UserPoolDomain",
            "Properties": {
                "UserPoolId": {"Ref": USER_POOL},
                "Domain": _sub(domain_prefix(stage, auth)),
                "ManagedLoginVersion": MANAGED_LOGIN_VERSION,
            },
        },
        RESOURCE_SERVER: {
            "Type": "AWS::Cognito::UserPoolResourceServer",
            "Properties": {**description.resource_server(stage), "UserPoolId": {"Ref": USER_POOL}},
        },
    }
    for kind in description.OAUTH_CLIENTS:
        resources[OAUTH_CLIENT_RESOURCES[kind]] = _oauth_client(stage, kind)
    return resources


def _pool_arn(auth: description.Auth) -> Any:
    return auth.user_pool_arn or {"Fn::GetAtt": [USER_POOL, "Arn"]}


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


def _client_ids(auth: description.Auth) -> Any:
    """``COGNITO_APP_CLIENT_IDS``: the clients whose tokens the API takes."""
    if auth.client_ids is not None:
        return ",".join(auth.client_ids[kind] for kind in description.EXISTING_POOL_CLIENTS[auth.mode])
    if not auth.scoped:
        return {"Ref": USER_POOL_CLIENT}
    return {"Fn::Join": [",", [{"Ref": OAUTH_CLIENT_RESOURCES[kind]} for kind in description.OAUTH_CLIENTS]]}


def _function_auth(auth: description.Auth) -> dict[str, Any]:
    """The function's auth environment: the pool, its clients and, scoped, the two scopes."""
    variables: dict[str, Any] = {
        "COGNITO_USER_POOL_ARN": _pool_arn(auth),
        "COGNITO_APP_CLIENT_IDS": _client_ids(auth),
    }
    if auth.scoped:
        variables["COGNITO_READ_SCOPES"] = description.READ_SCOPE
        variables["COGNITO_WRITE_SCOPES"] = description.WRITE_SCOPE
    return variables


def _auth_outputs(stage: str, auth: description.Auth) -> dict[str, Any]:
    """What a client needs of the stage's pool: its id, the mode and the mode's clients (and,
    scoped, the sign-in domain)."""
    outputs: dict[str, Any] = {
        "UserPoolId": {"Value": auth.user_pool_id or {"Ref": USER_POOL}},
        AUTH_MODE_OUTPUT: {"Value": auth.mode},
    }
    if not auth.scoped:
        client = auth.client_ids["password"] if auth.client_ids else {"Ref": USER_POOL_CLIENT}
        outputs["UserPoolClientId"] = {"Value": client}
        return outputs
    outputs[AUTH_DOMAIN_OUTPUT] = {"Value": _sub(auth_domain(stage, auth) or "")}
    for kind in description.OAUTH_CLIENTS:
        client = auth.client_ids[kind] if auth.client_ids else {"Ref": OAUTH_CLIENT_RESOURCES[kind]}
        outputs[OAUTH_CLIENT_OUTPUTS[kind]] = {"Value": client}
    return outputs


def _table(stage: str, table: Table) -> dict[str, Any]:
    """The resource of the stage's ``table``: the search index goes with the stack (``make reindex``
    makes it again from the notes); every other table holds users' data and is kept."""
    shape = description.create_table(stage, table)
    if table is SEARCH:
        return {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {**shape, "SSESpecification": {"SSEEnabled": True}},
        }
    return _retained_table(shape, table.ttl_attribute)


def _retained_table(shape: dict[str, Any], ttl_attribute: str | None = None) -> dict[str, Any]:
    """A table of users' data from its CreateTable ``shape`` (and, given ``ttl_attribute``, its
    time to live): on-demand, point-in-time recovery, encrypted, with its stream, kept when the
    stack is deleted or the table replaced."""
    properties = {
        **shape,
        # CloudFormation's stream property has no StreamEnabled: a view type turns it on.
        "StreamSpecification": {"StreamViewType": shape["StreamSpecification"]["StreamViewType"]},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    if ttl_attribute is not None:
        properties["TimeToLiveSpecification"] = time_to_live(ttl_attribute)
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def _function_environment(auth: description.Auth) -> dict[str, Any]:
    """What every function of the app reads at start (chalicelib.settings): the API, the indexer,
    the purge and the jobs function."""
    return {
        **{table.variable: {"Ref": TABLE_RESOURCES[table.key]} for table in TABLES},
        **_function_auth(auth),
        "NOTES_BUCKET_NAME": {"Ref": BUCKET},
        "CORS_ALLOW_ORIGIN": {"Fn::Sub": WEB_ORIGIN},
    }


def _indexer(auth: description.Auth) -> dict[str, Any]:
    """The indexer function invoked by the notes table's stream: in order per note, from the oldest
    record kept, a failed batch split in halves and retried, then left to make reindex."""
    return _stream_function(
        auth,
        "NotesStream",
        consumers.INDEXER,
        BatchSize=INDEXER_BATCH_SIZE,
        MaximumRetryAttempts=INDEXER_RETRIES,
    )


def _stream_function(
    auth: description.Auth, event: str, consumer: consumers.Consumer[Any], **properties: Any
) -> dict[str, Any]:
    """A stream function's properties: the app's environment, and one ``event``, its table's stream
    (``_stream_source``), read without waiting for a batch to fill, a failed batch split in halves
    and retried; ``properties``, the mapping's others."""
    source = _stream_source(
        consumer, MaximumBatchingWindowInSeconds=0, BisectBatchOnFunctionError=True, **properties
    )
    return {
        "Properties": {"Environment": {"Variables": _function_environment(auth)}, "Events": {event: source}}
    }


def filter_criteria(consumer: consumers.Consumer[Any]) -> dict[str, Any]:
    """An event source mapping's FilterCriteria: only the records matching one of the patterns
    ``consumer`` declares (Lambda's event filtering)."""
    return {
        "Filters": [{"Pattern": json.dumps(pattern, separators=(",", ":"))} for pattern in consumer.patterns]
    }


def _stream_source(consumer: consumers.Consumer[Any], **properties: Any) -> dict[str, Any]:
    """The event source of ``consumer``'s function: its table's stream, from the oldest record
    kept, with the filter it declares (none: every record); ``properties``, the mapping's others."""
    source = {
        "Stream": {"Fn::GetAtt": [TABLE_RESOURCES[consumer.table.key], "StreamArn"]},
        "StartingPosition": "TRIM_HORIZON",
        **properties,
    }
    if consumer.patterns:
        source["FilterCriteria"] = filter_criteria(consumer)
    return {"Type": "DynamoDB", "Properties": source}


def _purger(auth: description.Auth) -> dict[str, Any]:
    """The purge function invoked by the trash table's stream with the items DynamoDB's TTL
    deleted, and no other record (a restore or a delete for good is the API's, which deletes the
    file itself): a failed batch split in halves and retried."""
    return _stream_function(
        auth,
        "TrashStream",
        consumers.PURGER,
        BatchSize=PURGER_BATCH_SIZE,
        MaximumRetryAttempts=PURGER_RETRIES,
    )


def _jobs(auth: description.Auth) -> dict[str, Any]:
    """The jobs function invoked by the account table's stream with each new item, one at a time
    (a job may take minutes), up to ten at once per shard, a failed one retried."""
    return _stream_function(
        auth,
        "AccountStream",
        consumers.JOBS,
        BatchSize=JOBS_BATCH_SIZE,
        ParallelizationFactor=JOBS_PARALLELIZATION,
        MaximumRetryAttempts=JOBS_RETRIES,
    )


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


def _bucket_cors(origin: Any) -> dict[str, Any]:
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


def _private_bucket() -> dict[str, Any]:
    """What every bucket of the stack has: no public access, encryption, no ACLs."""
    return {
        "PublicAccessBlockConfiguration": dict(description.PUBLIC_ACCESS_BLOCK),
        "BucketEncryption": _bucket_encryption(),
        "OwnershipControls": {"Rules": [{"ObjectOwnership": OBJECT_OWNERSHIP}]},
    }


def _bucket(web_origin: Any) -> dict[str, Any]:
    # No BucketName: bucket names are global, so CloudFormation makes one up for each stack.
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **_private_bucket(),
            "CorsConfiguration": _bucket_cors(web_origin),
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


def _objects_under(*prefixes: str) -> list[dict[str, str]]:
    return [{"Fn::Sub": f"${{{BUCKET}.Arn}}/{prefix}*"} for prefix in prefixes]


def _with_indexes(table: str) -> list[dict[str, Any]]:
    """A table's ARN and its indexes' (a Query of an index is allowed on the index's ARN)."""
    return [{"Fn::GetAtt": [table, "Arn"]}, {"Fn::Sub": f"${{{table}.Arn}}/index/*"}]


def _allow(actions: tuple[str, ...], resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


def role_policy(auth: description.Auth | None = None) -> dict[str, Any]:
    """The API function's only permissions: its table's item and query actions, querying the
    search index, the trash's and the account table's actions it uses, reading, writing and
    deleting the bucket's objects under the two attachment prefixes, reading the exports, looking
    a user up in the pool (``auth``'s, by default the stack's own), and its logs."""
    pool = _pool_arn(auth or description.Auth())
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow(description.TABLE_ACTIONS, {"Fn::GetAtt": [TABLE, "Arn"]}),
            _allow(description.SEARCH_TABLE_ACTIONS, {"Fn::GetAtt": [SEARCH_TABLE, "Arn"]}),
            _allow(description.TRASH_TABLE_ACTIONS, _with_indexes(TRASH_TABLE)),
            _allow(description.ACCOUNT_TABLE_ACTIONS, {"Fn::GetAtt": [ACCOUNT_TABLE, "Arn"]}),
            _allow(description.BUCKET_OBJECT_ACTIONS, _objects_under(*description.object_prefixes())),
            _allow(description.EXPORT_READ_ACTIONS, _objects_under(description.EXPORTS_PREFIX)),
            _allow(description.API_USER_POOL_ACTIONS, pool),
            _logs_statement(),
        ],
    }


def purger_policy() -> dict[str, Any]:
    """The purge function's only permissions: reading the trash table's stream, deleting files,
    its logs. It writes no table."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow(description.STREAM_ACTIONS, {"Fn::GetAtt": [TRASH_TABLE, "StreamArn"]}),
            _allow(description.PURGE_OBJECT_ACTIONS, _objects_under(description.FILES_PREFIX)),
            _logs_statement(),
        ],
    }


def jobs_policy(auth: description.Auth | None = None) -> dict[str, Any]:
    """The jobs function's only permissions: reading the account table's stream; the item,
    query and batch write actions on the stage's four tables (and the trash's index); listing
    the bucket, reading files, writing exports and deleting a user's objects under the three
    prefixes; deleting and looking up users of the pool (``auth``'s); its logs."""
    pool = _pool_arn(auth or description.Auth())
    tables = [
        {"Fn::GetAtt": [TABLE, "Arn"]},
        *_with_indexes(TRASH_TABLE),
        {"Fn::GetAtt": [SEARCH_TABLE, "Arn"]},
        {"Fn::GetAtt": [ACCOUNT_TABLE, "Arn"]},
    ]
    uploads, files = description.object_prefixes()
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow(description.STREAM_ACTIONS, {"Fn::GetAtt": [ACCOUNT_TABLE, "StreamArn"]}),
            _allow(description.JOBS_TABLE_ACTIONS, tables),
            _allow(description.JOBS_BUCKET_ACTIONS, {"Fn::GetAtt": [BUCKET, "Arn"]}),
            _allow(description.JOBS_READ_ACTIONS, _objects_under(files)),
            _allow(description.JOBS_WRITE_ACTIONS, _objects_under(description.EXPORTS_PREFIX)),
            _allow(
                description.JOBS_DELETE_ACTIONS, _objects_under(files, uploads, description.EXPORTS_PREFIX)
            ),
            _allow(description.JOBS_USER_POOL_ACTIONS, pool),
            _logs_statement(),
        ],
    }


def indexer_policy() -> dict[str, Any]:
    """The indexer's only permissions: reading the notes table's stream, writing the index, its logs."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": list(description.STREAM_ACTIONS),
                "Resource": {"Fn::GetAtt": [TABLE, "StreamArn"]},
            },
            {
                "Effect": "Allow",
                "Action": list(description.INDEX_WRITE_ACTIONS),
                "Resource": {"Fn::GetAtt": [SEARCH_TABLE, "Arn"]},
            },
            _logs_statement(),
        ],
    }


def _logs_statement() -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"},
    }


def _gateway_responses() -> dict[str, Any]:
    # Without these, a browser cannot read API Gateway's own 401/403/5xx answers.
    headers = {
        "Access-Control-Allow-Origin": {"Fn::Sub": f"'{WEB_ORIGIN}'"},
        "Access-Control-Allow-Headers": CORS_HEADERS,
    }
    return {kind: {"ResponseParameters": {"Headers": headers}} for kind in ("DEFAULT_4XX", "DEFAULT_5XX")}


def _web_bucket() -> dict[str, Any]:
    # Deleted with the stack: it holds only what make deploy uploads from web/, which make deploy
    # uploads again (make destroy empties it first, as CloudFormation deletes only empty buckets).
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": _private_bucket(),
    }


def _web_bucket_policy() -> dict[str, Any]:
    """Only the stack's distribution reads the web bucket, through its origin access control;
    every request not over TLS is refused."""
    arn = {"Fn::GetAtt": [WEB_BUCKET, "Arn"]}
    document = description.bucket_policy(arn)
    document["Statement"].append(
        {
            "Sid": "OnlyTheDistributionReads",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": f"${{{WEB_BUCKET}.Arn}}/*"},
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Sub": f"arn:${{AWS::Partition}}:cloudfront::${{AWS::AccountId}}:"
                        f"distribution/${{{WEB_DISTRIBUTION}}}"
                    }
                }
            },
        }
    )
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {"Bucket": {"Ref": WEB_BUCKET}, "PolicyDocument": document},
    }


def _web_origin_access() -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::OriginAccessControl",
        "Properties": {
            "OriginAccessControlConfig": {
                # Names are unique in the account, across regions.
                "Name": {"Fn::Sub": "${AWS::StackName}-${AWS::Region}-web"},
                "Description": "The web app's distribution reads its bucket, signing every request",
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    }


def content_security_policy(
    auth_domain_url: str | None = None, user_pool_region: str | None = None
) -> dict[str, str]:
    """The deployed page's Content-Security-Policy, as ``Fn::Sub``.

    It names the API and the attachments bucket by their region's host patterns: each of them
    allows the distribution's origin, so naming them by reference here would make the
    distribution depend on them and close a circle. ``auth_domain_url`` (scoped mode: the pool's
    sign-in domain, ``auth_domain``) is named exactly, by its prefix, not by reference;
    ``user_pool_region`` is an existing pool's region, when it is not the stack's.
    """
    suffix = "${AWS::Region}.${AWS::URLSuffix}"
    cognito = f"https://cognito-idp.{user_pool_region}.amazonaws.com" if user_pool_region else None
    policy = description.content_security_policy(
        f"https://*.execute-api.{suffix}",
        cognito or f"https://cognito-idp.{suffix}",
        ["https://*.s3.${AWS::URLSuffix}", f"https://*.s3.{suffix}"],
        auth_url=auth_domain_url,
    )
    return {"Fn::Sub": policy}


def _security_headers(policy: dict[str, str]) -> dict[str, Any]:
    """``SecurityHeadersConfig``: the content security policy, HSTS, and the web app's security
    headers (``description.WEB_SECURITY_HEADERS``); a header it cannot render is an error."""
    config: dict[str, Any] = {
        "ContentSecurityPolicy": {"ContentSecurityPolicy": policy, "Override": True},
        "StrictTransportSecurity": {
            "AccessControlMaxAgeSec": description.HSTS_MAX_AGE_SECONDS,
            "IncludeSubdomains": True,
            "Preload": False,
            "Override": True,
        },
    }
    for header, value in description.WEB_SECURITY_HEADERS.items():
        if header == "X-Content-Type-Options" and value == "nosniff":
            config["ContentTypeOptions"] = {"Override": True}
        elif header == "X-Frame-Options":
            config["FrameOptions"] = {"FrameOption": value, "Override": True}
        elif header == "Referrer-Policy":
            config["ReferrerPolicy"] = {"ReferrerPolicy": value, "Override": True}
        else:
            raise ValueError(f"web security header {header}: {value!r}: no CloudFront setting for it")
    return config


def _web_headers_policy(policy: dict[str, str]) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::ResponseHeadersPolicy",
        "Properties": {
            "ResponseHeadersPolicyConfig": {
                "Name": {"Fn::Sub": "${AWS::StackName}-${AWS::Region}-web"},
                "Comment": "The web app's security headers",
                "SecurityHeadersConfig": _security_headers(policy),
            }
        },
    }


def _cache_behavior(cache_policy: str) -> dict[str, Any]:
    return {
        "TargetOriginId": WEB_ORIGIN_ID,
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": ["GET", "HEAD"],
        "CachedMethods": ["GET", "HEAD"],
        "Compress": True,
        "CachePolicyId": cache_policy,
        "ResponseHeadersPolicyId": {"Ref": WEB_HEADERS_POLICY},
    }


def _web_distribution() -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::Distribution",
        "Properties": {
            "DistributionConfig": {
                "Enabled": True,
                "Comment": {"Fn::Sub": "${AWS::StackName}: the web app"},
                "DefaultRootObject": description.WEB_INDEX,
                "HttpVersion": "http2and3",
                "IPV6Enabled": True,
                "PriceClass": "PriceClass_100",
                "Origins": [
                    {
                        "Id": WEB_ORIGIN_ID,
                        "DomainName": {"Fn::GetAtt": [WEB_BUCKET, "RegionalDomainName"]},
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                        "OriginAccessControlId": {"Fn::GetAtt": [WEB_ORIGIN_ACCESS, "Id"]},
                    }
                ],
                "DefaultCacheBehavior": _cache_behavior(CACHING_OPTIMIZED),
                # The stage's settings: never kept at the edge, so a deploy changes them at once.
                "CacheBehaviors": [
                    {"PathPattern": f"/{description.WEB_CONFIG}", **_cache_behavior(CACHING_DISABLED)}
                ],
            }
        },
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


def _alarm_topic(email: str | None) -> dict[str, Any]:
    # Not encrypted with the AWS-managed SNS key: CloudWatch alarms cannot publish to a topic
    # that uses it. Alarms carry no user data.
    properties: dict[str, Any] = {"DisplayName": "notes alarms"}
    if email:
        properties["Subscription"] = [{"Protocol": "email", "Endpoint": email}]
    return {"Type": "AWS::SNS::Topic", "Properties": properties}


def _alarm(description_text: str, metric: dict[str, Any], threshold: float) -> dict[str, Any]:
    """An alarm over 5-minute periods that notifies the topic when it fires and when it clears."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description_text,
            **metric,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            # No traffic is not a failure.
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": ALARM_TOPIC}],
            "OKActions": [{"Ref": ALARM_TOPIC}],
        },
    }


def _alarms(stage: str) -> dict[str, Any]:
    period = description.ALARM_PERIOD_SECONDS
    function = [{"Name": "FunctionName", "Value": {"Ref": FUNCTION}}]
    indexer = [{"Name": "FunctionName", "Value": {"Ref": INDEXER}}]
    purger = [{"Name": "FunctionName", "Value": {"Ref": PURGER}}]
    jobs = [{"Name": "FunctionName", "Value": {"Ref": JOBS}}]
    table = [{"Name": "TableName", "Value": {"Ref": TABLE}}]

    def single(namespace: str, name: str, dimensions: list[dict[str, Any]], statistic: str) -> dict[str, Any]:
        return {
            "Namespace": namespace,
            "MetricName": name,
            "Dimensions": dimensions,
            "Statistic": statistic,
            "Period": period,
        }

    def throttle_events(name: str, id_: str) -> dict[str, Any]:
        stat = {
            "Metric": {"Namespace": "AWS/DynamoDB", "MetricName": name, "Dimensions": table},
            "Period": period,
        }
        return {"Id": id_, "MetricStat": {**stat, "Stat": "Sum"}, "ReturnData": False}

    api = [{"Name": "ApiName", "Value": api_name(stage)}, {"Name": "Stage", "Value": API_STAGE}]
    return {
        "Api5xxRateAlarm": _alarm(
            f"More than {description.API_5XX_RATE_THRESHOLD:.0%} of the {stage} API's answers in 5 minutes "
            "were 5xx: read the function's errors (make logs) and the alarms beside this one.",
            single("AWS/ApiGateway", "5XXError", api, "Average"),
            description.API_5XX_RATE_THRESHOLD,
        ),
        "FunctionErrorsAlarm": _alarm(
            f"The {stage} function failed (an error it did not answer, a timeout or a crash): "
            "make logs shows the exception on its request id.",
            single("AWS/Lambda", "Errors", function, "Sum"),
            0,
        ),
        "FunctionThrottlesAlarm": _alarm(
            f"Lambda refused to run the {stage} function (account or function concurrency reached).",
            single("AWS/Lambda", "Throttles", function, "Sum"),
            0,
        ),
        "IndexerErrorsAlarm": _alarm(
            f"The {stage} search indexer failed on a batch of the notes table's stream: Lambda retries "
            "it; make logs shows why. Notes changed meanwhile may not be found until it succeeds.",
            single("AWS/Lambda", "Errors", indexer, "Sum"),
            0,
        ),
        "IndexerLagAlarm": _alarm(
            f"The {stage} search index fell more than {description.INDEX_DELAY_SECONDS} s behind the notes "
            "table: new words are found later than the API promises.",
            single("AWS/Lambda", "IteratorAge", indexer, "Maximum"),
            description.INDEX_DELAY_SECONDS * 1000,
        ),
        "PurgeErrorsAlarm": _alarm(
            f"The {stage} purge function failed on a batch of the trash table's TTL deletions: Lambda "
            "retries it; its log group (output PurgeFunctionName) shows why. The purged notes' files "
            "stay in the bucket until it succeeds.",
            single("AWS/Lambda", "Errors", purger, "Sum"),
            0,
        ),
        "JobsErrorsAlarm": _alarm(
            f"The {stage} jobs function failed on an export or an account deletion (an error, a timeout "
            "or a crash): Lambda retries it; its log group (output JobsFunctionName) shows why. The "
            "export stays pending, or the account's data is not all deleted yet, until it succeeds.",
            single("AWS/Lambda", "Errors", jobs, "Sum"),
            0,
        ),
        "TableThrottlesAlarm": _alarm(
            f"DynamoDB throttled reads or writes of the {stage} notes table; callers got 503s.",
            {
                "Metrics": [
                    throttle_events("ReadThrottleEvents", "reads"),
                    throttle_events("WriteThrottleEvents", "writes"),
                    {"Id": "throttled", "Expression": "reads + writes", "ReturnData": True},
                ]
            },
            0,
        ),
    }


def api_name(stage: str) -> str:
    """The REST API's name, which API Gateway's metrics are keyed by."""
    return f"{description.APP_NAME}-{stage}"


def _throttling(operations: description.Operations) -> list[dict[str, Any]]:
    return [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": operations.throttle_rate_limit,
            "ThrottlingBurstLimit": operations.throttle_burst_limit,
        }
    ]


def merge_template(
    stage: str, operations: description.Operations | None = None, auth: description.Auth | None = None
) -> dict[str, Any]:
    """The document ``chalice package --merge-template`` merges for ``stage``; ``operations``
    defaults to the stage's defaults, ``auth`` to ID-token mode with a pool of the stack's own."""
    if stage not in description.DEPLOYED_STAGES:
        raise ValueError(f"stage {stage!r} is not deployed; deployed stages: {description.DEPLOYED_STAGES}")
    operations = operations or description.operations(stage)
    auth = auth or description.Auth()
    policy = content_security_policy(auth_domain(stage, auth), auth.user_pool_region)
    return {
        "Resources": {
            ALARM_TOPIC: _alarm_topic(operations.alarm_email),
            LOG_GROUP: {
                "Type": "AWS::Logs::LogGroup",
                # The logs go with the stack: a retained group would block making the stack again.
                "DeletionPolicy": "Delete",
                "UpdateReplacePolicy": "Delete",
                "Properties": {"LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{FUNCTION}}}"}},
            },
            # Chalice names the other functions' log groups rightly; like the API's, they go with
            # the stack.
            INDEXER_LOG_GROUP: {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"},
            PURGER_LOG_GROUP: {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"},
            JOBS_LOG_GROUP: {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"},
            **_alarms(stage),
            **_cognito(stage, auth),
            **{TABLE_RESOURCES[table.key]: _table(stage, table) for table in TABLES},
            BUCKET: _bucket({"Fn::Sub": WEB_ORIGIN}),
            BUCKET_POLICY: _bucket_policy(),
            WEB_BUCKET: _web_bucket(),
            WEB_BUCKET_POLICY: _web_bucket_policy(),
            WEB_ORIGIN_ACCESS: _web_origin_access(),
            WEB_HEADERS_POLICY: _web_headers_policy(policy),
            WEB_DISTRIBUTION: _web_distribution(),
            FUNCTION: {"Properties": {"Environment": {"Variables": _function_environment(auth)}}},
            ROLE: {
                "Properties": {
                    "Policies": [
                        {"PolicyName": "NotesTableBucketAndLogs", "PolicyDocument": role_policy(auth)}
                    ]
                }
            },
            INDEXER: _indexer(auth),
            INDEXER_ROLE: {
                "Properties": {
                    "Policies": [
                        {"PolicyName": "NotesStreamAndSearchIndex", "PolicyDocument": indexer_policy()}
                    ]
                }
            },
            PURGER: _purger(auth),
            PURGER_ROLE: {
                "Properties": {
                    "Policies": [{"PolicyName": "TrashStreamAndFiles", "PolicyDocument": purger_policy()}]
                }
            },
            JOBS: _jobs(auth),
            JOBS_ROLE: {
                "Properties": {
                    "Policies": [
                        {"PolicyName": "AccountStreamTablesBucketPool", "PolicyDocument": jobs_policy(auth)}
                    ]
                }
            },
            API: {
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
                                    "providerARNs": [_pool_arn(auth)],
                                    **_token_validation(auth),
                                }
                            }
                        }
                    },
                }
            },
        },
        "Outputs": {
            "Region": {"Value": {"Ref": "AWS::Region"}},
            **_auth_outputs(stage, auth),
            "TableName": {"Value": {"Ref": TABLE}},
            "SearchTableName": {"Value": {"Ref": SEARCH_TABLE}},
            "TrashTableName": {"Value": {"Ref": TRASH_TABLE}},
            "AccountTableName": {"Value": {"Ref": ACCOUNT_TABLE}},
            "BucketName": {"Value": {"Ref": BUCKET}},
            "ApiUrl": {"Value": {"Fn::Sub": API_URL}},
            "WebUrl": {"Value": {"Fn::Sub": WEB_ORIGIN}},
            "WebBucketName": {"Value": {"Ref": WEB_BUCKET}},
            "WebDistributionId": {"Value": {"Ref": WEB_DISTRIBUTION}},
            "AlarmTopicArn": {"Value": {"Ref": ALARM_TOPIC}},
            "FunctionName": {"Value": {"Ref": FUNCTION}},
            "PurgeFunctionName": {"Value": {"Ref": PURGER}},
            "JobsFunctionName": {"Value": {"Ref": JOBS}},
        },
    }
