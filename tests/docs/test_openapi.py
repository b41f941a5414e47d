"""docs/openapi.yaml describes the app's routes: the same operations, path parameters and security.

A route added to ``app.py`` without its operation in the document (or an operation the app does
not serve, or a route whose authorizer the document does not show, or whose scope on a scoped
stage the document does not name) fails here, naming it. The document itself must be valid
OpenAPI. The comparison is also run on altered copies of the
document and of the routes, so that it is known to notice each kind of drift.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import pytest
import yaml
from chalice import CognitoUserPoolAuthorizer
from chalice.app import RouteEntry
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

import app as notes_app
from chalicelib import cursors, settings, storage_layout, validation
from chalicelib.errors import InvalidInput
from infra import description
from tests.conftest import ROOT, STAGE_ENV

DOCUMENT = ROOT / "docs" / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
Routes = Mapping[str, Mapping[str, RouteEntry]]
Operation = tuple[str, str]  # (METHOD, documented path)


def load_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return document


def camel_case(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda match: match[1].upper(), name)


def documented_path(chalice_path: str) -> str:
    """Chalice's ``/notes/{note_id}`` as the document spells it, ``/notes/{noteId}``."""
    return re.sub(r"\{([^}]+)\}", lambda match: "{" + camel_case(match[1]) + "}", chalice_path)


def app_operations(routes: Routes) -> dict[Operation, RouteEntry]:
    return {
        (method.upper(), documented_path(path)): entry
        for path, methods in routes.items()
        for method, entry in methods.items()
    }


def document_operations(document: Mapping[str, Any]) -> dict[Operation, dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def resolve(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local ``$ref`` (``#/components/...``) to what it names."""
    while "$ref" in node:
        target: Any = document
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def path_parameters(document: Mapping[str, Any], path: str, operation: Mapping[str, Any]) -> set[str]:
    declared = [*document["paths"][path].get("parameters", []), *operation.get("parameters", [])]
    resolved = (resolve(document, parameter) for parameter in declared)
    return {parameter["name"] for parameter in resolved if parameter.get("in") == "path"}


def security_problem(
    document: Mapping[str, Any], operation: Mapping[str, Any], entry: RouteEntry
) -> str | None:
    """Why the documented security differs from what the route's authorizer does, or None."""
    requirements = operation.get("security", document.get("security", []))
    # One empty requirement object means "no credentials" as surely as an empty list.
    alternatives = [requirement for requirement in requirements if requirement]
    authorizer = entry.authorizer
    if authorizer is None:
        return "documented with security, served without an authorizer" if alternatives else None
    if not alternatives or len(alternatives) != len(requirements):
        return "served behind an authorizer, documented as needing no credentials"
    if not isinstance(authorizer, CognitoUserPoolAuthorizer):
        return f"served behind an authorizer of an undocumented kind, {type(authorizer).__name__}"
    header = authorizer.to_swagger()["name"]
    schemes = document.get("components", {}).get("securitySchemes", {})
    for requirement in alternatives:
        for name in requirement:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "oauth2":
                continue  # scoped mode's access token, a bearer token in the same header
            if (scheme.get("type"), scheme.get("in"), str(scheme.get("name", "")).lower()) != (
                "apiKey",
                "header",
                str(header).lower(),
            ):
                return f"security scheme {name!r} is not an apiKey in the {header!r} header"
    if all(
        schemes.get(name, {}).get("type") == "oauth2" for requirement in alternatives for name in requirement
    ):
        return "documents no requirement an ID-token stage meets (an apiKey in the header)"
    return None


def misplaced_scopes(document: Mapping[str, Any]) -> list[str]:
    """Every requirement naming scopes of a scheme that has none: OpenAPI 3.0 allows scopes only
    on ``oauth2`` and ``openIdConnect`` schemes (the list "MUST be empty" otherwise)."""
    schemes = document.get("components", {}).get("securitySchemes", {})
    found = []
    for (method, path), operation in sorted(document_operations(document).items()):
        for requirement in operation.get("security", document.get("security", [])):
            for name, scopes in requirement.items():
                kind = schemes.get(name, {}).get("type")
                if scopes and kind not in ("oauth2", "openIdConnect"):
                    found.append(f"{method} {path}: scheme {name!r} ({kind}) names scopes {scopes}")
    return found


def scoped_routes() -> dict[Operation, list[str]]:
    """The scopes each route behind an authorizer takes on a scoped stage: the app imported, in a
    new interpreter, with the scoped stage's read and write scopes."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        **STAGE_ENV,
        "COGNITO_READ_SCOPES": description.READ_SCOPE,
        "COGNITO_WRITE_SCOPES": description.WRITE_SCOPE,
    }
    code = (
        "import json, app; print(json.dumps([[m, p, e.authorizer.scopes] for p, ms in app.app.routes.items()"
        " for m, e in ms.items() if e.authorizer is not None]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return {(method.upper(), documented_path(path)): scopes for method, path, scopes in found}


def scope_problems(document: Mapping[str, Any], scoped: Mapping[Operation, list[str]]) -> list[str]:
    """Every operation whose documented scopes are not those its route takes on a scoped stage."""
    found = []
    for key, operation in sorted(document_operations(document).items()):
        requirements = operation.get("security", document.get("security", []))
        documented = sorted(
            {scope for requirement in requirements for scopes in requirement.values() for scope in scopes}
        )
        wanted = sorted(scoped.get(key, []))
        if documented != wanted:
            method, path = key
            found.append(f"{method} {path}: documents scopes {documented}, a scoped stage takes {wanted}")
    return found


def problems(document: Mapping[str, Any], routes: Routes) -> list[str]:
    """Every difference between the document and the app's routes, one line each."""
    served = app_operations(routes)
    documented = document_operations(document)
    found = [
        f"{method} {path}: served, not documented" for method, path in sorted(served.keys() - documented)
    ]
    found += [
        f"{method} {path}: documented, not served" for method, path in sorted(documented.keys() - served)
    ]
    for key in sorted(served.keys() & documented):
        method, path = key
        entry, operation = served[key], documented[key]
        expected = {camel_case(name) for name in entry.view_args}
        declared = path_parameters(document, path, operation)
        if declared != expected:
            found.append(
                f"{method} {path}: path parameters {sorted(declared)}, the route has {sorted(expected)}"
            )
        problem = security_problem(document, operation, entry)
        if problem:
            found.append(f"{method} {path}: {problem}")
        responses = operation.get("responses", {})
        if entry.authorizer is not None and "401" not in responses:
            found.append(f"{method} {path}: behind an authorizer, but 401 is not documented")
        if entry.content_types and "415" not in responses:
            # Chalice answers 415 on every route with content types, whatever the method.
            found.append(f"{method} {path}: Chalice may answer 415, which is not documented")
        accepted = {media_type.lower() for media_type in entry.content_types}
        body = resolve(document, operation.get("requestBody", {}))
        for media_type in body.get("content", {}):
            if media_type.lower() not in accepted:
                found.append(f"{method} {path}: request body {media_type} is refused by the route")
    return found


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_document()


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")


def test_the_document_describes_every_route_and_only_the_routes(document: dict[str, Any]) -> None:
    assert problems(document, notes_app.app.routes) == []


def test_every_authorizer_is_the_documented_cognito_scheme(document: dict[str, Any]) -> None:
    # The comparison above accepts any scheme of the right shape; this pins the one scheme by name.
    scheme = document["components"]["securitySchemes"]["CognitoUserPool"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    # As API Gateway imports a Cognito user pool authorizer.
    assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "cognito_user_pools"
    (arn,) = authorizer["providerARNs"]
    assert re.fullmatch(r"arn:aws:cognito-idp:([a-z0-9-]+):\d{12}:userpool/\1_\w+", arn), arn
    # ID tokens of the stage's own clients only: API Gateway matches the expression against aud.
    expression = authorizer["identityValidationExpression"]
    (client,) = re.findall(r"\w{20,}", expression)
    assert re.search(expression, client) and not re.search(expression, f"{client}0")
    assert not re.search(expression, "another0client0of0the0pool")
    # Scoped mode's access token: the pool's OAuth 2.0 endpoints, the API's two scopes.
    scoped = document["components"]["securitySchemes"]["CognitoScopes"]
    assert scoped["type"] == "oauth2"
    assert set(scoped["flows"]) == {"authorizationCode"}
    assert set(scoped["flows"]["authorizationCode"]["scopes"]) == {
        description.READ_SCOPE,
        description.WRITE_SCOPE,
    }
    assert document["paths"]["/health"]["get"]["security"] == []
    # Each operation names its requirement itself: none falls back on a document-wide one.
    assert "security" not in document
    assert all("security" in operation for operation in document_operations(document).values())


@pytest.fixture(scope="module")
def scoped() -> dict[Operation, list[str]]:
    return scoped_routes()


def test_every_operation_names_the_scope_its_route_takes_on_a_scoped_stage(
    document: dict[str, Any], scoped: dict[Operation, list[str]]
) -> None:
    assert scope_problems(document, scoped) == []
    # The contract: reading takes the read scope, everything else the write scope.
    assert scoped
    for (method, path), scopes in scoped.items():
        wanted = description.READ_SCOPE if method == "GET" else description.WRITE_SCOPE
        assert scopes == [wanted], (method, path)
        # One requirement per mode: the ID token, no scope; the access token with the scope.
        assert document["paths"][path][method.lower()]["security"] == [
            {"CognitoUserPool": []},
            {"CognitoScopes": [wanted]},
        ]


def test_only_oauth2_requirements_name_scopes(document: dict[str, Any]) -> None:
    assert misplaced_scopes(document) == []
    # As the document once was: scopes on the apiKey scheme, which an import reads as scoped.
    changed = copy.deepcopy(document)
    changed["paths"]["/me"]["get"]["security"] = [{"CognitoUserPool": [description.READ_SCOPE]}]
    assert misplaced_scopes(changed) == [
        "GET /me: scheme 'CognitoUserPool' (apiKey) names scopes ['notes/read']"
    ]


def test_an_operation_without_the_id_token_requirement_is_named(document: dict[str, Any]) -> None:
    changed = copy.deepcopy(document)
    changed["paths"]["/me"]["get"]["security"] = [{"CognitoScopes": [description.READ_SCOPE]}]
    assert problems(changed, notes_app.app.routes) == [
        "GET /me: documents no requirement an ID-token stage meets (an apiKey in the header)"
    ]


@pytest.mark.parametrize(("path", "method"), [("/notes", "get"), ("/trash", "get")])
def test_an_empty_cursor_is_outside_the_document_as_the_app_refuses_it(
    document: dict[str, Any], path: str, method: str
) -> None:
    (cursor,) = [
        resolve(document, parameter)
        for parameter in document["paths"][path][method]["parameters"]
        if resolve(document, parameter)["name"] == "cursor"
    ]
    assert cursor["schema"]["minLength"] >= 1
    assert re.fullmatch(cursor["schema"]["pattern"].strip("^$"), "") is None
    with pytest.raises(InvalidInput, match="'cursor'"):
        cursors.decode_cursor("someone", "")


def test_a_wrong_or_missing_scope_is_named(
    document: dict[str, Any], scoped: dict[Operation, list[str]]
) -> None:
    changed = copy.deepcopy(document)
    changed["paths"]["/notes/{noteId}"]["delete"]["security"] = [
        {"CognitoUserPool": []},
        {"CognitoScopes": ["notes/read"]},
    ]
    changed["paths"]["/me"]["get"]["security"] = [{"CognitoUserPool": []}]
    assert scope_problems(changed, scoped) == [
        "DELETE /notes/{noteId}: documents scopes ['notes/read'], a scoped stage takes ['notes/write']",
        "GET /me: documents scopes [], a scoped stage takes ['notes/read']",
    ]


def without_operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    del changed["paths"][path][method]
    return changed


def test_an_undocumented_route_is_named(document: dict[str, Any]) -> None:
    changed = without_operation(document, "patch", "/notes/{noteId}")
    assert problems(changed, notes_app.app.routes) == ["PATCH /notes/{noteId}: served, not documented"]


def test_an_operation_the_app_does_not_serve_is_named(document: dict[str, Any]) -> None:
    routes = {path: dict(methods) for path, methods in notes_app.app.routes.items()}
    del routes["/me"]["GET"]
    assert problems(document, routes) == ["GET /me: documented, not served"]


def test_a_route_without_its_authorizer_is_named(document: dict[str, Any]) -> None:
    routes = {path: dict(methods) for path, methods in notes_app.app.routes.items()}
    routes["/notes/{note_id}"]["DELETE"] = copy.copy(routes["/notes/{note_id}"]["DELETE"])
    routes["/notes/{note_id}"]["DELETE"].authorizer = None
    assert problems(document, routes) == [
        "DELETE /notes/{noteId}: documented with security, served without an authorizer"
    ]


def test_an_operation_documented_without_security_is_named(document: dict[str, Any]) -> None:
    changed = copy.deepcopy(document)
    changed["paths"]["/me"]["get"]["security"] = [{}]
    assert problems(changed, notes_app.app.routes) == [
        "GET /me: served behind an authorizer, documented as needing no credentials"
    ]


def test_a_public_route_documented_with_security_is_named(document: dict[str, Any]) -> None:
    changed = copy.deepcopy(document)
    changed["paths"]["/health"]["get"]["security"] = [{"CognitoUserPool": [description.READ_SCOPE]}]
    assert problems(changed, notes_app.app.routes) == [
        "GET /health: documented with security, served without an authorizer"
    ]


def test_a_scheme_in_another_header_is_named(document: dict[str, Any]) -> None:
    changed = copy.deepcopy(document)
    changed["components"]["securitySchemes"]["CognitoUserPool"]["name"] = "X-Token"
    found = problems(changed, notes_app.app.routes)
    behind_an_authorizer = [
        entry for methods in notes_app.app.routes.values() for entry in methods.values() if entry.authorizer
    ]
    assert len(found) == len(behind_an_authorizer) == 25
    assert all(line.endswith("is not an apiKey in the 'Authorization' header") for line in found)


def test_a_renamed_path_parameter_is_named(document: dict[str, Any]) -> None:
    changed = copy.deepcopy(document)
    changed["paths"]["/notes/{id}"] = changed["paths"].pop("/notes/{noteId}")
    changed["components"]["parameters"]["NoteId"]["name"] = "id"
    found = problems(changed, notes_app.app.routes)
    assert "GET /notes/{noteId}: served, not documented" in found
    assert "GET /notes/{id}: documented, not served" in found


def test_a_missing_401_or_415_is_named(document: dict[str, Any]) -> None:
    changed = copy.deepcopy(document)
    del changed["paths"]["/notes"]["post"]["responses"]["401"]
    del changed["paths"]["/health"]["get"]["responses"]["415"]
    assert problems(changed, notes_app.app.routes) == [
        "GET /health: Chalice may answer 415, which is not documented",
        "POST /notes: behind an authorizer, but 401 is not documented",
    ]


# The rules of the bodies, compared with what the app enforces.


def schema_validator(document: dict[str, Any], name: str) -> OAS30Validator:
    """A validator of ``#/components/schemas/<name>`` whose references resolve in the document."""
    return OAS30Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]})


def test_note_bodies_hold_the_editable_fields_only(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("NoteCreate", "NoteReplace", "NotePatch"):
        assert schemas[name]["additionalProperties"] is False, name
        assert set(schemas[name]["properties"]) == set(validation.EDITABLE_FIELDS), name
    # Every server-set field is on the note the API answers with, and in no body it takes.
    assert set(validation.SERVER_FIELDS) <= set(schemas["Note"]["required"])


def test_a_note_attachment_is_null_or_an_attachment(document: dict[str, Any]) -> None:
    note = schema_validator(document, "Note")
    example = document["components"]["schemas"]["Note"]["example"]
    attachment = document["components"]["schemas"]["Attachment"]["example"]
    assert note.is_valid(example)
    assert note.is_valid({**example, "attachment": attachment, "version": 2})
    assert not note.is_valid({**example, "attachment": "uploads/some/key"})
    assert not note.is_valid({**example, "attachment": {**attachment, "key": "files/some/key"}})
    assert not note.is_valid({key: value for key, value in example.items() if key != "attachment"})


def test_upload_rules_are_the_app_rules(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["FileName"]["maxLength"] == validation.MAX_FILE_NAME_CHARS
    assert schemas["MediaType"]["pattern"] == validation._MEDIA_TYPE.pattern
    assert schemas["UploadId"]["pattern"] == validation.UUID7.pattern
    size = schemas["UploadRequest"]["properties"]["size"]
    assert (size["minimum"], size["maximum"]) == (1, settings.MAX_UPLOAD_BYTES)
    assert f"{storage_layout.DEFAULT_MAX_BYTES:,}" in size["description"]
    for name in ("UploadRequest", "AttachRequest"):
        assert schemas[name]["additionalProperties"] is False, name


FILE_NAMES = {
    "plain": ("receipt.pdf", True),
    "non-ASCII": ("Überweisung März.pdf", True),
    "255 characters": ("x" * 255, True),
    "empty": ("", False),
    "256 characters": ("x" * 256, False),
    "slash": ("a/b.pdf", False),
    "backslash": ("a\\b.pdf", False),
    "tab": ("tab\there", False),
    "DEL": ("del\x7f", False),
    "C1 control": ("c1\x85", False),
}


@pytest.mark.parametrize(("name", "allowed"), FILE_NAMES.values(), ids=FILE_NAMES.keys())
def test_the_file_name_rule_is_the_app_rule(document: dict[str, Any], name: str, allowed: bool) -> None:
    body = {"name": name, "contentType": "application/pdf", "size": 1}
    assert schema_validator(document, "UploadRequest").is_valid(body) is allowed
    try:
        validation.upload_request(body, storage_layout.DEFAULT_MAX_BYTES)
    except InvalidInput:
        assert not allowed
    else:
        assert allowed
