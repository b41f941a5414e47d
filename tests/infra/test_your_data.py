"""Trash, exports and account deletion, deployed: the trash and account tables, the purge and the
jobs function with their event sources and their only permissions, what the API function gains,
the exports' lifecycle rule, the alarms, log groups and outputs."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from chalicelib import tables
from chalicelib.stream_consumers import JOBS, matches
from infra import description, template
from tests.infra.conftest import NOTES_TABLE_ACTIONS, Packaged

POOL_ARN = {"Fn::GetAtt": ["UserPool", "Arn"]}
NOTES = {"Fn::GetAtt": ["NotesTable", "Arn"]}
SEARCH = {"Fn::GetAtt": ["SearchTable", "Arn"]}
TRASH = {"Fn::GetAtt": ["TrashTable", "Arn"]}
TRASH_INDEXES = {"Fn::Sub": "${TrashTable.Arn}/index/*"}
ACCOUNT = {"Fn::GetAtt": ["AccountTable", "Arn"]}
CHANGES = {"Fn::GetAtt": ["ChangesTable", "Arn"]}
VERSIONS = {"Fn::GetAtt": ["VersionsTable", "Arn"]}
SHARES = {"Fn::GetAtt": ["SharesTable", "Arn"]}
SHARES_INDEXES = {"Fn::Sub": "${SharesTable.Arn}/index/*"}
SHARED = {"Fn::Sub": "${AttachmentsBucket.Arn}/shared/*"}
BUCKET = {"Fn::GetAtt": ["AttachmentsBucket", "Arn"]}
UPLOADS = {"Fn::Sub": "${AttachmentsBucket.Arn}/uploads/*"}
FILES = {"Fn::Sub": "${AttachmentsBucket.Arn}/files/*"}
EXPORTS = {"Fn::Sub": "${AttachmentsBucket.Arn}/exports/*"}
STREAM_READS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
LOGS_ARN = {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"}


@pytest.fixture(scope="module", params=description.DEPLOYED_STAGES)
def built(request: pytest.FixtureRequest, packaged: Packaged) -> tuple[str, dict[str, Any]]:
    stage = request.param
    return stage, dict(json.loads(packaged(stage).template.read_text()))


@pytest.fixture(scope="module")
def cfn(built: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return built[1]


def _key(resource: Any) -> str:
    return json.dumps(resource, sort_keys=True)


def _grants(cfn: dict[str, Any], role: str) -> dict[str, set[str]]:
    """Each action the role allows, and the resources (as JSON) it allows it on. Every statement
    is an Allow, with no condition, of actions named in full."""
    grants: dict[str, set[str]] = defaultdict(set)
    for policy in cfn["Resources"][role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert set(statement) == {"Effect", "Action", "Resource"}, statement
            assert statement["Effect"] == "Allow"
            assert not [action for action in statement["Action"] if "*" in action]
            resources = statement["Resource"]
            for action in statement["Action"]:
                for resource in resources if isinstance(resources, list) else [resources]:
                    grants[action].add(_key(resource))
    assert "ManagedPolicyArns" not in cfn["Resources"][role]["Properties"]
    return dict(grants)


def _expected(*grants: tuple[tuple[str, ...], list[Any]]) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for actions, resources in (*grants, (LOGS, [LOGS_ARN])):
        for action in actions:
            wanted[action] |= {_key(resource) for resource in resources}
    return dict(wanted)


# ---- the two tables ---------------------------------------------------------------------------


def test_the_trash_table_is_keyed_by_owner_and_note_listed_by_deletion_and_expires(
    built: tuple[str, dict[str, Any]],
) -> None:
    stage, cfn = built
    table = cfn["Resources"]["TrashTable"]
    props = table["Properties"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert props["TableName"] == f"notes-{stage}-trash"
    assert props["KeySchema"] == [
        {"AttributeName": "userId", "KeyType": "HASH"},
        {"AttributeName": "noteId", "KeyType": "RANGE"},
    ]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "deletedKey", "AttributeType": "S"},
        {"AttributeName": "noteId", "AttributeType": "S"},
        {"AttributeName": "userId", "AttributeType": "S"},
    ]
    assert props["LocalSecondaryIndexes"] == [
        {
            "IndexName": "byDeletion",
            "KeySchema": [
                {"AttributeName": "userId", "KeyType": "HASH"},
                {"AttributeName": "deletedKey", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    assert "GlobalSecondaryIndexes" not in props
    assert props["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "purgeAtEpoch"}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    # Users' notes: kept like the notes table when the stack goes or the table would be replaced.
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_the_account_table_is_keyed_by_owner_and_item_and_expires(built: tuple[str, dict[str, Any]]) -> None:
    stage, cfn = built
    table = cfn["Resources"]["AccountTable"]
    props = table["Properties"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert props["TableName"] == f"notes-{stage}-account"
    assert props["KeySchema"] == [
        {"AttributeName": "userId", "KeyType": "HASH"},
        {"AttributeName": "item", "KeyType": "RANGE"},
    ]
    assert not {"LocalSecondaryIndexes", "GlobalSecondaryIndexes"} & set(props)
    assert props["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expiresAtEpoch"}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_the_description_names_the_tables_after_the_notes_table() -> None:
    assert description.STAGES == ("test", "local", "dev", "prod")
    for stage in description.STAGES:
        assert description.table_name(stage) == f"notes-{stage}"
        assert description.table_name(stage, tables.TRASH) == f"notes-{stage}-trash"
        assert description.create_table(stage, tables.TRASH)["TableName"] == f"notes-{stage}-trash"
        assert description.create_table(stage, tables.ACCOUNT)["TableName"] == f"notes-{stage}-account"
        assert description.create_table(stage, tables.SEARCH)["TableName"] == f"notes-{stage}-search"
    assert description.create_table("local", tables.TRASH)["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert "StreamSpecification" not in description.create_table("local", tables.SEARCH)
    expiry = description.time_to_live(tables.TRASH.ttl_attribute or "")
    assert expiry == {"Enabled": True, "AttributeName": "purgeAtEpoch"}
    assert tables.ACCOUNT.ttl_attribute == "expiresAtEpoch"
    assert tables.NOTES.ttl_attribute is None and tables.SEARCH.ttl_attribute is None


def test_outputs_name_the_trash_and_account_tables_and_the_new_functions(cfn: dict[str, Any]) -> None:
    outputs = cfn["Outputs"]
    assert outputs["TrashTableName"] == {"Value": {"Ref": "TrashTable"}}
    assert outputs["AccountTableName"] == {"Value": {"Ref": "AccountTable"}}
    # Where each function's logs are: /aws/lambda/<its name>.
    assert outputs["PurgeFunctionName"] == {"Value": {"Ref": "PurgeTrash"}}
    assert outputs["JobsFunctionName"] == {"Value": {"Ref": "RunJobs"}}


# ---- the functions' event sources -------------------------------------------------------------

# A stream record as DynamoDB writes it for an item its TTL deleted, and for one the API deleted.
TTL_REMOVE = {
    "eventName": "REMOVE",
    "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
    "dynamodb": {"Keys": {"userId": {"S": "sub"}, "noteId": {"S": "01J"}}},
}
USER_REMOVE = {"eventName": "REMOVE", "dynamodb": {"Keys": {"userId": {"S": "sub"}, "noteId": {"S": "01J"}}}}


def _event(cfn: dict[str, Any], function: str) -> dict[str, Any]:
    (event,) = cfn["Resources"][function]["Properties"]["Events"].values()
    assert event["Type"] == "DynamoDB"
    properties: dict[str, Any] = event["Properties"]
    return properties


def _pattern(event: dict[str, Any]) -> dict[str, Any]:
    (only,) = event["FilterCriteria"]["Filters"]
    pattern: dict[str, Any] = json.loads(only["Pattern"])
    return pattern


def test_the_purge_function_gets_only_the_trash_items_the_ttl_deleted(cfn: dict[str, Any]) -> None:
    function = cfn["Resources"]["PurgeTrash"]["Properties"]
    assert function["Handler"] == "app.purge_trash"
    event = _event(cfn, "PurgeTrash")
    assert event["Stream"] == {"Fn::GetAtt": ["TrashTable", "StreamArn"]}
    assert event["StartingPosition"] == "TRIM_HORIZON"
    assert event["BisectBatchOnFunctionError"] is True
    assert event["MaximumRetryAttempts"] == 10
    pattern = _pattern(event)
    assert pattern == {"userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}}
    assert matches(pattern, TTL_REMOVE)
    # A note restored or deleted for good by its owner, or moved to the trash: not the purge's.
    assert not matches(pattern, USER_REMOVE)
    assert not matches(pattern, {**USER_REMOVE, "eventName": "INSERT"})
    assert not matches(
        pattern, {**TTL_REMOVE, "userIdentity": {"type": "Service", "principalId": "other.amazonaws.com"}}
    )


def test_the_jobs_function_gets_each_new_account_item_alone_with_its_own_time_and_memory(
    cfn: dict[str, Any],
) -> None:
    function = cfn["Resources"]["RunJobs"]["Properties"]
    assert function["Handler"] == "app.run_jobs"
    assert (function["Timeout"], function["MemorySize"]) == (900, 1024)
    assert function["Architectures"] == ["arm64"]
    event = _event(cfn, "RunJobs")
    assert event["Stream"] == {"Fn::GetAtt": ["AccountTable", "StreamArn"]}
    assert event["StartingPosition"] == "TRIM_HORIZON"
    assert (event["BatchSize"], event["ParallelizationFactor"]) == (1, 10)
    assert event["BisectBatchOnFunctionError"] is True
    assert event["MaximumRetryAttempts"] == 10
    patterns = [json.loads(each["Pattern"]) for each in event["FilterCriteria"]["Filters"]]
    assert patterns == list(JOBS.patterns)

    def starts_a_job(record: dict[str, Any]) -> bool:  # Lambda's filters: any one of them
        return any(matches(pattern, record) for pattern in patterns)

    def new(item: str) -> dict[str, Any]:
        return {"eventName": "INSERT", "dynamodb": {"Keys": {"userId": {"S": "sub"}, "item": {"S": item}}}}

    # An export asked for, an account to delete: a job each.
    assert starts_a_job(new("export#0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"))
    assert starts_a_job(new("deleted"))
    # The item naming the pending export, written with it, and the sweep item written: no job.
    assert not starts_a_job(new("exporting"))
    assert not starts_a_job(new("sweep"))
    # A deleted account's sweep item removed by the TTL: the last sweep of what came late.
    sweep_keys = {"Keys": {"userId": {"S": "sub"}, "item": {"S": "sweep"}}}
    assert starts_a_job({**TTL_REMOVE, "dynamodb": sweep_keys})
    # An export's record marked ready, or removed by its TTL, or the sweep item by anyone else: no job.
    assert not starts_a_job({"eventName": "MODIFY", "dynamodb": {}})
    assert not starts_a_job(TTL_REMOVE)
    assert not starts_a_job(
        {**TTL_REMOVE, "dynamodb": {"Keys": {"userId": {"S": "sub"}, "item": {"S": "export#1"}}}}
    )
    assert not starts_a_job({"eventName": "REMOVE", "dynamodb": sweep_keys})


def test_only_the_jobs_function_has_a_timeout_and_memory_of_its_own(
    built: tuple[str, dict[str, Any]],
) -> None:
    stage, cfn = built
    for name in ("APIHandler", "IndexNotes", "PurgeTrash"):
        function = cfn["Resources"][name]["Properties"]
        assert (function["Timeout"], function["MemorySize"]) == (30, {"dev": 256, "prod": 512}[stage]), name


def test_every_function_reads_the_same_settings_by_reference(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    api = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api["NOTES_TRASH_TABLE_NAME"] == {"Ref": "TrashTable"}
    assert api["NOTES_ACCOUNT_TABLE_NAME"] == {"Ref": "AccountTable"}
    for name in ("IndexNotes", "PurgeTrash", "RunJobs"):
        assert resources[name]["Properties"]["Environment"]["Variables"] == api, name


# ---- permissions ------------------------------------------------------------------------------


def test_the_purge_role_reads_the_trash_stream_and_deletes_files_and_versions_only(
    cfn: dict[str, Any],
) -> None:
    grants = _grants(cfn, "PurgeTrashRole")
    assert grants == _expected(
        (STREAM_READS, [{"Fn::GetAtt": ["TrashTable", "StreamArn"]}]),
        (("s3:DeleteObject",), [FILES]),
        (("dynamodb:Query", "dynamodb:BatchWriteItem"), [VERSIONS]),  # the purged notes' versions
        (("dynamodb:DeleteItem",), [SHARES]),  # and links
    )
    # It writes no other table, reads no object and touches neither exports nor uploads nor the pool.
    others = [action for action in grants if action.startswith("dynamodb:") and action not in STREAM_READS]
    assert all(grants[action] <= {_key(VERSIONS), _key(SHARES)} for action in others)
    assert not [action for action in grants if action.startswith("cognito-idp:")]


def test_the_jobs_role_has_exactly_what_exports_and_account_deletion_need(
    built: tuple[str, dict[str, Any]],
) -> None:
    _, cfn = built
    tables = [NOTES, TRASH, TRASH_INDEXES, SEARCH, ACCOUNT, CHANGES, VERSIONS, SHARES]
    grants = _grants(cfn, "RunJobsRole")
    assert grants == _expected(
        (STREAM_READS, [{"Fn::GetAtt": ["AccountTable", "StreamArn"]}]),
        (
            (
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem",
            ),
            tables,
        ),
        (("s3:ListBucket",), [BUCKET]),
        (("s3:GetObject",), [FILES]),
        (("s3:PutObject", "s3:AbortMultipartUpload"), [EXPORTS]),
        (("s3:DeleteObject",), [FILES, UPLOADS, EXPORTS, SHARED]),
        (("cognito-idp:AdminDeleteUser", "cognito-idp:AdminGetUser"), [POOL_ARN]),
    )
    # No scan of a table, no write to a file, no other user pool action.
    assert "dynamodb:Scan" not in grants
    assert _key(FILES) not in grants["s3:PutObject"]


def test_the_api_role_has_the_trash_the_account_the_exports_and_a_user_lookup(cfn: dict[str, Any]) -> None:
    grants = _grants(cfn, "ApiHandlerRole")
    assert grants == _expected(
        (
            tuple(NOTES_TABLE_ACTIONS),
            [NOTES],
        ),
        (("dynamodb:Query",), [SEARCH]),
        (
            (
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:DeleteItem",
                "dynamodb:Query",
                "dynamodb:ConditionCheckItem",
            ),
            [TRASH, TRASH_INDEXES],
        ),
        (("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"), [ACCOUNT]),
        (("dynamodb:GetItem", "dynamodb:Query"), [CHANGES]),
        # A note's versions read, and deleted with the note for good.
        (("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchWriteItem"), [VERSIONS]),
        # The links: each note's put, read, listed and deleted; found by id in the index.
        (
            (
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:Query",
            ),
            [SHARES, SHARES_INDEXES],
        ),
        (("s3:GetObject", "s3:PutObject", "s3:DeleteObject"), [UPLOADS, FILES]),
        (("s3:GetObject", "s3:PutObject"), [SHARED]),  # shared files' copies
        (("s3:GetObject",), [EXPORTS]),
        (("cognito-idp:AdminGetUser",), [POOL_ARN]),
    )
    # The API never deletes a user, lists the bucket, writes or deletes an export, writes the
    # account table but by putting an item (an export asked for, the account's tombstone), or
    # writes in batches but to delete a note's versions.
    assert "cognito-idp:AdminDeleteUser" not in grants
    assert "s3:ListBucket" not in grants
    assert _key(EXPORTS) not in grants["s3:PutObject"] | grants["s3:DeleteObject"]
    assert _key(ACCOUNT) not in grants["dynamodb:DeleteItem"] | grants["dynamodb:UpdateItem"]
    assert _key(SHARED) not in grants["s3:DeleteObject"]  # copies go by the bucket's lifecycle
    assert grants["dynamodb:BatchWriteItem"] == {_key(VERSIONS)} and "dynamodb:Scan" not in grants


def test_the_roles_name_an_existing_pool_and_nothing_of_a_pool_of_the_stacks() -> None:
    arn = "arn:aws:cognito-idp:eu-central-1:210987654321:userpool/eu-central-1_AbCdEf123"
    auth = description.auth("dev", {"user_pool_arn": arn, "client_ids": {"password": "2bq1tp9n"}})
    resources = template.merge_template("dev", auth=auth)["Resources"]
    for role, actions in (
        ("ApiHandlerRole", ["cognito-idp:AdminGetUser"]),
        ("RunJobsRole", ["cognito-idp:AdminDeleteUser", "cognito-idp:AdminGetUser"]),
    ):
        (policy,) = resources[role]["Properties"]["Policies"]
        (cognito,) = [
            s for s in policy["PolicyDocument"]["Statement"] if s["Action"][0].startswith("cognito")
        ]
        assert cognito == {"Effect": "Allow", "Action": actions, "Resource": arn}, role
    assert (
        template.role_policy(auth)
        == resources["ApiHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    )


# ---- the bucket, alarms and logs --------------------------------------------------------------


def test_exports_expire_a_day_after_they_are_written(cfn: dict[str, Any]) -> None:
    rules = cfn["Resources"]["AttachmentsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    by_id = {rule["Id"]: rule for rule in rules}
    assert sorted(by_id) == ["expire-exports", "expire-shared-copies", "expire-uploads-never-attached"]
    assert by_id["expire-shared-copies"] == {
        "Id": "expire-shared-copies",
        "Status": "Enabled",
        "Prefix": "shared/",
        "ExpirationInDays": 1,
    }
    assert by_id["expire-exports"] == {
        "Id": "expire-exports",
        "Status": "Enabled",
        "Prefix": "exports/",
        "ExpirationInDays": 1,
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }
    # No rule reaches attached files.
    assert not [rule for rule in rules if "files/".startswith(rule["Prefix"])]


def test_the_storage_layout_names_the_exports_prefix() -> None:
    assert description.EXPORTS_PREFIX == "exports/"
    assert description.EXPORTS_PREFIX not in description.object_prefixes()
    prefixes = [*description.object_prefixes(), description.EXPORTS_PREFIX]
    # No prefix is within another: each rule and permission reaches its own objects only.
    assert not [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)]


@pytest.mark.parametrize(
    ("alarm", "function"), [("PurgeErrorsAlarm", "PurgeTrash"), ("JobsErrorsAlarm", "RunJobs")]
)
def test_each_new_function_has_an_errors_alarm(cfn: dict[str, Any], alarm: str, function: str) -> None:
    resource = cfn["Resources"][alarm]
    props = resource["Properties"]
    assert resource["Type"] == "AWS::CloudWatch::Alarm"
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == ("AWS/Lambda", "Errors", "Sum")
    assert props["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert (props["Period"], props["EvaluationPeriods"], props["TreatMissingData"]) == (
        300,
        1,
        "notBreaching",
    )
    assert props["AlarmActions"] == props["OKActions"] == [{"Ref": "AlarmTopic"}]
    assert props["AlarmDescription"]


def test_the_alarms_are_the_ones_the_template_names(cfn: dict[str, Any]) -> None:
    alarms = {name for name, r in cfn["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert alarms == set(template.ALARMS)
    assert {"PurgeErrorsAlarm", "JobsErrorsAlarm"} <= alarms


@pytest.mark.parametrize("function", ["PurgeTrash", "RunJobs"])
def test_each_new_functions_logs_are_kept_and_go_with_the_stack(
    built: tuple[str, dict[str, Any]], function: str
) -> None:
    stage, cfn = built
    group = cfn["Resources"][f"{function}LogGroup"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
    assert group["Properties"]["RetentionInDays"] == {"dev": 30, "prod": 90}[stage]
    assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Delete"
