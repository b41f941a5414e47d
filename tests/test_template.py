"""`make package`: the deploy template and Lambda package, built offline and checked."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from infra import description, package, template
from infra.provision import provision
from tests.conftest import aws_client

POOL_ARN = {"Fn::GetAtt": ["UserPool", "Arn"]}
NOTES_ROUTES = [
    ("/me", "get"),
    ("/notes", "get"),
    ("/notes", "post"),
    ("/notes/{note_id}", "get"),
    ("/notes/{note_id}", "put"),
    ("/notes/{note_id}", "patch"),
    ("/notes/{note_id}", "delete"),
]


@pytest.fixture(scope="module", params=description.DEPLOYED_STAGES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any]:
    assert package.WHEELS.is_dir(), "the wheelhouse is made with the virtual environment: run make test"
    stage = request.param
    return stage, package.package(stage, tmp_path_factory.mktemp(stage))


@pytest.fixture(scope="module")
def cfn(built: tuple[str, Any]) -> dict[str, Any]:
    return dict(json.loads(built[1].template.read_text()))


LINT_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]


def test_the_template_is_lint_clean(built: tuple[str, Any]) -> None:
    matches = lint(
        built[1].template.read_text(), config=ManualArgs(regions=LINT_REGIONS, include_checks=["I"])
    )
    assert [str(match) for match in matches if match.rule.id[0] in "EW"] == []
    assert [str(match) for match in matches if match.rule.id == "I3011"] == []  # stateful resources


def test_user_pool_uses_email_as_the_username(built: tuple[str, Any], cfn: dict[str, Any]) -> None:
    stage = built[0]
    pool = cfn["Resources"]["UserPool"]
    props = pool["Properties"]
    assert pool["Type"] == "AWS::Cognito::UserPool"
    assert props["UsernameAttributes"] == ["email"]
    assert props["AutoVerifiedAttributes"] == ["email"]
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(policy[f"Require{kind}"] for kind in ("Uppercase", "Lowercase", "Numbers", "Symbols"))
    assert props["AccountRecoverySetting"]["RecoveryMechanisms"][0]["Name"] == "verified_email"
    if stage == "prod":
        assert props["DeletionProtection"] == "ACTIVE"
        assert pool["DeletionPolicy"] == "Retain"
    else:
        assert props["DeletionProtection"] == "INACTIVE"
        assert pool["DeletionPolicy"] == "Delete"


def test_app_client_has_no_secret(cfn: dict[str, Any]) -> None:
    client = cfn["Resources"]["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["UserPoolId"] == {"Ref": "UserPool"}
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }


def test_table_keys_billing_backups_encryption_and_retention(cfn: dict[str, Any]) -> None:
    table = cfn["Resources"]["NotesTable"]
    props = table["Properties"]
    assert {k["AttributeName"]: k["KeyType"] for k in props["KeySchema"]} == {
        "userId": "HASH",
        "noteId": "RANGE",
    }
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_every_notes_route_is_bound_to_the_stacks_pool_and_health_is_open(cfn: dict[str, Any]) -> None:
    body = cfn["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    definitions = body["securityDefinitions"]
    assert list(definitions) == ["NotesUserPool"]
    authorizer = definitions["NotesUserPool"]["x-amazon-apigateway-authorizer"]
    assert authorizer == {"type": "cognito_user_pools", "providerARNs": [POOL_ARN]}
    for path, method in NOTES_ROUTES:
        assert body["paths"][path][method]["security"] == [{"NotesUserPool": []}], (path, method)
    assert "security" not in body["paths"]["/health"]["get"]
    documented = {(p, m) for p, methods in body["paths"].items() for m in methods if m != "options"}
    assert documented == {*NOTES_ROUTES, ("/health", "get")}


def test_gateway_responses_carry_cors_headers(cfn: dict[str, Any]) -> None:
    responses = cfn["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        headers = responses[kind]["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"].startswith("'")
        assert "Authorization" in headers["Access-Control-Allow-Headers"]


def test_the_function_has_only_the_table_actions_it_uses(cfn: dict[str, Any]) -> None:
    policies = cfn["Resources"]["ApiHandlerRole"]["Properties"]["Policies"]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert len(dynamodb) == 1
    assert set(dynamodb[0]["Action"]) == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
    }
    assert dynamodb[0]["Resource"] == {"Fn::GetAtt": ["NotesTable", "Arn"]}
    actions = [a for s in statements for a in s["Action"]]
    assert not [a for a in actions if a.endswith("*") or a == "dynamodb:Scan"]
    assert all(s["Effect"] == "Allow" for s in statements)


def test_the_function_is_configured_by_reference(cfn: dict[str, Any]) -> None:
    variables = cfn["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["NOTES_TABLE_NAME"] == {"Ref": "NotesTable"}
    assert variables["COGNITO_USER_POOL_ARN"] == POOL_ARN
    assert variables["COGNITO_APP_CLIENT_IDS"] == {"Ref": "UserPoolClient"}
    assert "AWS_REGION" not in variables and "AWS_DEFAULT_REGION" not in variables  # reserved by Lambda
    assert "packaging" not in json.dumps(cfn)


def test_outputs_name_what_a_client_needs(cfn: dict[str, Any]) -> None:
    assert {"EndpointURL", "Region", "UserPoolId", "UserPoolClientId", "TableName"} <= set(cfn["Outputs"])


def test_the_lambda_package_leaves_boto_to_the_runtime_and_still_imports(
    built: tuple[str, Any], tmp_path: Path
) -> None:
    with zipfile.ZipFile(built[1].zip) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "task")
    tops = {name.split("/", 1)[0] for name in names}
    assert {"app.py", "chalicelib", "chalice", "pynamodb", "uuid6"} <= tops
    assert not tops & {"botocore", "boto3", "jwt", "cryptography", "moto", "requests"}
    assert built[1].zip_bytes < 1024 * 1024

    # The Lambda runtime: the package, plus boto3/botocore and their dependencies.
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site = Path(json.__file__).parent  # any stdlib module; site-packages is found below
    packages = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    for name in ("botocore", "boto3", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"):
        (runtime / name).symlink_to(packages / name)
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import app; "
        "print(app.app.app_name, 'chalice.local' in sys.modules, 'jwt' in sys.modules)"
    )
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only
        "AWS_REGION": "eu-west-1",
        "NOTES_TABLE_NAME": "notes-dev",
        "COGNITO_USER_POOL_ARN": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc",
        "COGNITO_APP_CLIENT_IDS": "client",
    }
    result = subprocess.run(
        # -v: the interpreter says where each module's code object came from.
        [sys.executable, "-S", "-v", "-c", code, str(tmp_path / "task"), str(runtime)],
        env=env,
        cwd=site,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["notes", "False", "False"]
    # The package's modules ran from its bytecode: none was compiled from source at import.
    task = str(tmp_path / "task")
    loaded = [line for line in result.stderr.splitlines() if line.startswith(f"# code object from '{task}")]
    assert f"# code object from '{task}/__pycache__/app.{sys.implementation.cache_tag}.pyc'" in loaded, (
        result.stderr
    )
    assert (
        f"# code object from '{task}/pynamodb/__pycache__/models.{sys.implementation.cache_tag}.pyc'"
        in loaded
    )
    assert [line for line in loaded if not line.endswith(".pyc'")] == []


def test_every_module_of_the_lambda_package_is_compiled_for_its_runtime(built: tuple[str, Any]) -> None:
    assert built[1].bytecode
    runtime = json.loads(built[1].template.read_text())["Resources"]["APIHandler"]["Properties"]["Runtime"]
    tag = "cpython-" + runtime.removeprefix("python").replace(".", "")
    with zipfile.ZipFile(built[1].zip) as archive:
        names = set(archive.namelist())
        modules = sorted(name for name in names if name.endswith(".py"))
        missing = [
            name
            for name in modules
            if f"{name.rpartition('/')[0]}/__pycache__/{Path(name).stem}.{tag}.pyc".lstrip("/") not in names
        ]
        assert modules and not missing
        # PEP 552: hash-based and unchecked (flags 0b01), so no source timestamps are compared.
        header = archive.read(f"__pycache__/app.{tag}.pyc")[:8]
        assert int.from_bytes(header[4:8], "little") == 0b01


def test_bytecode_chalice_copies_from_the_working_tree_is_replaced(tmp_path: Path) -> None:
    # What chalice package makes of a working tree that holds bytecode of its own.
    tag = sys.implementation.cache_tag
    made = tmp_path / "deployment.zip"
    with zipfile.ZipFile(made, "w") as archive:
        archive.writestr("chalicelib/notes.py", "NOTE = 1\n")
        archive.writestr(f"chalicelib/__pycache__/notes.{tag}.pyc", b"stale bytecode")
        archive.writestr("botocore/__init__.py", "")
    package._slim(made, bytecode=True)
    with zipfile.ZipFile(made) as archive:
        names = archive.namelist()
        compiled = archive.read(f"chalicelib/__pycache__/notes.{tag}.pyc")
    assert sorted(names) == ["chalicelib/__pycache__/notes." + tag + ".pyc", "chalicelib/notes.py"]
    assert compiled != b"stale bytecode" and compiled[:4] == importlib.util.MAGIC_NUMBER


def test_a_package_without_bytecode_is_sources_only(tmp_path: Path) -> None:
    built = package.package("dev", tmp_path, bytecode=False)
    with zipfile.ZipFile(built.zip) as archive:
        assert not [name for name in archive.namelist() if name.endswith(".pyc")]
    assert not built.bytecode


def test_locally_provisioned_pool_matches_the_template(aws: Any, cfn: dict[str, Any]) -> None:
    stage = "dev"
    made = provision(stage, aws_client("cognito-idp"), aws_client("dynamodb"))
    pool = aws_client("cognito-idp").describe_user_pool(UserPoolId=made.user_pool_id)["UserPool"]
    rendered = template.merge_template(stage)["Resources"]["UserPool"]["Properties"]
    for name, value in rendered.items():
        if name == "UserPoolName":
            assert pool["Name"] == value
        elif name == "Policies":
            assert {k: pool[name]["PasswordPolicy"][k] for k in value["PasswordPolicy"]} == value[
                "PasswordPolicy"
            ]
        else:
            assert pool[name] == value, name
    client = aws_client("cognito-idp").describe_user_pool_client(
        UserPoolId=made.user_pool_id, ClientId=made.user_pool_client_id
    )["UserPoolClient"]
    rendered_client = template.merge_template(stage)["Resources"]["UserPoolClient"]["Properties"]
    assert "ClientSecret" not in client
    for name in ("ExplicitAuthFlows", "AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity"):
        assert client[name] == rendered_client[name], name


def test_the_local_stage_has_the_deployed_pool_settings() -> None:
    def settings(stage: str) -> dict[str, Any]:
        pool = description.user_pool(stage)
        return {k: v for k, v in pool.items() if k not in ("PoolName", "DeletionProtection")}

    assert settings("local") == settings("dev") == settings("prod")
    local_client = {k: v for k, v in description.user_pool_client("local").items() if k != "ClientName"}
    dev_client = {k: v for k, v in description.user_pool_client("dev").items() if k != "ClientName"}
    assert local_client == dev_client


def test_only_deployed_stages_package() -> None:
    with pytest.raises(RuntimeError, match="STAGE=local"):
        package.package("local")
