"""One frozen settings object, read from the stage's environment.

Chalice applies a stage's ``environment_variables`` (``.chalice/config.json``)
before it imports ``app.py`` for ``deploy``, ``package`` and ``local``; Lambda
sets them on the function. Reading them once, at import, makes a misconfigured
stage fail at start-up with the name of what is missing, not later and far from
its cause.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import NamedTuple

from chalicelib.storage_layout import DEFAULT_MAX_BYTES
from chalicelib.tables import NOTES, TABLES, Table

# One presigned POST, and one CopyObject, carry at most 5 GiB.
MAX_UPLOAD_BYTES = 5 * 1024**3
# A user pool's ARN: the one definition (the app's settings, the deploy's stage settings, the local
# stack's pool all read theirs with PoolArn).
POOL_ARN_PATTERN = re.compile(
    r"arn:aws[a-z-]*:cognito-idp:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d):(?P<account>\d{12}):"
    r"userpool/(?P<pool_id>(?P=region)_[0-9A-Za-z]+)"
)
POOL_ARN_FORM = "arn:aws:cognito-idp:<region>:<account>:userpool/<region>_<id>"
_PLACEHOLDER = re.compile(r"^(<.*>|\{.*\}|change-?me|replace-?me|todo|tbd|x{3,})$", re.IGNORECASE)


class PoolArn(NamedTuple):
    """A user pool's ARN, in its parts."""

    region: str
    account: str
    pool_id: str

    @classmethod
    def parse(cls, arn: str) -> PoolArn | None:
        """The parts of ``arn``; None when it is not a user pool's ARN."""
        found = POOL_ARN_PATTERN.fullmatch(arn)
        return cls(found["region"], found["account"], found["pool_id"]) if found else None


# The issuer tokens name, when it is not the pool's own address: make run SCOPED=1's sign-in
# endpoints (local_stack.scoped).
ISSUER_VARIABLE = "NOTES_TOKEN_ISSUER"


class SettingsError(RuntimeError):
    """A required setting is missing or malformed."""


class Settings(NamedTuple):
    """Everything the app needs to know about its stage."""

    region: str
    user_pool_arn: str
    app_client_ids: tuple[str, ...]
    bucket_name: str
    attachment_max_bytes: int = DEFAULT_MAX_BYTES
    read_scopes: tuple[str, ...] = ()
    write_scopes: tuple[str, ...] = ()
    cors_allow_origin: str | None = None
    # The stage's web app (its origin), whose page opens a shared note's link: NOTES_WEB_APP_URL, else
    # the CORS origin, which every stage this project makes sets to its web app.
    web_url: str | None = None
    # The stage's tables (chalicelib.tables), each beside the notes table unless named.
    table_name: str = ""
    search_table_name: str = ""
    trash_table_name: str = ""
    account_table_name: str = ""
    changes_table_name: str = ""
    connections_table_name: str = ""
    versions_table_name: str = ""
    shares_table_name: str = ""
    # Where the change feed's function tells WebSocket connections of changes: the WebSocket API's
    # management endpoint (its connections' POST /@connections/{id}); None: nobody is told.
    ws_management_url: str | None = None
    # The issuer tokens name, when it is not the pool's own address (make run SCOPED=1's
    # sign-in endpoints).
    token_issuer: str | None = None

    @property
    def user_pool_id(self) -> str:
        pool = PoolArn.parse(self.user_pool_arn)
        if pool is None:
            raise SettingsError(
                f"COGNITO_USER_POOL_ARN must look like {POOL_ARN_FORM}, got {self.user_pool_arn!r}"
            )
        return pool.pool_id

    @property
    def scoped(self) -> bool:
        """True when the stage authorizes with access-token scopes."""
        return bool(self.read_scopes or self.write_scopes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; raises SettingsError naming the bad variable."""
        env = os.environ if environ is None else environ
        region = _required(env, "AWS_REGION", fallback="AWS_DEFAULT_REGION")
        pool_arn = _required(env, "COGNITO_USER_POOL_ARN")
        if PoolArn.parse(pool_arn) is None:
            raise SettingsError(f"COGNITO_USER_POOL_ARN must look like {POOL_ARN_FORM}, got {pool_arn!r}")
        client_ids = _words(_required(env, "COGNITO_APP_CLIENT_IDS"))
        read_scopes = _words(env.get("COGNITO_READ_SCOPES", ""))
        write_scopes = _words(env.get("COGNITO_WRITE_SCOPES", ""))
        if bool(read_scopes) != bool(write_scopes):
            raise SettingsError("COGNITO_READ_SCOPES and COGNITO_WRITE_SCOPES must be set together")
        return cls(
            region=region,
            bucket_name=_required(env, "NOTES_BUCKET_NAME"),
            attachment_max_bytes=attachment_max_bytes(env),
            user_pool_arn=pool_arn,
            app_client_ids=client_ids,
            read_scopes=read_scopes,
            write_scopes=write_scopes,
            cors_allow_origin=env.get("CORS_ALLOW_ORIGIN") or None,
            web_url=web_url(env),
            ws_management_url=env.get("NOTES_WS_MANAGEMENT_URL") or None,
            token_issuer=env.get(ISSUER_VARIABLE) or None,
            **{table.setting: table_name(env, table) for table in TABLES},
        )

    def name_of(self, table: Table) -> str:
        """The name of the stage's ``table``."""
        name: str = getattr(self, table.setting)
        return name


def table_name(env: Mapping[str, str], table: Table) -> str:
    """The table the table's variable names; else (but the notes table) the notes table's name with
    the table's suffix after it."""
    if table is NOTES or (env.get(table.variable) or "").strip():
        return _required(env, table.variable)
    return table.name(_required(env, NOTES.variable))


def web_url(env: Mapping[str, str]) -> str | None:
    """The web app's address, without a trailing slash: ``NOTES_WEB_APP_URL``, else ``CORS_ALLOW_ORIGIN``;
    None when neither is set. Raises SettingsError for one that is no http(s) address."""
    for name in ("NOTES_WEB_APP_URL", "CORS_ALLOW_ORIGIN"):
        value = (env.get(name) or "").strip()
        if value:
            if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
                raise SettingsError(f"environment variable {name} must be an http(s) address, got {value!r}")
            return value.rstrip("/")
    return None


def _required(env: Mapping[str, str], name: str, fallback: str | None = None) -> str:
    value = (env.get(name) or (env.get(fallback) if fallback else None) or "").strip()
    if not value:
        also = f" (or {fallback})" if fallback else ""
        raise SettingsError(f"missing environment variable {name}{also}")
    if _PLACEHOLDER.match(value):
        raise SettingsError(f"environment variable {name} holds a placeholder: {value!r}")
    return value


def attachment_max_bytes(env: Mapping[str, str]) -> int:
    """The stage's largest file, ``ATTACHMENT_MAX_BYTES``, or the default: the one parser of it.

    Raises SettingsError naming the variable.
    """
    name = "ATTACHMENT_MAX_BYTES"
    value = str(env.get(name) or "").strip()
    if not value:
        return DEFAULT_MAX_BYTES
    if not value.isdigit() or not 1 <= int(value) <= MAX_UPLOAD_BYTES:
        raise SettingsError(
            f"environment variable {name} must be a number of bytes from 1 to {MAX_UPLOAD_BYTES:,} "
            f"(an S3 upload's and copy's limit), got {value!r}"
        )
    return int(value)


def _words(value: str) -> tuple[str, ...]:
    """Split a comma- or space-separated list, dropping empty items."""
    return tuple(word for word in re.split(r"[\s,]+", value) if word)
