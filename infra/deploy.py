"""``make deploy STAGE=dev`` and ``make destroy STAGE=dev``: the stage's stack in a real AWS account.

Deploy uploads the Lambda package built by ``make package`` to an artifacts
bucket of the account (``notes-deploy-<account>-<region>``, private and
encrypted, made on first use), creates a change set for stack ``notes-<stage>``
and executes it, waits, and prints what a client needs. Destroy deletes the
stack; the table, the attachments bucket (and prod's user pool) are retained by
their deletion policies.
Credentials and region come from the standard AWS configuration (``AWS_PROFILE``,
``AWS_REGION``...).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from infra import description, template

ROOT = Path(__file__).resolve().parents[1]
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # a role, and the SAM transform
TEMPLATE_BODY_LIMIT = 51_200
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
CLIENT_OUTPUTS = ("EndpointURL", "Region", "UserPoolId", "UserPoolClientId", "TableName")


class DeployError(Exception):
    """Deploying or destroying failed; the message says what to do."""


def stack_name(stage: str) -> str:
    return f"{description.APP_NAME}-{stage}"


def deploy(stage: str, session: Any, build: Path) -> dict[str, str]:
    """Deploy the packaged stage; returns the stack's outputs."""
    sam = build / "package" / "sam.json"
    bundle = build / "package" / "deployment.zip"
    if not sam.exists() or not bundle.exists():
        raise DeployError(f"no package in {build}: run make package STAGE={stage}")
    region = session.region_name
    if not region:
        raise DeployError("no AWS region: set AWS_REGION (or a region in your AWS profile)")
    account = session.client("sts").get_caller_identity()["Account"]
    s3 = session.client("s3")
    bucket = _artifacts_bucket(s3, f"{description.APP_NAME}-deploy-{account}-{region}", region)

    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()[:32]
    key = f"{stage}/{digest}.zip"
    s3.upload_file(str(bundle), bucket, key)
    document = json.loads(sam.read_text())
    document["Resources"][template.FUNCTION]["Properties"]["CodeUri"] = f"s3://{bucket}/{key}"
    body = json.dumps(document)
    source: dict[str, str]
    if len(body) > TEMPLATE_BODY_LIMIT:
        template_key = f"{stage}/{hashlib.sha256(body.encode()).hexdigest()[:32]}.json"
        s3.put_object(Bucket=bucket, Key=template_key, Body=body.encode())
        source = {"TemplateURL": f"https://{bucket}.s3.{region}.amazonaws.com/{template_key}"}
    else:
        source = {"TemplateBody": body}

    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    change_type = "UPDATE" if _stack_exists(cloudformation, name) else "CREATE"
    change_set = f"{name}-{int(time.time())}"
    cloudformation.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        ChangeSetType=change_type,
        Capabilities=CAPABILITIES,
        Tags=[{"Key": "app", "Value": description.APP_NAME}, {"Key": "stage", "Value": stage}],
        **source,
    )
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            StackName=name, ChangeSetName=change_set, WaiterConfig={"Delay": 5, "MaxAttempts": 120}
        )
    except Exception as error:  # the waiter's error carries the change set's reason
        reason = cloudformation.describe_change_set(StackName=name, ChangeSetName=change_set).get(
            "StatusReason", ""
        )
        if any(marker in reason for marker in NO_CHANGES):
            cloudformation.delete_change_set(StackName=name, ChangeSetName=change_set)
            return _outputs(cloudformation, name)
        raise DeployError(f"the change set for {name} failed: {reason or error}") from error
    cloudformation.execute_change_set(StackName=name, ChangeSetName=change_set)
    waiter = "stack_create_complete" if change_type == "CREATE" else "stack_update_complete"
    try:
        cloudformation.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 180})
    except Exception as error:
        raise DeployError(
            f"{name} did not deploy; see its events in the CloudFormation console: {error}"
        ) from error
    return _outputs(cloudformation, name)


def destroy(stage: str, session: Any) -> None:
    """Delete the stage's stack; what its deletion policies retain stays."""
    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    if not _stack_exists(cloudformation, name):
        raise DeployError(f"there is no stack {name} in {session.region_name}")
    cloudformation.delete_stack(StackName=name)
    cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 180}
    )


def _artifacts_bucket(s3: Any, bucket: str, region: str) -> str:
    try:
        s3.head_bucket(Bucket=bucket)
        return bucket
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise DeployError(f"cannot use the artifacts bucket {bucket}: {error}") from error
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    return bucket


def _stack_exists(cloudformation: Any, name: str) -> bool:
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return False
        raise
    return bool(stacks) and stacks[0]["StackStatus"] not in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE")


def _outputs(cloudformation: Any, name: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make deploy", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev", choices=description.DEPLOYED_STAGES)
    parser.add_argument("--destroy", action="store_true")
    parser.add_argument("--confirm", default="", help="destroying prod needs --confirm prod")
    args = parser.parse_args(argv)
    import boto3

    session = boto3.session.Session()
    try:
        if args.destroy:
            if description.retained(args.stage) and args.confirm != args.stage:
                raise DeployError(f"destroying {args.stage} needs CONFIRM={args.stage}")
            destroy(args.stage, session)
            print(
                f"{stack_name(args.stage)} deleted; its table and attachments bucket "
                "(and prod's user pool) are retained."
            )
            return 0
        outputs = deploy(args.stage, session, ROOT / "build" / args.stage)
    except DeployError as error:
        print(f"make deploy: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # credentials, permissions, throttling: one line, not a traceback
        print(f"make deploy: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    for key in CLIENT_OUTPUTS:
        print(f"{key:<18}{outputs.get(key, '?')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
