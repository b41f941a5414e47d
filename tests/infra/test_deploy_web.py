"""`make deploy` publishes the web app: S3 and CloudFront in-process, the stack's outputs given.

The stack is not created here (the emulator cannot run the SAM transform); its outputs are
passed in, as ``deploy.deploy`` returns them after the stack update.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra import deploy, stages
from tests.conftest import WEB_RULES, aws_client

REVALIDATE = "no-cache"  # every file is revalidated: names carry no hash


class Session:
    region_name = "us-east-1"

    def __init__(self, cloudformation: Any = None) -> None:
        self.cloudformation = cloudformation

    def client(self, service: str) -> Any:
        if service == "cloudformation":
            return self.cloudformation
        return aws_client(service)


def _distribution() -> str:
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "the web app",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "web-bucket",
                    "DomainName": "web.s3.us-east-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "web-bucket",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    return str(aws_client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"])


@pytest.fixture
def outputs(aws_stack: Any) -> dict[str, str]:
    """A deployed stack's outputs, with a new, empty web bucket and a distribution."""
    bucket = f"notes-dev-webbucket-{uuid.uuid4().hex[:12]}"
    aws_client("s3").create_bucket(Bucket=bucket)
    return {
        "EndpointURL": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/api/",
        "ApiUrl": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/api",
        "WsUrl": "wss://f6g7h8i9j0.execute-api.us-east-1.amazonaws.com/api",
        "Region": "us-east-1",
        "AuthMode": "id",
        "UserPoolId": "us-east-1_Pool",
        "UserPoolClientId": "client",
        "TableName": "notes-dev",
        "BucketName": "notes-dev-attachmentsbucket-1x2y3z",
        "WebUrl": "https://d111111abcdef8.cloudfront.net",
        "WebBucketName": bucket,
        "WebDistributionId": _distribution(),
    }


@pytest.fixture
def web(tmp_path: Path) -> Path:
    """A web app's folder, with what must not be published beside what must."""
    folder = tmp_path / "web"
    files = {
        "index.html": "<!doctype html><script type=module src=app.js></script>",
        "app.js": "import './lib/notes.js';",
        "lib/notes.js": "export const notes = [];",
        "style.css": "body { margin: 0 }",
        "icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "manifest.webmanifest": "{}",
        "sw.js": "self.addEventListener('fetch', () => {});",
        # Not the page's:
        "config.json": '{"apiUrl": "http://127.0.0.1:8000"}',
        ".env": "SECRET=1",
        ".cache/app.js": "stale",
        "app.test.js": "test()",
        "lib/notes.spec.js": "test()",
        "tests/page.js": "test()",
    }
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def _objects(bucket: str) -> dict[str, dict[str, Any]]:
    s3 = aws_client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key) for key in keys}


def test_the_pages_files_are_uploaded_with_their_types_and_caching(
    outputs: dict[str, str], web: Path
) -> None:
    assert sorted(deploy.web_files(web)) == [
        "app.js",
        "icon.svg",
        "index.html",
        "lib/notes.js",
        "manifest.webmanifest",
        "style.css",
        "sw.js",
    ]
    published = deploy.publish_web(Session(), outputs, web, "dev")
    objects = _objects(outputs["WebBucketName"])
    assert {key: (item["ContentType"], item["CacheControl"]) for key, item in objects.items()} == {
        "index.html": ("text/html; charset=utf-8", "no-cache"),
        "config.json": ("application/json", "no-cache"),
        "app.js": ("text/javascript; charset=utf-8", REVALIDATE),
        "lib/notes.js": ("text/javascript; charset=utf-8", REVALIDATE),
        "style.css": ("text/css; charset=utf-8", REVALIDATE),
        "icon.svg": ("image/svg+xml", REVALIDATE),
        "manifest.webmanifest": ("application/manifest+json", REVALIDATE),
        # The service worker: a script, revalidated like the page, so a deploy reaches the next load.
        "sw.js": ("text/javascript; charset=utf-8", "no-cache"),
    }
    assert objects["lib/notes.js"]["Body"].read() == (web / "lib" / "notes.js").read_bytes()
    assert objects["index.html"]["Body"].read() == (web / "index.html").read_bytes()
    # The page last: it never names a module not yet uploaded.
    assert published.uploaded[-1] == "index.html"
    assert sorted(published.uploaded) == sorted(objects)
    assert published.deleted == []


def test_config_json_holds_the_stages_values_not_the_trees(outputs: dict[str, str], web: Path) -> None:
    deploy.publish_web(Session(), outputs, web, "dev")
    config = json.loads(_objects(outputs["WebBucketName"])["config.json"]["Body"].read())
    assert config == {
        "apiUrl": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/api",
        "wsUrl": "wss://f6g7h8i9j0.execute-api.us-east-1.amazonaws.com/api",
        "region": "us-east-1",
        "mode": "id",
        "userPoolId": "us-east-1_Pool",
        "userPoolClientId": "client",
        "cognitoEndpoint": "https://cognito-idp.us-east-1.amazonaws.com/",
        "maxAttachmentBytes": 10 * 1024 * 1024,
        **WEB_RULES,
    }


def scoped(outputs: dict[str, str]) -> dict[str, str]:
    """A scoped stack's outputs: its mode, the pool's domain and the three OAuth clients, no
    password client."""
    given = {key: value for key, value in outputs.items() if key != "UserPoolClientId"}
    return {
        **given,
        "AuthMode": "scoped",
        "AuthDomain": "https://notes-prod-123456789012.auth.us-east-1.amazoncognito.com",
        "WebClientId": "webclient",
        "CliClientId": "cliclient",
        "ReadOnlyClientId": "readonlyclient",
    }


def test_a_scoped_stages_config_json_says_where_and_how_the_page_signs_in(
    outputs: dict[str, str], web: Path
) -> None:
    deploy.publish_web(Session(), scoped(outputs), web, "prod")
    config = json.loads(_objects(outputs["WebBucketName"])["config.json"]["Body"].read())
    assert config == {
        "apiUrl": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/api",
        "wsUrl": "wss://f6g7h8i9j0.execute-api.us-east-1.amazonaws.com/api",
        "region": "us-east-1",
        "mode": "scoped",
        "userPoolId": "us-east-1_Pool",
        "userPoolClientId": "webclient",
        "cognitoEndpoint": "https://cognito-idp.us-east-1.amazonaws.com/",
        "oauth": {
            "domain": "https://notes-prod-123456789012.auth.us-east-1.amazoncognito.com",
            "clientId": "webclient",
            "scopes": "openid email aws.cognito.signin.user.admin notes/read notes/write",
            "redirectUri": "https://d111111abcdef8.cloudfront.net/",
            "logoutUri": "https://d111111abcdef8.cloudfront.net/",
            "passwordScope": "aws.cognito.signin.user.admin",
        },
        "maxAttachmentBytes": 10 * 1024 * 1024,
        **WEB_RULES,
    }


def test_an_existing_pool_in_another_region_is_reached_in_its_region(outputs: dict[str, str]) -> None:
    given = {
        **scoped(outputs),
        "UserPoolId": "eu-central-1_AbCdEf123",
        "AuthDomain": "https://sign-in.example.com/",
    }
    config = deploy.web_config(given, "prod")
    assert (config["region"], config["cognitoEndpoint"]) == (
        "eu-central-1",
        "https://cognito-idp.eu-central-1.amazonaws.com/",
    )
    assert config["oauth"]["domain"] == "https://sign-in.example.com"  # no trailing slash


@pytest.mark.parametrize("missing", ["AuthDomain", "WebClientId", "WebUrl"])
def test_a_scoped_stack_without_what_the_page_signs_in_with_is_refused(
    outputs: dict[str, str], web: Path, missing: str
) -> None:
    given = {key: value for key, value in scoped(outputs).items() if key != missing}
    with pytest.raises(deploy.DeployError, match=missing):
        deploy.publish_web(Session(), given, web, "prod")
    assert _objects(outputs["WebBucketName"]) == {}


def test_the_stages_attachment_limit_reaches_config_json(
    outputs: dict[str, str], web: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    (root / ".chalice").mkdir(parents=True)
    settings = {"prod": {"environment_variables": {"ATTACHMENT_MAX_BYTES": "2097152"}}}
    (root / ".chalice" / "config.json").write_text(json.dumps({"stages": settings}))
    monkeypatch.setattr(stages, "CONFIG_FILE", root / ".chalice" / "config.json")
    deploy.publish_web(Session(), outputs, web, "prod")
    config = json.loads(_objects(outputs["WebBucketName"])["config.json"]["Body"].read())
    assert config["maxAttachmentBytes"] == 2 * 1024 * 1024


def test_files_no_longer_in_web_are_deleted(outputs: dict[str, str], web: Path) -> None:
    deploy.publish_web(Session(), outputs, web, "dev")
    (web / "lib" / "notes.js").unlink()
    (web / "app.js").write_text("export {};")
    published = deploy.publish_web(Session(), outputs, web, "dev")
    objects = _objects(outputs["WebBucketName"])
    assert published.deleted == ["lib/notes.js"]
    assert sorted(objects) == [
        "app.js",
        "config.json",
        "icon.svg",
        "index.html",
        "manifest.webmanifest",
        "style.css",
        "sw.js",
    ]
    assert objects["app.js"]["Body"].read() == b"export {};"


def test_the_distributions_cache_is_invalidated(outputs: dict[str, str], web: Path) -> None:
    published = deploy.publish_web(Session(), outputs, web, "dev")
    cloudfront = aws_client("cloudfront")
    invalidation = cloudfront.get_invalidation(
        DistributionId=outputs["WebDistributionId"], Id=published.invalidation
    )["Invalidation"]
    assert invalidation["InvalidationBatch"]["Paths"]["Items"] == ["/*"]


def test_a_folder_without_a_page_or_a_stack_without_the_web_app_is_refused(
    outputs: dict[str, str], web: Path
) -> None:
    (web / "index.html").unlink()
    with pytest.raises(deploy.DeployError, match=r"no index\.html"):
        deploy.publish_web(Session(), outputs, web, "dev")
    with pytest.raises(deploy.DeployError, match="WebBucketName"):
        deploy.publish_web(Session(), {**outputs, "WebBucketName": ""}, web, "dev")
    with pytest.raises(deploy.DeployError, match="not a folder"):
        deploy.publish_web(Session(), outputs, web / "missing", "dev")
    assert _objects(outputs["WebBucketName"]) == {}


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("sw.js", "text/javascript; charset=utf-8"),
        ("lib/worker.mjs", "text/javascript; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("data.json", "application/json"),
        ("logo.png", "image/png"),
        ("font.woff2", "font/woff2"),
        ("blob.unknown-kind", "application/octet-stream"),
    ],
)
def test_content_types(key: str, kind: str) -> None:
    assert deploy.content_type(key) == kind


@pytest.mark.parametrize(
    "key", ["index.html", "config.json", "sw.js", "app.js", "lib/notes.js", "style.css", "vendor/lib.js"]
)
def test_every_file_is_revalidated_the_service_worker_too(key: str) -> None:
    assert deploy.cache_control(key) == "no-cache"


def test_the_vendored_libraries_are_published_as_scripts_with_their_licences() -> None:
    files = deploy.web_files(deploy.WEB)
    vendored = sorted(key for key in files if key.startswith("vendor/"))
    assert vendored == [
        "vendor/dompurify.LICENSE-MPL.txt",
        "vendor/dompurify.LICENSE.txt",
        "vendor/marked.LICENSE.txt",
        "vendor/marked.esm.js",
        "vendor/purify.es.js",
    ]
    assert {key: deploy.content_type(key) for key in vendored} == {
        "vendor/dompurify.LICENSE-MPL.txt": "text/plain; charset=utf-8",
        "vendor/dompurify.LICENSE.txt": "text/plain; charset=utf-8",
        "vendor/marked.LICENSE.txt": "text/plain; charset=utf-8",
        "vendor/marked.esm.js": "text/javascript; charset=utf-8",
        "vendor/purify.es.js": "text/javascript; charset=utf-8",
    }
    assert "markdown.js" in files


class FakeCloudFormation:
    exceptions = type("Exceptions", (), {"ClientError": ClientError})

    def __init__(self, outputs: dict[str, str], s3_objects: Any) -> None:
        self.outputs = outputs
        self.s3_objects = s3_objects
        self.calls: list[str] = []

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        outputs = [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]
        return {"Stacks": [{"StackName": StackName, "StackStatus": "UPDATE_COMPLETE", "Outputs": outputs}]}

    def delete_stack(self, **kwargs: Any) -> None:
        # CloudFormation deletes only empty buckets: by now the web bucket must be.
        self.calls.append(f"delete_stack with {len(self.s3_objects())} objects left")

    def get_waiter(self, name: str) -> Any:
        return type("Waiter", (), {"wait": lambda self, **kwargs: None})()


def test_destroy_empties_the_web_bucket_before_deleting_the_stack(outputs: dict[str, str], web: Path) -> None:
    deploy.publish_web(Session(), outputs, web, "dev")
    assert _objects(outputs["WebBucketName"])
    cloudformation = FakeCloudFormation(outputs, lambda: _objects(outputs["WebBucketName"]))
    deploy.destroy("dev", Session(cloudformation))
    assert cloudformation.calls == ["delete_stack with 0 objects left"]


def test_make_deploy_publishes_the_page_and_prints_its_url(
    outputs: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    published: list[tuple[dict[str, str], Path, str]] = []

    def publish(session: Any, given: dict[str, str], web_dir: Path, stage: str) -> deploy.Published:
        published.append((given, web_dir, stage))
        return deploy.Published(["index.html"], [], "I1")

    monkeypatch.setattr(deploy, "deploy", lambda stage, session, build: outputs)
    monkeypatch.setattr(deploy, "publish_web", publish)
    assert deploy.main(["--stage", "dev"]) == 0
    assert published == [(outputs, deploy.ROOT / "web", "dev")]
    printed = capsys.readouterr().out
    assert f"WebUrl            {outputs['WebUrl']}" in printed.splitlines()
    assert "EndpointURL" in printed
    assert "UserPoolClientId  client" in printed.splitlines()
    assert "AuthMode          id" in printed.splitlines()


def test_a_stack_from_before_modes_is_an_id_token_stage(outputs: dict[str, str]) -> None:
    given = {key: value for key, value in outputs.items() if key != "AuthMode"}
    assert deploy.web_config(given, "dev") == deploy.web_config(outputs, "dev")
    assert deploy.web_config(given, "dev")["mode"] == "id"
    with pytest.raises(deploy.DeployError, match="AuthMode"):
        deploy.web_config({**outputs, "AuthMode": "password"}, "dev")


def test_make_deploy_prints_a_scoped_stages_domain_and_clients(
    outputs: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(deploy, "deploy", lambda stage, session, build: scoped(outputs))
    monkeypatch.setattr(deploy, "publish_web", lambda *args: deploy.Published(["index.html"], [], "I1"))
    assert deploy.main(["--stage", "prod"]) == 0
    printed = capsys.readouterr().out.splitlines()
    for line in (
        "AuthMode          scoped",
        "AuthDomain        https://notes-prod-123456789012.auth.us-east-1.amazoncognito.com",
        "CliClientId       cliclient",
        "WebClientId       webclient",
        "ReadOnlyClientId  readonlyclient",
    ):
        assert line in printed
    assert not [line for line in printed if line.startswith("UserPoolClientId")]  # no password client
