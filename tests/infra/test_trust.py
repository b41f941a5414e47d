"""The deployed stage's history and sharing: the versions' and links' tables, the bucket's rule for
shared files' copies, and the one route of the API without an authorizer besides /health, in the
template that ``make package`` builds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import description
from tests.infra.conftest import Packaged


@pytest.fixture(scope="module", params=description.DEPLOYED_STAGES)
def cfn(request: pytest.FixtureRequest, packaged: Packaged) -> dict[str, Any]:
    return dict(json.loads(packaged(request.param).template.read_text()))


def _keys(properties: dict[str, Any]) -> dict[str, str]:
    return {key["AttributeName"]: key["KeyType"] for key in properties["KeySchema"]}


def test_the_versions_are_kept_by_owner_and_note_and_go_by_their_time_to_live(cfn: dict[str, Any]) -> None:
    table = cfn["Resources"]["VersionsTable"]
    properties = table["Properties"]
    assert _keys(properties) == {"userId": "HASH", "versionKey": "RANGE"}
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expiresAtEpoch", "Enabled": True}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"  # users' data
    assert "StreamSpecification" not in properties
    assert cfn["Outputs"]["VersionsTableName"] == {"Value": {"Ref": "VersionsTable"}}


def test_the_links_are_found_by_owner_and_note_or_by_their_id_alone(cfn: dict[str, Any]) -> None:
    table = cfn["Resources"]["SharesTable"]
    properties = table["Properties"]
    assert _keys(properties) == {"userId": "HASH", "noteId": "RANGE"}
    (index,) = properties["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "byShare"
    assert _keys(index) == {"shareId": "HASH"}
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}  # the item is read again
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expiresAtEpoch", "Enabled": True}
    assert table["DeletionPolicy"] == "Retain"
    assert cfn["Outputs"]["SharesTableName"] == {"Value": {"Ref": "SharesTable"}}


def test_only_health_and_a_shared_link_answer_without_the_pools_authorizer(cfn: dict[str, Any]) -> None:
    paths = cfn["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    unguarded = sorted(
        (path, method)
        for path, methods in paths.items()
        for method, operation in methods.items()
        if method != "options" and not operation.get("security")
    )
    assert unguarded == [("/health", "get"), ("/shared/{share_id}", "get")]
    guarded = [
        operation["security"]
        for methods in paths.values()
        for method, operation in methods.items()
        if method != "options" and operation.get("security")
    ]
    assert guarded and all(list(security[0]) == ["NotesUserPool"] for security in guarded)
    # The stage's throttling holds for every path and method: the public route too.
    (throttling,) = cfn["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    assert (throttling["ResourcePath"], throttling["HttpMethod"]) == ("/*", "*")
    assert throttling["ThrottlingRateLimit"] > 0 and throttling["ThrottlingBurstLimit"] > 0


def test_the_functions_know_the_web_apps_address_for_links(cfn: dict[str, Any]) -> None:
    variables = cfn["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["CORS_ALLOW_ORIGIN"] == {"Fn::Sub": "https://${WebDistribution.DomainName}"}
    assert variables["NOTES_SHARES_TABLE_NAME"] == {"Ref": "SharesTable"}
    assert variables["NOTES_VERSIONS_TABLE_NAME"] == {"Ref": "VersionsTable"}
