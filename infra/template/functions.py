"""The app's functions as the merge rewires them: the environment each reads at start, the stream
each of the four stream functions is invoked by, and their log groups; the WebSocket API's two
handlers, and where the change feed's function tells their connections of changes.

Chalice generates the functions; it can only fill their environment with import-time strings, so
the merge sets each variable by reference to the resources of the same stack. Which records of a
stream start a function is declared in chalicelib.stream_consumers; the template renders it as
the event source's FilterCriteria.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import stream_consumers as consumers
from chalicelib.tables import TABLES
from infra import description
from infra.template.bucket import BUCKET
from infra.template.cognito import client_ids, pool_arn
from infra.template.tables import TABLE_RESOURCES
from infra.template.web import WEB_ORIGIN

# Names in Chalice's generated template (chalice package, CloudFormation format).
FUNCTION = "APIHandler"
# Chalice makes the function's log group from log_retention_in_days, but names the function
# "ApiHandler" in it where the function is "APIHandler": the merge puts the right reference.
LOG_GROUP = "ApiHandlerLogGroup"
# The search indexer, Chalice's ``index_notes`` lambda function.
INDEXER = "IndexNotes"
INDEXER_LOG_GROUP = "IndexNotesLogGroup"
# Records of the notes table's stream per invocation, as the local stack delivers them.
INDEXER_BATCH_SIZE = 100
INDEXER_RETRIES = 10
# The change feed's function, Chalice's ``follow_changes``: the notes table's stream, every record,
# as the indexer; a batch as soon as there is one, for the feed and the live updates.
FOLLOWER = "FollowChanges"
FOLLOWER_LOG_GROUP = "FollowChangesLogGroup"
FOLLOWER_BATCH_SIZE = 100
FOLLOWER_RETRIES = 10
# The WebSocket API's handlers, Chalice's ``ws_connect`` and ``ws_message``, and its API and stage.
WS_CONNECT = "WebsocketConnect"
WS_MESSAGE = "WebsocketMessage"
WS_API = "WebsocketAPI"
WS_STAGE = "WebsocketAPIStage"
# The WebSocket API's address, and its management endpoint (POST /@connections/{id}).
WS_URL = f"wss://${{{WS_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/${{{WS_STAGE}}}"
WS_MANAGEMENT_URL = f"https://${{{WS_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/${{{WS_STAGE}}}"
# The purge function, Chalice's ``purge_trash``: the trash table's stream hands it the items
# DynamoDB's TTL removed, and only those.
PURGER = "PurgeTrash"
PURGER_LOG_GROUP = "PurgeTrashLogGroup"
PURGER_BATCH_SIZE = 100
PURGER_RETRIES = 10
# The jobs function, Chalice's ``run_jobs``: each new item of the account table (an export asked
# for, an account to delete) is one job, one record per invocation, up to ten at a time per shard;
# its timeout and memory are its own (.chalice/config.json, lambda_functions).
JOBS = "RunJobs"
JOBS_LOG_GROUP = "RunJobsLogGroup"
JOBS_BATCH_SIZE = 1
JOBS_PARALLELIZATION = 10
JOBS_RETRIES = 10


def log_groups() -> dict[str, Any]:
    """The functions' log groups, which go with the stack: a retained group would block making the
    stack again."""
    return {
        LOG_GROUP: {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {"LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{FUNCTION}}}"}},
        },
        # Chalice names the other functions' log groups rightly; like the API's, they go with
        # the stack.
        INDEXER_LOG_GROUP: {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"},
        FOLLOWER_LOG_GROUP: {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"},
        f"{WS_CONNECT}LogGroup": {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"},
        f"{WS_MESSAGE}LogGroup": {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"},
        PURGER_LOG_GROUP: {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"},
        JOBS_LOG_GROUP: {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"},
    }


def api_function(auth: description.Auth) -> dict[str, Any]:
    """The API function: its environment."""
    return {"Properties": {"Environment": {"Variables": _function_environment(auth)}}}


def indexer(auth: description.Auth) -> dict[str, Any]:
    """The indexer function invoked by the notes table's stream: in order per note, from the oldest
    record kept, a failed batch split in halves and retried, then left to make reindex."""
    return _stream_function(
        auth,
        "NotesStream",
        consumers.INDEXER,
        BatchSize=INDEXER_BATCH_SIZE,
        MaximumRetryAttempts=INDEXER_RETRIES,
    )


def follower(auth: description.Auth) -> dict[str, Any]:
    """The change feed's function invoked by the notes table's stream: in order per user, from the
    oldest record kept, a failed batch split in halves and retried (its notes' entries written
    again at new places: a feed holds a note twice, never misses one)."""
    function = _stream_function(
        auth,
        "NotesStream",
        consumers.FOLLOWER,
        BatchSize=FOLLOWER_BATCH_SIZE,
        MaximumRetryAttempts=FOLLOWER_RETRIES,
    )
    # Where it tells the owner's WebSocket connections of their changes.
    function["Properties"]["Environment"]["Variables"]["NOTES_WS_MANAGEMENT_URL"] = {
        "Fn::Sub": WS_MANAGEMENT_URL
    }
    return function


def websocket_function(auth: description.Auth) -> dict[str, Any]:
    """A WebSocket handler: the app's environment (the connect handler checks tokens against the
    stage's pool and clients, and in scoped mode the read scope)."""
    return {"Properties": {"Environment": {"Variables": _function_environment(auth)}}}


def purger(auth: description.Auth) -> dict[str, Any]:
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


def jobs(auth: description.Auth) -> dict[str, Any]:
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


def filter_criteria(consumer: consumers.Consumer[Any]) -> dict[str, Any]:
    """An event source mapping's FilterCriteria: only the records matching one of the patterns
    ``consumer`` declares (Lambda's event filtering)."""
    return {
        "Filters": [{"Pattern": json.dumps(pattern, separators=(",", ":"))} for pattern in consumer.patterns]
    }


def _function_auth(auth: description.Auth) -> dict[str, Any]:
    """The function's auth environment: the pool, its clients and, scoped, the two scopes."""
    variables: dict[str, Any] = {
        "COGNITO_USER_POOL_ARN": pool_arn(auth),
        "COGNITO_APP_CLIENT_IDS": client_ids(auth),
    }
    if auth.scoped:
        variables["COGNITO_READ_SCOPES"] = description.READ_SCOPE
        variables["COGNITO_WRITE_SCOPES"] = description.WRITE_SCOPE
    return variables


def _function_environment(auth: description.Auth) -> dict[str, Any]:
    """What every function of the app reads at start (chalicelib.settings): the API, the indexer,
    the change feed's, the purge and the jobs function."""
    return {
        **{table.variable: {"Ref": TABLE_RESOURCES[table.key]} for table in TABLES},
        **_function_auth(auth),
        "NOTES_BUCKET_NAME": {"Ref": BUCKET},
        "CORS_ALLOW_ORIGIN": {"Fn::Sub": WEB_ORIGIN},
    }


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
