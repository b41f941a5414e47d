"""``make deploy STAGE=dev`` and ``make destroy STAGE=dev``: the stage's stack in a real AWS account.

Deploy uploads the Lambda package built by ``make package`` to an artifacts
bucket of the account (``notes-deploy-<account>-<region>``, private and
encrypted, made on first use), creates a change set for stack ``notes-<stage>``
and executes it, waits, then publishes the web app: the files of ``web/`` and
the stage's ``config.json`` to the stack's web bucket, what is no longer in
``web/`` deleted, the distribution's cache invalidated. It prints the page's URL
and what a client needs (the stage's mode, and that mode's clients). Destroy
empties the web bucket and deletes the stack; the notes, trash and account tables,
the attachments bucket (and prod's user pool) are retained by their deletion policies.
Credentials and region come from the standard AWS configuration (``AWS_PROFILE``,
``AWS_REGION``...).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import sys
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from infra import description, stages, template
from infra.web_config import build_web_config

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # a role, and the SAM transform
TEMPLATE_BODY_LIMIT = 51_200
SERVERLESS_FUNCTION = "AWS::Serverless::Function"
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
# What make deploy prints for a client, by the stage's mode: ID-token mode's password client;
# scoped mode's sign-in domain and its three OAuth clients.
CLIENT_OUTPUTS = {
    "id": ("WebUrl", "EndpointURL", "Region", "AuthMode", "UserPoolId", "UserPoolClientId", "TableName"),
    "scoped": (
        "WebUrl",
        "EndpointURL",
        "Region",
        "AuthMode",
        "UserPoolId",
        template.AUTH_DOMAIN_OUTPUT,
        *(template.OAUTH_CLIENT_OUTPUTS[kind] for kind in description.OAUTH_CLIENTS),
        "TableName",
    ),
}
# Every file of the page is asked for again at every load, the page, its settings and its service
# worker (sw.js) included: the files' names carry no hash, so a browser revalidates each (cheap,
# with ETags) and a page never runs the modules of another deploy.
NO_CACHE = "no-cache"
# Types mimetypes does not know, or names differently (text/javascript is the standard's).
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
}
# mimetypes' own table, not the system's: the same types from every machine.
MIME_TYPES = mimetypes.MimeTypes()
# Not part of the page: folders and files of tests.
TEST_FOLDERS = ("test", "tests", "__tests__")
TEST_SUFFIXES = (".test", ".spec")


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
    # Every function of the app runs from the one package: the API, the indexer, the purge, the jobs.
    for resource in document["Resources"].values():
        if resource.get("Type") == SERVERLESS_FUNCTION:
            resource["Properties"]["CodeUri"] = f"s3://{bucket}/{key}"
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
    """Delete the stage's stack; what its deletion policies retain stays.

    The web bucket is emptied first: it goes with the stack, and CloudFormation deletes only
    empty buckets.
    """
    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    if not _stack_exists(cloudformation, name):
        raise DeployError(f"there is no stack {name} in {session.region_name}")
    web_bucket = _outputs(cloudformation, name).get("WebBucketName")
    if web_bucket:
        s3 = session.client("s3")
        try:
            _delete_keys(s3, web_bucket, _keys(s3, web_bucket))
        except s3.exceptions.NoSuchBucket:
            pass
    cloudformation.delete_stack(StackName=name)
    cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 180}
    )


@dataclass(frozen=True)
class Published:
    """What ``publish_web`` did: the keys it wrote, in order, the keys it deleted, and the
    invalidation it asked for."""

    uploaded: list[str]
    deleted: list[str]
    invalidation: str


def publish_web(session: Any, outputs: dict[str, str], web_dir: Path, stage: str) -> Published:
    """Upload the web app to the stack's web bucket, write the stage's ``config.json`` beside it,
    delete what ``web_dir`` no longer holds, and invalidate the distribution's cache.

    ``outputs`` are the stack's outputs. ``index.html`` goes last, after the other files and
    ``config.json``, so that a page never names a module or setting not yet uploaded.
    """
    missing = [key for key in ("WebBucketName", "WebDistributionId", "ApiUrl") if not outputs.get(key)]
    if missing:
        raise DeployError(f"the stack has no output {', '.join(missing)}: run make package, then deploy")
    files = web_files(web_dir)
    if description.WEB_INDEX not in files:
        raise DeployError(f"no {description.WEB_INDEX} in {web_dir}: there is no page to publish")
    bucket = outputs["WebBucketName"]
    s3 = session.client("s3")
    uploads = {key: path.read_bytes() for key, path in files.items()}
    uploads[description.WEB_CONFIG] = json.dumps(web_config(outputs, stage), indent=2).encode() + b"\n"
    order = sorted(uploads, key=lambda key: (key == description.WEB_INDEX, key))
    for key in order:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=uploads[key],
            ContentType=content_type(key),
            CacheControl=cache_control(key),
        )
    kept = {*files, description.WEB_CONFIG}
    stale = sorted(key for key in _keys(s3, bucket) if key not in kept)
    _delete_keys(s3, bucket, stale)
    invalidation = session.client("cloudfront").create_invalidation(
        DistributionId=outputs["WebDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"{stack_name(stage)}-{time.time_ns()}",
        },
    )["Invalidation"]["Id"]
    return Published(order, stale, str(invalidation))


def web_files(web_dir: Path) -> dict[str, Path]:
    """The page's files in ``web_dir`` by key: not dotfiles or what is in dot-folders, not tests, not
    a ``config.json`` of the tree (each stage's is written from its stack)."""
    if not web_dir.is_dir():
        raise DeployError(f"no web app to publish: {web_dir} is not a folder")
    files: dict[str, Path] = {}
    for path in sorted(web_dir.rglob("*")):
        key = PurePosixPath(*path.relative_to(web_dir).parts)
        if not path.is_file() or str(key) == description.WEB_CONFIG:
            continue
        if any(part.startswith(".") for part in key.parts) or _is_test(key):
            continue
        files[str(key)] = path
    return files


def _is_test(key: PurePosixPath) -> bool:
    stem = key.name.split(".", 1)[0]
    return (
        any(part in TEST_FOLDERS for part in key.parts[:-1])
        or stem.startswith("test_")
        or stem.endswith("_test")
        or any(f"{suffix}." in key.name for suffix in TEST_SUFFIXES)
    )


def content_type(key: str) -> str:
    """The Content-Type the web bucket answers ``key`` with (the browser is told not to guess)."""
    suffix = PurePosixPath(key).suffix.lower()
    kind = (
        CONTENT_TYPES.get(suffix) or MIME_TYPES.guess_type(key, strict=False)[0] or "application/octet-stream"
    )
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def cache_control(key: str) -> str:
    """The Cache-Control the web bucket answers ``key`` with: ``no-cache`` for every file, the
    page, its settings and its service worker included (``NO_CACHE``)."""
    return NO_CACHE


def auth_mode(outputs: dict[str, str]) -> str:
    """The deployed stack's mode, from its outputs (a stack from before modes is ID-token mode)."""
    mode = outputs.get(template.AUTH_MODE_OUTPUT) or "id"
    if mode not in description.MODES:
        raise DeployError(f"the stack's {template.AUTH_MODE_OUTPUT} output is {mode!r}, not a mode")
    return mode


def web_config(outputs: dict[str, str], stage: str) -> dict[str, Any]:
    """The stage's ``config.json`` (``infra.web_config``), from the stack's outputs: what the page
    needs to reach the API, Cognito and the bucket.

    ``userPoolClientId`` is the client the page signs in with: the password client in ID-token
    mode, the web OAuth client in scoped mode, where ``oauth`` also says where and how the page
    signs in (the pool's domain, the scopes it asks for, its own address to come back to).
    """
    mode = auth_mode(outputs)
    web_client = template.OAUTH_CLIENT_OUTPUTS["web"]
    wanted = ["ApiUrl", template.WS_URL_OUTPUT, "Region", "UserPoolId"]
    wanted += ["UserPoolClientId"] if mode == "id" else [template.AUTH_DOMAIN_OUTPUT, web_client, "WebUrl"]
    missing = [key for key in wanted if not outputs.get(key)]
    if missing:
        raise DeployError(f"the stack has no output {', '.join(missing)}: run make package, then deploy")
    # The pool's region: the stack's, unless the stage names an existing pool elsewhere.
    prefix, separator, _ = outputs["UserPoolId"].partition("_")
    pool_region = prefix if separator and prefix else outputs["Region"]
    oauth = None
    if mode == "scoped":
        oauth = description.web_oauth(
            outputs[template.AUTH_DOMAIN_OUTPUT], outputs[web_client], outputs["WebUrl"]
        )
    return build_web_config(
        api_url=outputs["ApiUrl"],
        ws_url=outputs[template.WS_URL_OUTPUT],
        region=pool_region,
        user_pool_id=outputs["UserPoolId"],
        client_id=outputs["UserPoolClientId" if mode == "id" else web_client],
        mode=mode,
        max_attachment_bytes=max_attachment_bytes(stage),
        oauth=oauth,
    )


def max_attachment_bytes(stage: str) -> int:
    """The stage's largest file (``.chalice/config.json``); raises DeployError naming a bad value."""
    try:
        return stages.max_attachment_bytes(stage)
    except stages.StageConfigError as error:
        raise DeployError(str(error)) from error


def _keys(s3: Any, bucket: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(str(item["Key"]) for item in page.get("Contents", []))
    return keys


def _delete_keys(s3: Any, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        errors = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True}).get("Errors")
        if errors:
            raise DeployError(
                f"could not delete {errors[0].get('Key')} from {bucket}: {errors[0].get('Message')}"
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


def stage_outputs(cloudformation: Any, stage: str) -> dict[str, str] | None:
    """The outputs of ``stage``'s stack, or None when it has no stack."""
    try:
        return _outputs(cloudformation, stack_name(stage))
    except cloudformation.exceptions.ClientError:
        return None


def required_outputs(cloudformation: Any, stage: str, output: str, lacking: str) -> dict[str, str]:
    """The outputs of ``stage``'s stack, which must hold ``output``. Raises DeployError saying what
    to do: deploy the stage, or deploy it again when its stack has no ``output`` (it has no
    ``lacking``, what the output stands for)."""
    name = stack_name(stage)
    outputs = stage_outputs(cloudformation, stage)
    if outputs is None:
        raise DeployError(f"no stack {name}: deploy it with make deploy STAGE={stage}")
    if output not in outputs:
        raise DeployError(f"stack {name} has no {lacking}: deploy it again with make deploy STAGE={stage}")
    return outputs


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
                f"{stack_name(args.stage)} deleted, with the web app's bucket and distribution; its notes, "
                "trash and account tables and attachments bucket (and prod's user pool) are retained."
            )
            return 0
        outputs = deploy(args.stage, session, ROOT / "build" / args.stage)
        published = publish_web(session, outputs, WEB, args.stage)
    except DeployError as error:
        print(f"make deploy: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # credentials, permissions, throttling: one line, not a traceback
        print(f"make deploy: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(
        f"web app: {len(published.uploaded)} files uploaded, {len(published.deleted)} deleted, "
        f"cache invalidation {published.invalidation}"
    )
    for key in CLIENT_OUTPUTS[auth_mode(outputs)]:
        print(f"{key:<18}{outputs.get(key, '?')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
