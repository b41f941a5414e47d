"""`make deploy` / `make destroy` against in-process AWS: S3 and STS emulated, CloudFormation recorded.

The emulator cannot run the SAM transform, so CloudFormation is a recording
stand-in here; the template itself is checked in test_template.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from infra import deploy, package
from tests.conftest import aws_client

OUTPUTS = {
    "EndpointURL": "https://abc.execute-api.us-east-1.amazonaws.com/api/",
    "Region": "us-east-1",
    "AuthMode": "id",
    "UserPoolId": "us-east-1_Pool",
    "UserPoolClientId": "client",
    "TableName": "notes-dev",
}


class FakeWaiter:
    def __init__(self, cloudformation: FakeCloudFormation, name: str) -> None:
        self.cloudformation = cloudformation
        self.name = name

    def wait(self, **kwargs: Any) -> None:
        self.cloudformation.calls.append(("wait", self.name))
        if self.name == "change_set_create_complete" and self.cloudformation.no_changes:
            raise WaiterError(name=self.name, reason="failed", last_response={})


class FakeCloudFormation:
    """Records what a deploy asks of CloudFormation and answers as it would."""

    exceptions = type("Exceptions", (), {"ClientError": ClientError})

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.stack_status: str | None = None
        self.no_changes = False
        self.template: dict[str, Any] = {}

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        if self.stack_status is None:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ValidationError",
                        "Message": f"Stack with id {StackName} does not exist",
                    }
                },
                "DescribeStacks",
            )
        outputs = [{"OutputKey": k, "OutputValue": v} for k, v in OUTPUTS.items()]
        return {"Stacks": [{"StackName": StackName, "StackStatus": self.stack_status, "Outputs": outputs}]}

    def create_change_set(self, **kwargs: Any) -> None:
        self.calls.append(("create_change_set", kwargs))
        if "TemplateURL" in kwargs:
            # https://<bucket>.s3.<region>.amazonaws.com/<key>: the template uploaded beforehand.
            host, _, key = kwargs["TemplateURL"].removeprefix("https://").partition("/")
            body = aws_client("s3").get_object(Bucket=host.split(".s3.")[0], Key=key)["Body"].read()
            self.template = json.loads(body)
        else:
            self.template = json.loads(kwargs["TemplateBody"])

    def describe_change_set(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "StatusReason": "The submitted information didn't contain changes." if self.no_changes else ""
        }

    def delete_change_set(self, **kwargs: Any) -> None:
        self.calls.append(("delete_change_set", kwargs))

    def execute_change_set(self, **kwargs: Any) -> None:
        self.calls.append(("execute_change_set", kwargs))
        self.stack_status = "CREATE_COMPLETE"

    def delete_stack(self, **kwargs: Any) -> None:
        self.calls.append(("delete_stack", kwargs))

    def get_waiter(self, name: str) -> FakeWaiter:
        return FakeWaiter(self, name)


class Session:
    region_name = "eu-west-1"

    def __init__(self, cloudformation: FakeCloudFormation) -> None:
        self.cloudformation = cloudformation

    def client(self, service: str) -> Any:
        if service == "cloudformation":
            return self.cloudformation
        return aws_client(service)


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A packaged stage, as make package leaves it."""
    (tmp_path / "package").mkdir()
    (tmp_path / "package" / "deployment.zip").write_bytes(b"PK zip bytes")
    function = {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "./deployment.zip"}}
    sam = {"Resources": {"APIHandler": function, "IndexNotes": json.loads(json.dumps(function))}}
    (tmp_path / "package" / "sam.json").write_text(json.dumps(sam))
    return tmp_path


def test_first_deploy_uploads_the_package_and_creates_the_stack(aws_stack: Any, built: Path) -> None:
    cloudformation = FakeCloudFormation()
    outputs = deploy.deploy("dev", Session(cloudformation), built)
    assert outputs == OUTPUTS

    bucket = "notes-deploy-123456789012-eu-west-1"
    s3 = aws_client("s3")
    code_uri = cloudformation.template["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    assert code_uri.startswith(f"s3://{bucket}/dev/")
    assert cloudformation.template["Resources"]["IndexNotes"]["Properties"]["CodeUri"] == code_uri
    key = code_uri.removeprefix(f"s3://{bucket}/")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"PK zip bytes"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]

    (name, change_set), *rest = cloudformation.calls
    assert name == "create_change_set"
    assert change_set["StackName"] == "notes-dev" and change_set["ChangeSetType"] == "CREATE"
    assert set(change_set["Capabilities"]) == {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"}
    assert [call[0] for call in rest] == ["wait", "execute_change_set", "wait"]
    assert rest[-1] == ("wait", "stack_create_complete")


def test_a_second_deploy_updates(aws_stack: Any, built: Path) -> None:
    cloudformation = FakeCloudFormation()
    cloudformation.stack_status = "CREATE_COMPLETE"
    deploy.deploy("dev", Session(cloudformation), built)
    assert cloudformation.calls[0][1]["ChangeSetType"] == "UPDATE"
    assert cloudformation.calls[-1] == ("wait", "stack_update_complete")


def test_a_deploy_without_changes_changes_nothing(aws_stack: Any, built: Path) -> None:
    cloudformation = FakeCloudFormation()
    cloudformation.stack_status = "UPDATE_COMPLETE"
    cloudformation.no_changes = True
    assert deploy.deploy("dev", Session(cloudformation), built) == OUTPUTS
    assert "execute_change_set" not in [call[0] for call in cloudformation.calls]
    assert "delete_change_set" in [call[0] for call in cloudformation.calls]


def test_deploy_without_a_package_says_how_to_make_one(aws_stack: Any, tmp_path: Path) -> None:
    with pytest.raises(deploy.DeployError, match="make package STAGE=dev"):
        deploy.deploy("dev", Session(FakeCloudFormation()), tmp_path)


def test_destroy_deletes_the_stack(aws_stack: Any) -> None:
    cloudformation = FakeCloudFormation()
    cloudformation.stack_status = "UPDATE_COMPLETE"
    deploy.destroy("dev", Session(cloudformation))
    assert [call[0] for call in cloudformation.calls] == ["delete_stack", "wait"]


def test_destroying_prod_needs_confirmation(capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy.main(["--stage", "prod", "--destroy"]) == 2
    assert "CONFIRM=prod" in capsys.readouterr().err


def test_deploy_takes_what_make_package_builds(aws_stack: Any, tmp_path: Path) -> None:
    built = package.package("dev", tmp_path)
    cloudformation = FakeCloudFormation()
    deploy.deploy("dev", Session(cloudformation), tmp_path)
    resources = cloudformation.template["Resources"]
    # Every function runs from the uploaded package; none is left pointing at the local file.
    functions = {name for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert functions == {
        "APIHandler",
        "IndexNotes",
        "FollowChanges",
        "PurgeTrash",
        "RunJobs",
        "WebsocketConnect",
        "WebsocketMessage",
    }
    code = {resources[name]["Properties"]["CodeUri"] for name in functions}
    assert len(code) == 1 and code.pop().startswith("s3://notes-deploy-")
    assert {
        "UserPool",
        "UserPoolClient",
        "NotesTable",
        "TrashTable",
        "AccountTable",
        "ChangesTable",
    } <= set(resources)
    assert built.zip.exists()
