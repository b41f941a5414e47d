"""The roles of the app's five functions: each one's only permissions, the IAM actions the
description allows it (``description.permissions``) bound to the resources of the same stack.

Chalice generates each role; the merge replaces its policy. ``make package`` also writes the API
function's policy as Chalice's policy file (``role_policy``).
"""

from __future__ import annotations

from typing import Any

from infra import description
from infra.template.bucket import BUCKET
from infra.template.cognito import pool_arn
from infra.template.functions import WS_API, WS_STAGE
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

# The roles Chalice gives the API function and the indexer, change feed, purge and jobs functions.
ROLE = "ApiHandlerRole"
INDEXER_ROLE = "IndexNotesRole"
FOLLOWER_ROLE = "FollowChangesRole"
WS_CONNECT_ROLE = "WebsocketConnectRole"
WS_MESSAGE_ROLE = "WebsocketMessageRole"
PURGER_ROLE = "PurgeTrashRole"
JOBS_ROLE = "RunJobsRole"


def api_role(auth: description.Auth) -> dict[str, Any]:
    return _role("NotesTableBucketAndLogs", role_policy(auth))


def indexer_role() -> dict[str, Any]:
    return _role("NotesStreamAndSearchIndex", indexer_policy())


def follower_role() -> dict[str, Any]:
    return _role("NotesStreamAndChangeFeed", follower_policy())


def ws_connect_role() -> dict[str, Any]:
    return _role("AccountTombstoneAndConnections", ws_connect_policy())


def ws_message_role() -> dict[str, Any]:
    return _role("LogsOnly", {"Version": "2012-10-17", "Statement": [_logs_statement()]})


def purger_role() -> dict[str, Any]:
    return _role("TrashStreamAndFiles", purger_policy())


def jobs_role(auth: description.Auth) -> dict[str, Any]:
    return _role("AccountStreamTablesBucketPool", jobs_policy(auth))


def _role(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """A role whose only policy is ``document``."""
    return {"Properties": {"Policies": [{"PolicyName": name, "PolicyDocument": document}]}}


def _objects_under(*prefixes: str) -> list[dict[str, str]]:
    return [{"Fn::Sub": f"${{{BUCKET}.Arn}}/{prefix}*"} for prefix in prefixes]


def _with_indexes(table: str) -> list[dict[str, Any]]:
    """A table's ARN and its indexes' (a Query of an index is allowed on the index's ARN)."""
    return [{"Fn::GetAtt": [table, "Arn"]}, {"Fn::Sub": f"${{{table}.Arn}}/index/*"}]


def _allow(actions: tuple[str, ...], resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


def role_policy(auth: description.Auth | None = None) -> dict[str, Any]:
    """The API function's only permissions: its table's item and query actions, querying the
    search index, the trash's, the account table's, the change feed's, the versions' and the links'
    actions it uses (the links' index too), reading, writing and deleting the bucket's objects
    under the two attachment prefixes, reading the exports, copying shared files and reading their
    copies, looking a user up in the pool (``auth``'s, by default the stack's own), and its logs."""
    pool = pool_arn(auth or description.Auth())
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow(description.TABLE_ACTIONS, {"Fn::GetAtt": [TABLE, "Arn"]}),
            _allow(description.SEARCH_TABLE_ACTIONS, {"Fn::GetAtt": [SEARCH_TABLE, "Arn"]}),
            _allow(description.TRASH_TABLE_ACTIONS, _with_indexes(TRASH_TABLE)),
            _allow(description.ACCOUNT_TABLE_ACTIONS, {"Fn::GetAtt": [ACCOUNT_TABLE, "Arn"]}),
            _allow(description.CHANGES_TABLE_ACTIONS, {"Fn::GetAtt": [CHANGES_TABLE, "Arn"]}),
            _allow(description.VERSIONS_TABLE_ACTIONS, {"Fn::GetAtt": [VERSIONS_TABLE, "Arn"]}),
            _allow(description.SHARES_TABLE_ACTIONS, _with_indexes(SHARES_TABLE)),
            _allow(description.BUCKET_OBJECT_ACTIONS, _objects_under(*description.object_prefixes())),
            _allow(description.EXPORT_READ_ACTIONS, _objects_under(description.EXPORTS_PREFIX)),
            _allow(description.SHARED_OBJECT_ACTIONS, _objects_under(description.SHARED_PREFIX)),
            _allow(description.API_USER_POOL_ACTIONS, pool),
            _logs_statement(),
        ],
    }


def purger_policy() -> dict[str, Any]:
    """The purge function's only permissions: reading the trash table's stream, deleting files and
    the purged notes' versions and links, its logs."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow(description.STREAM_ACTIONS, {"Fn::GetAtt": [TRASH_TABLE, "StreamArn"]}),
            _allow(description.PURGE_OBJECT_ACTIONS, _objects_under(description.FILES_PREFIX)),
            _allow(description.PURGE_VERSIONS_ACTIONS, {"Fn::GetAtt": [VERSIONS_TABLE, "Arn"]}),
            _allow(description.PURGE_SHARES_ACTIONS, {"Fn::GetAtt": [SHARES_TABLE, "Arn"]}),
            _logs_statement(),
        ],
    }


def jobs_policy(auth: description.Auth | None = None) -> dict[str, Any]:
    """The jobs function's only permissions: reading the account table's stream; the item,
    query and batch write actions on the stage's seven tables (and the trash's index); listing
    the bucket, reading files, writing exports and deleting a user's objects under the three
    prefixes; deleting and looking up users of the pool (``auth``'s); its logs."""
    pool = pool_arn(auth or description.Auth())
    tables = [
        {"Fn::GetAtt": [TABLE, "Arn"]},
        *_with_indexes(TRASH_TABLE),
        {"Fn::GetAtt": [SEARCH_TABLE, "Arn"]},
        {"Fn::GetAtt": [ACCOUNT_TABLE, "Arn"]},
        {"Fn::GetAtt": [CHANGES_TABLE, "Arn"]},
        {"Fn::GetAtt": [VERSIONS_TABLE, "Arn"]},
        {"Fn::GetAtt": [SHARES_TABLE, "Arn"]},
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
                description.JOBS_DELETE_ACTIONS,
                _objects_under(files, uploads, description.EXPORTS_PREFIX, description.SHARED_PREFIX),
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


def follower_policy() -> dict[str, Any]:
    """The change feed's function's only permissions: reading the notes table's stream, writing
    the change feed and the replaced versions, reading an account's tombstone, reading and forgetting
    an owner's WebSocket connections and sending them messages, its logs. It reads no note."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow(description.STREAM_ACTIONS, {"Fn::GetAtt": [TABLE, "StreamArn"]}),
            _allow(description.FOLLOW_WRITE_ACTIONS, {"Fn::GetAtt": [CHANGES_TABLE, "Arn"]}),
            _allow(description.FOLLOW_VERSIONS_ACTIONS, {"Fn::GetAtt": [VERSIONS_TABLE, "Arn"]}),
            _allow(description.FOLLOW_ACCOUNT_ACTIONS, {"Fn::GetAtt": [ACCOUNT_TABLE, "Arn"]}),
            _allow(description.FOLLOW_CONNECTIONS_ACTIONS, {"Fn::GetAtt": [CONNECTIONS_TABLE, "Arn"]}),
            _allow(description.MANAGE_CONNECTIONS_ACTIONS, _connections_of_the_api()),
            _logs_statement(),
        ],
    }


def ws_connect_policy() -> dict[str, Any]:
    """The WebSocket connect handler's only permissions: reading an account's tombstone, recording
    a connection, its logs. It fetches the pool's signing keys over HTTPS, which needs none."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow(description.CONNECT_ACCOUNT_ACTIONS, {"Fn::GetAtt": [ACCOUNT_TABLE, "Arn"]}),
            _allow(description.CONNECT_CONNECTIONS_ACTIONS, {"Fn::GetAtt": [CONNECTIONS_TABLE, "Arn"]}),
            _logs_statement(),
        ],
    }


def _connections_of_the_api() -> dict[str, Any]:
    """The WebSocket API's stage's connections (its management endpoint's POST /@connections/{id})."""
    return {
        "Fn::Sub": (
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
            f"${{{WS_API}}}/${{{WS_STAGE}}}/POST/@connections/*"
        )
    }


def _logs_statement() -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"},
    }
