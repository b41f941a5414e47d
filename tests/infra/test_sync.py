"""The deployed stage's change feed: its table, the function that writes it from the notes table's
stream, that function's role and alarms, and the API's reads of it, in the template that
``make package`` builds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import description
from tests.infra.conftest import Packaged
from tests.infra.test_your_data import (
    ACCOUNT,
    CHANGES,
    LOGS,
    STREAM_READS,
    VERSIONS,
    _event,
    _expected,
    _grants,
    _key,
)

NOTES_STREAM = {"Fn::GetAtt": ["NotesTable", "StreamArn"]}
CONNECTIONS = {"Fn::GetAtt": ["ConnectionsTable", "Arn"]}
# The management endpoint's POST /@connections/{id} of the stack's own WebSocket API and stage.
MANAGE = {
    "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
    "${WebsocketAPI}/${WebsocketAPIStage}/POST/@connections/*"
}


@pytest.fixture(scope="module", params=description.DEPLOYED_STAGES)
def built(request: pytest.FixtureRequest, packaged: Packaged) -> tuple[str, dict[str, Any]]:
    stage = request.param
    return stage, dict(json.loads(packaged(stage).template.read_text()))


@pytest.fixture(scope="module")
def cfn(built: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return built[1]


def test_the_changes_table_is_keyed_by_owner_and_place_expires_and_is_kept(
    built: tuple[str, dict[str, Any]],
) -> None:
    stage, cfn = built
    table = cfn["Resources"]["ChangesTable"]
    props = table["Properties"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert props["TableName"] == f"notes-{stage}-changes"
    assert props["KeySchema"] == [
        {"AttributeName": "userId", "KeyType": "HASH"},
        {"AttributeName": "seq", "KeyType": "RANGE"},
    ]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(
        [{"AttributeName": "userId", "AttributeType": "S"}, {"AttributeName": "seq", "AttributeType": "N"}],
        key=str,
    )
    assert props["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expiresAtEpoch"}
    assert "StreamSpecification" not in props  # nothing follows the feed
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    # A feed made anew would hand out its places again, under the cursors clients hold.
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_the_feeds_function_reads_every_record_of_the_notes_stream(cfn: dict[str, Any]) -> None:
    event = _event(cfn, "FollowChanges")
    assert event["Stream"] == NOTES_STREAM
    assert "FilterCriteria" not in event
    assert event["StartingPosition"] == "TRIM_HORIZON"
    assert event["MaximumBatchingWindowInSeconds"] == 0
    assert event["BisectBatchOnFunctionError"] is True
    assert event["BatchSize"] == 100
    variables = cfn["Resources"]["FollowChanges"]["Properties"]["Environment"]["Variables"]
    assert variables["NOTES_CHANGES_TABLE_NAME"] == {"Ref": "ChangesTable"}


def test_the_notes_stream_has_two_readers_at_most(cfn: dict[str, Any]) -> None:
    """DynamoDB Streams serves a shard to two readers without throttling them."""
    readers = [
        name
        for name, resource in cfn["Resources"].items()
        for event in (resource.get("Properties", {}).get("Events") or {}).values()
        if event.get("Properties", {}).get("Stream") == NOTES_STREAM
    ]
    assert sorted(readers) == ["FollowChanges", "IndexNotes"]


def test_the_feeds_role_reads_the_notes_stream_and_writes_the_feed_only(cfn: dict[str, Any]) -> None:
    grants = _grants(cfn, "FollowChangesRole")
    assert grants == _expected(
        (STREAM_READS, [NOTES_STREAM]),
        (("dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem"), [CHANGES]),
        (("dynamodb:BatchWriteItem", "dynamodb:PutItem"), [VERSIONS]),  # the text each change replaced
        (("dynamodb:GetItem",), [ACCOUNT]),  # a deleted account's tombstone
        # The owner's WebSocket connections: read, forgotten when gone, and told.
        (("dynamodb:Query", "dynamodb:DeleteItem"), [CONNECTIONS]),
        (("execute-api:ManageConnections",), [MANAGE]),
    )
    # It reads no note and touches no bucket or pool.
    assert not [action for action in grants if action.startswith(("s3:", "cognito-idp:"))]
    assert _key(CONNECTIONS) not in grants["dynamodb:GetItem"]
    assert set(LOGS) <= set(grants)


def test_the_api_only_reads_the_feed(cfn: dict[str, Any]) -> None:
    grants = _grants(cfn, "ApiHandlerRole")
    on_feed = {
        action for action, resources in grants.items() if json.dumps(CHANGES, sort_keys=True) in resources
    }
    assert on_feed == {"dynamodb:GetItem", "dynamodb:Query"}


@pytest.mark.parametrize(
    ("alarm", "metric", "threshold"),
    [("FollowerErrorsAlarm", "Errors", 0), ("FollowerLagAlarm", "IteratorAge", 2000)],
)
def test_the_feeds_function_has_its_alarms(
    cfn: dict[str, Any], alarm: str, metric: str, threshold: int
) -> None:
    props = cfn["Resources"][alarm]["Properties"]
    assert props["MetricName"] == metric
    assert props["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "FollowChanges"}}]
    assert props["Threshold"] == threshold
    assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_feeds_table_and_function_are_outputs(cfn: dict[str, Any]) -> None:
    outputs = cfn["Outputs"]
    assert outputs["ChangesTableName"] == {"Value": {"Ref": "ChangesTable"}}
    assert outputs["FollowFunctionName"] == {"Value": {"Ref": "FollowChanges"}}
    log_group = cfn["Resources"]["FollowChangesLogGroup"]
    assert log_group["DeletionPolicy"] == log_group["UpdateReplacePolicy"] == "Delete"


# ---- live updates: the WebSocket API ------------------------------------------------------------


def test_the_websocket_api_routes_connect_and_messages_to_the_apps_handlers(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    assert resources["WebsocketAPI"]["Type"] == "AWS::ApiGatewayV2::Api"
    assert resources["WebsocketAPI"]["Properties"]["ProtocolType"] == "WEBSOCKET"
    routes = {
        resource["Properties"]["RouteKey"]: resource["Properties"]["Target"]
        for resource in resources.values()
        if resource["Type"] == "AWS::ApiGatewayV2::Route"
    }
    assert set(routes) == {"$connect", "$default"}
    # No authorizer on $connect (API Gateway has no Cognito one there): the handler checks the token.
    assert not [r for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Authorizer"]
    handlers = {
        name: resource["Properties"]["Handler"]
        for name, resource in resources.items()
        if name in ("WebsocketConnect", "WebsocketMessage")
    }
    assert handlers == {"WebsocketConnect": "app.ws_connect", "WebsocketMessage": "app.ws_message"}
    for name in handlers:
        variables = resources[name]["Properties"]["Environment"]["Variables"]
        assert variables["NOTES_TABLE_NAME"] == {"Ref": "NotesTable"}
        assert variables["NOTES_CONNECTIONS_TABLE_NAME"] == {"Ref": "ConnectionsTable"}
        log_group = resources[f"{name}LogGroup"]
        assert log_group["DeletionPolicy"] == log_group["UpdateReplacePolicy"] == "Delete"


def test_the_connect_handler_reads_tombstones_and_records_connections_only(cfn: dict[str, Any]) -> None:
    grants = _grants(cfn, "WebsocketConnectRole")
    assert grants == _expected((("dynamodb:GetItem",), [ACCOUNT]), (("dynamodb:PutItem",), [CONNECTIONS]))
    assert _grants(cfn, "WebsocketMessageRole") == _expected()


def test_the_feeds_function_tells_the_stacks_own_websocket_api(cfn: dict[str, Any]) -> None:
    variables = cfn["Resources"]["FollowChanges"]["Properties"]["Environment"]["Variables"]
    assert variables["NOTES_WS_MANAGEMENT_URL"] == {
        "Fn::Sub": "https://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${WebsocketAPIStage}"
    }
    assert cfn["Outputs"]["WsUrl"] == {
        "Value": {
            "Fn::Sub": "wss://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${WebsocketAPIStage}"
        }
    }


def test_the_connections_go_with_the_stack_and_expire(built: tuple[str, dict[str, Any]]) -> None:
    stage, cfn = built
    table = cfn["Resources"]["ConnectionsTable"]
    props = table["Properties"]
    assert props["TableName"] == f"notes-{stage}-connections"
    assert props["KeySchema"] == [
        {"AttributeName": "userId", "KeyType": "HASH"},
        {"AttributeName": "connectionId", "KeyType": "RANGE"},
    ]
    assert props["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expiresAtEpoch"}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Delete"


@pytest.mark.parametrize(
    ("alarm", "function"),
    [("WsConnectErrorsAlarm", "WebsocketConnect"), ("WsMessageErrorsAlarm", "WebsocketMessage")],
)
def test_each_websocket_handler_has_an_errors_alarm(cfn: dict[str, Any], alarm: str, function: str) -> None:
    props = cfn["Resources"][alarm]["Properties"]
    assert props["MetricName"] == "Errors"
    assert props["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
