"""``make logs``: a deployed stage's function logs, found from its stack and printed readably.

The stack and its logs are the emulator's (in-process): nothing reaches AWS.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from infra import logs, reindex
from infra.deploy import DeployError
from tests.conftest import aws_client

GROUP = "/aws/lambda/notes-dev-APIHandler-abc123"
REQUEST = {
    "level": "INFO",
    "logger": "notes.request",
    "requestId": "req-1",
    "message": "request",
    "method": "PATCH",
    "route": "/notes/{note_id}",
    "status": 412,
    "latencyMs": 7.25,
    "dynamodbCalls": 2,
    "s3Calls": 0,
    "sub": "5f0c2a8e-1111-2222-3333-444455556666",
}
ERROR = {
    "level": "ERROR",
    "logger": "notes",
    "requestId": "req-2",
    "message": "Caught exception for path /notes",
    "exception": {
        "type": "builtins.RuntimeError",
        "traceback": "Traceback (most recent call last):\nRuntimeError: x\n",
    },
}


@pytest.fixture
def group(aws: Any) -> Any:
    client = aws_client("logs")
    client.create_log_group(logGroupName=GROUP)
    client.create_log_stream(logGroupName=GROUP, logStreamName="s")
    now = int(time.time() * 1000)
    messages = [
        "START RequestId: r Version: $LATEST",
        json.dumps(REQUEST),
        json.dumps(ERROR),
        "END RequestId: r",
    ]
    client.put_log_events(
        logGroupName=GROUP,
        logStreamName="s",
        logEvents=[{"timestamp": now + i, "message": message} for i, message in enumerate(messages)],
    )
    yield client
    client.delete_log_group(logGroupName=GROUP)


def test_the_logs_are_printed_readably(group: Any) -> None:
    printed: list[str] = []
    logs.follow(group, GROUP, printed.append, since_ms=0, rounds=1)
    assert printed[0] == "START RequestId: r Version: $LATEST\n"
    assert printed[1] == "PATCH /notes/{note_id} 412  7.25 ms  DynamoDB 2  S3 0  sub 5f0c2a8e  [req-1]\n"
    assert printed[2].startswith("ERROR Caught exception for path /notes  [req-2]\nTraceback")
    assert printed[3] == "END RequestId: r\n"


def test_json_prints_the_lines_as_they_are_and_nothing_twice(
    group: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "POLL_SECONDS", 0)
    printed: list[str] = []
    logs.follow(group, GROUP, printed.append, since_ms=0, pretty=False, rounds=2)
    assert [json.loads(line) for line in printed[1:3]] == [REQUEST, ERROR]
    assert len(printed) == 4  # the second read skips what the first printed


def test_the_log_group_comes_from_the_stacks_output(aws: Any) -> None:
    cloudformation = aws_client("cloudformation")
    with pytest.raises(DeployError, match="make deploy STAGE=dev"):
        logs.log_group(cloudformation, "dev")
    body = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"FunctionName": {"Value": "notes-dev-APIHandler-abc123"}},
    }
    cloudformation.create_stack(StackName="notes-dev", TemplateBody=json.dumps(body))
    try:
        assert logs.log_group(cloudformation, "dev") == GROUP
    finally:
        cloudformation.delete_stack(StackName="notes-dev")


def test_reindex_finds_the_stages_tables_or_says_to_deploy(aws: Any) -> None:
    cloudformation = aws_client("cloudformation")
    with pytest.raises(DeployError) as missing:
        reindex.deployed_tables(cloudformation, "dev")
    assert str(missing.value) == "no stack notes-dev: deploy it with make deploy STAGE=dev"
    outputs = {"TableName": {"Value": "notes-dev"}, "Region": {"Value": "eu-west-1"}}
    body = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": outputs}
    cloudformation.create_stack(StackName="notes-dev", TemplateBody=json.dumps(body))
    try:
        with pytest.raises(DeployError) as older:
            reindex.deployed_tables(cloudformation, "dev")
        assert str(older.value) == (
            "stack notes-dev has no search index yet: deploy it again with make deploy STAGE=dev"
        )
        outputs["SearchTableName"] = {"Value": "notes-dev-search"}
        cloudformation.update_stack(StackName="notes-dev", TemplateBody=json.dumps(body))
        assert reindex.deployed_tables(cloudformation, "dev") == (
            "notes-dev",
            "notes-dev-search",
            "eu-west-1",
        )
    finally:
        cloudformation.delete_stack(StackName="notes-dev")
