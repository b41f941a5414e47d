"""The deployed stage's change feed: its table, the function that writes it from the notes table's
stream, that function's role and alarms, and the API's reads of it, in the template that
``make package`` builds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import description
from tests.infra.conftest import Packaged
from tests.infra.test_your_data import ACCOUNT, CHANGES, LOGS, STREAM_READS, _event, _expected, _grants

NOTES_STREAM = {"Fn::GetAtt": ["NotesTable", "StreamArn"]}


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
        (("dynamodb:GetItem",), [ACCOUNT]),  # a deleted account's tombstone
    )
    # It reads no note and touches no bucket or pool.
    assert not [action for action in grants if action.startswith(("s3:", "cognito-idp:"))]
    assert "dynamodb:Query" not in grants
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
