"""``.local/stack.json``: what a client needs to reach the running local stack. The one definition.

``make run`` (``local_stack``) writes it once the stack is up and removes it when the stack stops;
the ``notes`` command, ``make reindex`` and the tests read it. It lives with the command, which
needs nothing else of the local stack. Every value is a string::

    apiUrl            the API (chalice local)
    wsUrl             the WebSocket endpoint (live updates)
    awsEndpoint       the AWS emulator, for Cognito, DynamoDB and S3 alike
    webUrl            the web app
    region            the stage's region
    userPoolId        the user pool
    userPoolClientId  its app client
    tableName         the notes table
    bucketName        the attachments bucket
    awsAccessKeyId    the access key id every request to the emulator is signed with (made
                      afresh by each make run; the file is readable by its owner only)
    awsSecretAccessKey  its secret
    mode              "id" (ID tokens) or "scoped" (access tokens with OAuth scopes, SCOPED=1)
    oauth             scoped mode only, an object (``oauth_json``): the pool's sign-in endpoints
                      and clients, read back as ``OAuthFacts``

Only the standard library is imported here.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

# Where make run writes it, unless NOTES_STACK_FILE names another place (the tests' stacks do).
STACK_FILE_ENV = "NOTES_STACK_FILE"
RELATIVE_PATH = Path(".local") / "stack.json"
# The directory above the package: the repository root when run from a checkout.
REPOSITORY_ROOT = Path(__file__).resolve().parents[1]


def stack_file() -> Path:
    """Where this checkout's stack writes its facts."""
    return Path(os.environ.get(STACK_FILE_ENV) or REPOSITORY_ROOT / RELATIVE_PATH)


class FactsError(ValueError):
    """A stack file cannot be read; the message says why."""


def _named(json_name: str, *, shown: bool = True) -> Any:
    return field(repr=shown, metadata={"json": json_name})


@dataclass(frozen=True)
class StackFacts:
    """The running stack's connection facts (see the module's text for each)."""

    api_url: str = _named("apiUrl")
    ws_url: str = _named("wsUrl")
    aws_endpoint: str = _named("awsEndpoint")
    web_url: str = _named("webUrl")
    region: str = _named("region")
    user_pool_id: str = _named("userPoolId")
    user_pool_client_id: str = _named("userPoolClientId")
    table_name: str = _named("tableName")
    bucket_name: str = _named("bucketName")
    aws_access_key_id: str = _named("awsAccessKeyId")
    aws_secret_access_key: str = _named("awsSecretAccessKey", shown=False)
    mode: str = field(default="id", metadata={"json": "mode"})
    oauth: dict[str, Any] | None = field(default=None, metadata={"json": "oauth"})

    @property
    def scoped(self) -> bool:
        return self.mode == "scoped"

    def to_json(self) -> dict[str, Any]:
        found = {JSON_NAMES[name]: value for name, value in asdict(self).items()}
        if found["oauth"] is None:
            del found["oauth"]
        return found

    def write(self, path: Path) -> None:
        """Write the file, readable and writable by its owner only: it holds the pair's secret."""
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> StackFacts:
        """The facts of a whole stack file. Raises FactsError naming what is missing."""
        found = read_known(path)
        missing = [name for name in NAMES if name not in found]
        if missing:
            raise FactsError(f"stack file {path} lacks {', '.join(missing)}")
        given: dict[str, Any] = {
            attribute: found[name] for attribute, name in JSON_NAMES.items() if name in NAMES
        }
        return cls(**given, mode=found.get("mode", "id"), oauth=read_oauth(path))


# Attribute name -> the file's name, in the file's order.
JSON_NAMES = {item.name: str(item.metadata["json"]) for item in fields(StackFacts)}
# The strings every stack file holds (mode and oauth come after them).
NAMES = tuple(name for name in JSON_NAMES.values() if name not in ("mode", "oauth"))


def read_oauth(path: Path) -> dict[str, Any] | None:
    """The ``oauth`` object of a scoped stack's file, or None."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    oauth = data.get("oauth") if isinstance(data, dict) else None
    return oauth if isinstance(oauth, dict) else None


def read_known(path: Path) -> dict[str, str]:
    """The facts a stack file holds, of those defined here, each a non-empty string.

    A partial file is read as far as it goes (a client given the rest by options).
    Raises FactsError when the file is missing, unreadable, not JSON, or not an object.
    """
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise FactsError(f"stack file {path} does not exist (is make run running?)") from error
    except OSError as error:
        raise FactsError(f"cannot read stack file {path}: {error.strerror}") from error
    except ValueError as error:
        raise FactsError(f"stack file {path} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise FactsError(f"stack file {path} must hold a JSON object")
    names = (*NAMES, "mode")
    return {name: data[name] for name in names if isinstance(data.get(name), str) and data[name]}


def oauth_json(
    issuer: str, domain: str, scopes: tuple[str, str], clients: dict[str, tuple[str, list[str]]]
) -> dict[str, Any]:
    """``oauth`` as the file holds it: the tokens' issuer, the sign-in domain, the (read, write)
    scopes, and each app client's id and addresses to come back to, by kind (``web``, ``cli``,
    ``readOnly``)."""
    read, write = scopes
    return {
        "issuer": issuer,
        "domain": domain,
        "scopes": {"read": read, "write": write},
        "clients": {
            kind: {"clientId": client_id, "redirectUris": list(uris)}
            for kind, (client_id, uris) in clients.items()
        },
    }


@dataclass(frozen=True)
class OAuthFacts:
    """What a client reads of a scoped stack's ``oauth`` (``oauth_json``); None where it is missing."""

    domain: str | None
    read_scope: str | None
    write_scope: str | None
    cli_client_id: str | None
    read_only_client_id: str | None

    @classmethod
    def of(cls, oauth: dict[str, Any]) -> OAuthFacts:
        clients = _object(oauth.get("clients"))
        scopes = _object(oauth.get("scopes"))
        return cls(
            domain=_text(oauth.get("domain")),
            read_scope=_text(scopes.get("read")),
            write_scope=_text(scopes.get("write")),
            cli_client_id=_text(_object(clients.get("cli")).get("clientId")),
            read_only_client_id=_text(_object(clients.get("readOnly")).get("clientId")),
        )


# A stack that names no sign-in endpoints (ID-token mode, or another pool's file).
NO_OAUTH = OAuthFacts(None, None, None, None, None)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
