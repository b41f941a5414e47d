"""Scoped stages: access tokens with OAuth scopes, rendered from a stage's "auth" in .chalice/config.json.

A scoped stage's stack makes the pool's domain, its resource server with the read and the write
scope and the three public OAuth clients; a stage naming an existing pool makes nothing of
Cognito and trusts that pool. Each is checked on the template ``make package`` renders.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from infra import description, package, stages, template
from tests.infra.conftest import Packaged

LINT_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
WEB_PAGE = {"Fn::Sub": "https://${WebDistribution.DomainName}/"}
CLI_CALLBACK = "http://127.0.0.1:8976/callback"
CLIENTS = {"web": "WebClient", "cli": "CliClient", "readOnly": "ReadOnlyClient"}
# Another account's pool, in another region than the stack's.
EXISTING_ARN = "arn:aws:cognito-idp:eu-central-1:210987654321:userpool/eu-central-1_AbCdEf123"
EXISTING_CLIENTS = {
    "web": "3n4b5urk1ft4fl3mg5e62d9ado",
    "cli": "5eh3mnl1ea7lk3g1ho7ep0kh6b",
    "readOnly": "7q9hd2b",
}
EXISTING_DOMAIN = "https://shared-sign-in.auth.eu-central-1.amazoncognito.com"
# What Cognito takes as a domain prefix.
PREFIX_RULE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _lint(text: str) -> list[str]:
    matches = lint(text, config=ManualArgs(regions=LINT_REGIONS, include_checks=["I"]))
    return [str(match) for match in matches if match.rule.id[0] in "EW" or match.rule.id == "I3011"]


def _of_type(cfn: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: resource for name, resource in cfn["Resources"].items() if resource["Type"] == kind}


def _method_scopes(cfn: dict[str, Any]) -> dict[tuple[str, str], Any]:
    paths = cfn["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    return {
        (path, method): operation.get("security")
        for path, methods in paths.items()
        for method, operation in methods.items()
        if method != "options"
    }


def _with_auth(tmp_path: Path, stage: str, auth: Any) -> Path:
    """A copy of .chalice/config.json whose ``stage`` has ``auth``."""
    config = stages.config()
    config["stages"][stage]["auth"] = auth
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture(scope="module")
def prod(packaged: Packaged) -> dict[str, Any]:
    return dict(json.loads(packaged("prod").template.read_text()))


@pytest.fixture(scope="module")
def existing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """prod packaged with an existing pool: another account's, in another region."""
    auth = {"mode": "scoped", "user_pool_arn": EXISTING_ARN, "client_ids": EXISTING_CLIENTS}
    config = _with_auth(tmp_path_factory.mktemp("config"), "prod", {**auth, "domain": EXISTING_DOMAIN + "/"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stages, "CONFIG_FILE", config)
        built = package.package("prod", tmp_path_factory.mktemp("existing"))
    return dict(json.loads(built.template.read_text()))


# ---- the stages' modes ------------------------------------------------------------------------


def test_prod_is_configured_scoped_and_dev_id_token() -> None:
    assert package.stage_auth("prod") == description.Auth(mode="scoped")
    assert package.stage_auth("dev").mode == "id"


def test_dev_stays_id_token_mode_even_with_scopes_in_the_callers_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COGNITO_READ_SCOPES", "notes/read")
    monkeypatch.setenv("COGNITO_WRITE_SCOPES", "notes/write")
    cfn = json.loads(package.package("dev", tmp_path, bytecode=False).template.read_text())
    scopes = _method_scopes(cfn)
    assert scopes.pop(("/health", "get")) is None
    assert scopes.pop(("/shared/{share_id}", "get")) is None
    assert scopes and all(security == [{"NotesUserPool": []}] for security in scopes.values())
    assert not _of_type(cfn, "AWS::Cognito::UserPoolResourceServer")


# ---- what a scoped stage makes ----------------------------------------------------------------


def test_the_scoped_stage_has_the_pools_domain_with_the_classic_hosted_ui(prod: dict[str, Any]) -> None:
    (_name, domain), *others = _of_type(prod, "AWS::Cognito::UserPoolDomain").items()
    assert others == []
    props = domain["Properties"]
    assert props["UserPoolId"] == {"Ref": "UserPool"}
    assert props["Domain"] == {"Fn::Sub": "notes-prod-${AWS::AccountId}"}
    assert props["ManagedLoginVersion"] == 1  # the classic hosted UI: no branding to make
    assert not _of_type(prod, "AWS::Cognito::ManagedLoginBranding")
    assert prod["Outputs"]["AuthDomain"] == {
        "Value": {"Fn::Sub": "https://notes-prod-${AWS::AccountId}.auth.${AWS::Region}.amazoncognito.com"}
    }
    assert prod["Outputs"]["AuthMode"] == {"Value": "scoped"}


@pytest.mark.parametrize("stage", description.DEPLOYED_STAGES)
def test_the_default_domain_prefix_is_one_cognito_takes(stage: str) -> None:
    prefix = template.domain_prefix(stage, description.Auth(mode="scoped"))
    for account in ("000000000000", "123456789012", "999999999999"):
        rendered = prefix.replace("${AWS::AccountId}", account)
        assert PREFIX_RULE.fullmatch(rendered) and len(rendered) <= 63, rendered
        assert not [word for word in ("aws", "amazon", "cognito") if word in rendered]
    assert stage in prefix  # one per stage, and per account


def test_a_configured_domain_prefix_names_the_domain() -> None:
    auth = description.auth("prod", {"mode": "scoped", "domain_prefix": "my-notes-1"})
    merged = template.merge_template("prod", auth=auth)
    assert merged["Resources"]["UserPoolDomain"]["Properties"]["Domain"] == "my-notes-1"
    domain = "https://my-notes-1.auth.${AWS::Region}.amazoncognito.com"
    assert merged["Outputs"]["AuthDomain"] == {"Value": {"Fn::Sub": domain}}
    policy = merged["Resources"]["WebResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    csp = policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    assert f" {domain} " in csp


def test_the_resource_server_defines_the_read_and_the_write_scope(prod: dict[str, Any]) -> None:
    (server,) = _of_type(prod, "AWS::Cognito::UserPoolResourceServer").values()
    props = server["Properties"]
    assert props["UserPoolId"] == {"Ref": "UserPool"}
    assert props["Identifier"] == "notes"
    scopes = {f"{props['Identifier']}/{scope['ScopeName']}" for scope in props["Scopes"]}
    assert scopes == {"notes/read", "notes/write"}
    assert all(scope["ScopeDescription"] for scope in props["Scopes"])


def test_the_three_oauth_clients_are_public_code_flow_clients(prod: dict[str, Any]) -> None:
    clients = _of_type(prod, "AWS::Cognito::UserPoolClient")
    assert sorted(clients) == sorted(CLIENTS.values())
    (server_name,) = _of_type(prod, "AWS::Cognito::UserPoolResourceServer")
    server = prod["Resources"][server_name]["Properties"]
    defined = {f"{server['Identifier']}/{scope['ScopeName']}" for scope in server["Scopes"]}
    for kind, name in CLIENTS.items():
        client = clients[name]
        props = client["Properties"]
        assert props["UserPoolId"] == {"Ref": "UserPool"}, kind
        assert props["GenerateSecret"] is False, kind
        assert props["AllowedOAuthFlows"] == ["code"], kind
        assert props["AllowedOAuthFlowsUserPoolClient"] is True, kind
        assert props["SupportedIdentityProviders"] == ["COGNITO"], kind
        assert props["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"], kind
        # A client naming a scope the resource server has not made yet fails to create.
        assert server_name in client["DependsOn"], kind
        resource_scopes = {scope for scope in props["AllowedOAuthScopes"] if "/" in scope}
        assert resource_scopes <= defined, kind
        assert "openid" in props["AllowedOAuthScopes"], kind
        assert props["ClientName"] == f"notes-prod-oauth-{kind}"
    web, cli, read_only = (clients[CLIENTS[kind]]["Properties"] for kind in ("web", "cli", "readOnly"))
    assert sorted(web["AllowedOAuthScopes"]) == sorted(
        ["openid", "email", "aws.cognito.signin.user.admin", "notes/read", "notes/write"]
    )
    assert sorted(cli["AllowedOAuthScopes"]) == sorted(
        ["openid", "email", "aws.cognito.signin.user.admin", "notes/read", "notes/write"]
    )
    assert sorted(read_only["AllowedOAuthScopes"]) == ["notes/read", "openid"]  # never the write scope
    # The page signs in and out at its own address; the CLI and read-only tools at the CLI's
    # loopback callback.
    assert web["CallbackURLs"] == web["LogoutURLs"] == [WEB_PAGE]
    assert cli["CallbackURLs"] == cli["LogoutURLs"] == [CLI_CALLBACK]
    assert read_only["CallbackURLs"] == [CLI_CALLBACK]


def test_the_function_takes_the_three_clients_tokens_and_the_scopes(prod: dict[str, Any]) -> None:
    variables = prod["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["COGNITO_APP_CLIENT_IDS"] == {
        "Fn::Join": [",", [{"Ref": "WebClient"}, {"Ref": "CliClient"}, {"Ref": "ReadOnlyClient"}]]
    }
    assert variables["COGNITO_READ_SCOPES"] == "notes/read"
    assert variables["COGNITO_WRITE_SCOPES"] == "notes/write"
    assert {kind: prod["Outputs"][f"{name}Id"] for kind, name in CLIENTS.items()} == {
        kind: {"Value": {"Ref": name}} for kind, name in CLIENTS.items()
    }


def test_each_method_takes_the_scope_of_its_kind_and_health_none(prod: dict[str, Any]) -> None:
    scopes = _method_scopes(prod)
    assert scopes.pop(("/health", "get")) is None
    assert scopes.pop(("/shared/{share_id}", "get")) is None  # a shared note's link: no token
    assert scopes
    for (path, method), security in scopes.items():
        wanted = "notes/read" if method == "get" else "notes/write"
        assert security == [{"NotesUserPool": [wanted]}], (path, method)


def test_the_page_may_call_the_pools_domain(prod: dict[str, Any]) -> None:
    policy = prod["Resources"]["WebResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    csp = policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    (connect,) = [d.split()[1:] for d in csp.split(";") if d.split()[0] == "connect-src"]
    assert "https://notes-prod-${AWS::AccountId}.auth.${AWS::Region}.amazoncognito.com" in connect
    assert not [source for source in connect if "*.auth." in source or source.endswith("amazoncognito.com/")]


# ---- an existing pool -------------------------------------------------------------------------


def test_an_existing_pool_makes_nothing_of_cognito_and_is_the_one_trusted(existing: dict[str, Any]) -> None:
    assert [name for name, r in existing["Resources"].items() if r["Type"].startswith("AWS::Cognito::")] == []
    assert '"UserPool"' not in json.dumps(existing)  # nothing refers to a pool of the stack
    definitions = existing["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["securityDefinitions"]
    authorizer = definitions["NotesUserPool"]["x-amazon-apigateway-authorizer"]
    assert authorizer == {"type": "cognito_user_pools", "providerARNs": [EXISTING_ARN]}
    variables = existing["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["COGNITO_USER_POOL_ARN"] == EXISTING_ARN
    assert variables["COGNITO_APP_CLIENT_IDS"] == ",".join(EXISTING_CLIENTS[kind] for kind in CLIENTS)
    assert (variables["COGNITO_READ_SCOPES"], variables["COGNITO_WRITE_SCOPES"]) == (
        "notes/read",
        "notes/write",
    )
    for (path, method), security in _method_scopes(existing).items():
        if path not in ("/health", "/shared/{share_id}"):
            assert security == [{"NotesUserPool": ["notes/read" if method == "get" else "notes/write"]}]


def test_an_existing_pools_outputs_name_it_its_domain_and_clients(existing: dict[str, Any]) -> None:
    outputs = existing["Outputs"]
    assert outputs["UserPoolId"] == {"Value": "eu-central-1_AbCdEf123"}
    assert outputs["AuthMode"] == {"Value": "scoped"}
    assert outputs["AuthDomain"] == {"Value": EXISTING_DOMAIN}  # no trailing slash
    assert {kind: outputs[f"{name}Id"]["Value"] for kind, name in CLIENTS.items()} == EXISTING_CLIENTS
    # The page reaches that pool's domain and its region's Cognito.
    policy = existing["Resources"]["WebResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    csp = policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    (connect,) = [d.split()[1:] for d in csp.split(";") if d.split()[0] == "connect-src"]
    assert EXISTING_DOMAIN in connect and "https://cognito-idp.eu-central-1.amazonaws.com" in connect


def test_templates_are_lint_clean_with_an_existing_pool(existing: dict[str, Any]) -> None:
    assert _lint(json.dumps(existing)) == []


def test_an_id_token_stage_may_use_an_existing_pool_too() -> None:
    auth = description.auth("dev", {"user_pool_arn": EXISTING_ARN, "client_ids": {"password": "2bq1tp9n"}})
    merged = template.merge_template("dev", auth=auth)
    assert [
        name for name, r in merged["Resources"].items() if r.get("Type", "").startswith("AWS::Cognito::")
    ] == []
    variables = merged["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert (variables["COGNITO_USER_POOL_ARN"], variables["COGNITO_APP_CLIENT_IDS"]) == (
        EXISTING_ARN,
        "2bq1tp9n",
    )
    assert "COGNITO_READ_SCOPES" not in variables
    authorizer = merged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["securityDefinitions"]
    assert authorizer["NotesUserPool"]["x-amazon-apigateway-authorizer"]["providerARNs"] == [EXISTING_ARN]
    # Only that client's ID tokens: not those of the pool's other applications.
    expression = authorizer["NotesUserPool"]["x-amazon-apigateway-authorizer"]["identityValidationExpression"]
    assert re.search(expression, "2bq1tp9n") and not re.search(expression, "2bq1tp9nX")
    assert not re.search(expression, "another-client")
    outputs = merged["Outputs"]
    assert (outputs["UserPoolClientId"], outputs["AuthMode"]) == ({"Value": "2bq1tp9n"}, {"Value": "id"})
    assert "AuthDomain" not in outputs


# ---- the stage's auth settings ----------------------------------------------------------------

VALID_ARN = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc123"
EXISTING = {
    "mode": "scoped",
    "user_pool_arn": VALID_ARN,
    "client_ids": EXISTING_CLIENTS,
    "domain": EXISTING_DOMAIN,
}


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ("scoped", "auth of stage prod must be an object"),
        ({"mode": "oauth"}, "mode"),
        ({"mode": "scoped", "prefix": "notes"}, "unknown auth settings for stage prod: prefix"),
        ({"mode": "scoped", "domain_prefix": "Notes"}, "domain_prefix"),
        ({"mode": "scoped", "domain_prefix": "-notes"}, "domain_prefix"),
        ({"mode": "scoped", "domain_prefix": "notes_prod"}, "domain_prefix"),
        ({"mode": "scoped", "domain_prefix": "x" * 64}, "domain_prefix"),
        ({"mode": "scoped", "domain_prefix": "my-aws-notes"}, "domain_prefix"),
        ({"mode": "scoped", "domain_prefix": "amazonnotes"}, "domain_prefix"),
        ({"mode": "scoped", "domain_prefix": "notes-cognito"}, "domain_prefix"),
        ({"mode": "scoped", "domain_prefix": 7}, "domain_prefix"),
        ({"mode": "id", "domain_prefix": "notes-dev"}, "domain_prefix"),
        ({**EXISTING, "domain_prefix": "notes"}, "domain_prefix"),
        ({**EXISTING, "user_pool_arn": "eu-west-1_Abc123"}, "user_pool_arn"),
        (
            {**EXISTING, "user_pool_arn": VALID_ARN.replace("userpool/eu-west-1", "userpool/us-east-1")},
            "user_pool_arn",
        ),
        ({"mode": "scoped", "client_ids": EXISTING_CLIENTS}, "client_ids"),
        ({"mode": "scoped", "domain": EXISTING_DOMAIN}, "domain"),
        ({**EXISTING, "client_ids": None}, "client_ids"),
        ({**EXISTING, "client_ids": {"web": "a1", "cli": "b2"}}, "client_ids"),
        ({**EXISTING, "client_ids": {**EXISTING_CLIENTS, "admin": "c3"}}, "client_ids"),
        ({**EXISTING, "client_ids": {**EXISTING_CLIENTS, "readOnly": EXISTING_CLIENTS["cli"]}}, "client_ids"),
        ({**EXISTING, "client_ids": {**EXISTING_CLIENTS, "web": "not an id"}}, "client_ids"),
        ({**EXISTING, "domain": None}, "domain"),
        ({**EXISTING, "domain": "http://sign-in.example.com"}, "domain"),
        ({**EXISTING, "domain": "https://sign-in.example.com/login"}, "domain"),
        ({**EXISTING, "domain": "sign-in.example.com"}, "domain"),
        ({"user_pool_arn": VALID_ARN, "client_ids": EXISTING_CLIENTS}, "client_ids"),  # id mode: password
        ({"user_pool_arn": VALID_ARN, "client_ids": {"password": "a1"}, "domain": EXISTING_DOMAIN}, "domain"),
    ],
)
def test_a_bad_auth_setting_is_refused_by_name(given: Any, named: str) -> None:
    with pytest.raises(ValueError, match=re.escape(named)):
        description.auth("prod", given)


def test_packaging_names_the_bad_setting_and_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        stages, "CONFIG_FILE", _with_auth(tmp_path, "prod", {"mode": "scoped", "domain_prefix": "AWS"})
    )
    with pytest.raises(
        RuntimeError, match=r"domain_prefix of stage prod .*\(\.chalice/config\.json, stages\.prod\.auth\)"
    ):
        package.package("prod", tmp_path / "out")
    assert not (tmp_path / "out" / "package").exists()


def test_good_auth_settings_are_read_as_given() -> None:
    assert description.auth("dev", None) == description.auth("dev", {}) == description.Auth(mode="id")
    assert description.auth("dev", {"mode": "id"}) == description.Auth()
    assert (
        description.auth("prod", {"mode": "scoped", "domain_prefix": "my-notes-1"}).domain_prefix
        == "my-notes-1"
    )
    given = description.auth("prod", {**EXISTING, "domain": "https://Sign-In.Example.com/"})
    assert given.domain == "https://sign-in.example.com"
    assert (given.scoped, given.existing_pool, given.user_pool_id, given.user_pool_region) == (
        True,
        True,
        "eu-west-1_Abc123",
        "eu-west-1",
    )
    assert given.client_ids == EXISTING_CLIENTS


def test_a_stand_in_the_merge_leaves_fails_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The scopes are real values, not stand-ins: a scoped package passes the check (above); a
    # merge that does not replace the authorizer's stand-in pool fails it.
    render = template.merge_template

    def without_the_authorizer(*args: Any, **kwargs: Any) -> dict[str, Any]:
        merged = render(*args, **kwargs)
        del merged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["securityDefinitions"]
        return merged

    monkeypatch.setattr(template, "merge_template", without_the_authorizer)
    with pytest.raises(RuntimeError, match=r"packaging stand-ins.*userpool/us-east-1_packaging"):
        package.package("prod", tmp_path, bytecode=False)
