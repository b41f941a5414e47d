"""A stage's auth settings (its "auth" object in .chalice/config.json), read and checked: how its
API checks tokens, and whether it makes its user pool or trusts an existing one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.settings import POOL_ARN_FORM, PoolArn
from infra.description.cognito import MODES, OAUTH_CLIENTS
from infra.description.names import check_stage

AUTH_SETTINGS = ("mode", "domain_prefix", "user_pool_arn", "client_ids", "domain")
# The clients of an existing pool a stage names, by mode: the password client of ID-token mode
# (the page and the CLI sign in with it), or the three OAuth clients of scoped mode.
EXISTING_POOL_CLIENTS: dict[str, tuple[str, ...]] = {"id": ("password",), "scoped": OAUTH_CLIENTS}
# What Cognito takes as a domain prefix: lowercase letters, digits and inner hyphens, at most 63
# characters, none of the words it reserves.
_DOMAIN_PREFIX = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
RESERVED_DOMAIN_WORDS = ("aws", "amazon", "cognito")
_CLIENT_ID = re.compile(r"[\w+]{1,128}")
_DOMAIN_URL = re.compile(r"https://(?P<host>[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)/?", re.IGNORECASE)


@dataclass(frozen=True)
class Auth:
    """How a stage's API checks tokens (``mode``), and which user pool it trusts.

    ``user_pool_arn`` None: the stack makes the pool (and, in scoped mode, its domain with
    ``domain_prefix``, or one the template makes unique per stage and account, its resource
    server and its three OAuth clients). Otherwise the stage uses that pool, possibly another
    account's, and its ``client_ids`` (by kind, ``EXISTING_POOL_CLIENTS``) and, in scoped mode,
    its sign-in ``domain`` (an https URL, no trailing slash): nothing of Cognito is made.
    """

    mode: str = "id"
    domain_prefix: str | None = None
    user_pool_arn: str | None = None
    client_ids: Mapping[str, str] | None = None
    domain: str | None = None

    @property
    def scoped(self) -> bool:
        return self.mode == "scoped"

    @property
    def existing_pool(self) -> bool:
        return self.user_pool_arn is not None

    @property
    def user_pool_region(self) -> str | None:
        """The existing pool's region (None when the stack makes the pool, in its own region)."""
        pool = PoolArn.parse(self.user_pool_arn or "")
        return pool.region if pool else None

    @property
    def user_pool_id(self) -> str | None:
        """The existing pool's id (None when the stack makes the pool)."""
        pool = PoolArn.parse(self.user_pool_arn or "")
        return pool.pool_id if pool else None


def auth(stage: str, config: Mapping[str, Any] | None = None) -> Auth:
    """The stage's auth settings from ``config`` (its "auth" object): ID-token mode with a pool of
    its own when there is none. Raises ValueError naming a bad setting."""
    check_stage(stage)
    if config is None:
        return Auth()
    if not isinstance(config, Mapping):
        raise ValueError(f"auth of stage {stage} must be an object, got {config!r}")
    unknown = set(config) - set(AUTH_SETTINGS)
    if unknown:
        raise ValueError(
            f"unknown auth settings for stage {stage}: {', '.join(sorted(unknown))}; "
            f"settings: {', '.join(AUTH_SETTINGS)}"
        )
    mode = config.get("mode", "id")
    if mode not in MODES:
        raise ValueError(f"mode of stage {stage} must be one of {', '.join(MODES)}, got {mode!r}")
    if config.get("user_pool_arn") is None:
        for name in ("client_ids", "domain"):
            if config.get(name) is not None:
                raise ValueError(f"{name} of stage {stage} names an existing pool's: set user_pool_arn too")
        return Auth(mode=mode, domain_prefix=_domain_prefix(stage, mode, config.get("domain_prefix")))
    return _existing_pool(stage, mode, config)


def _existing_pool(stage: str, mode: str, config: Mapping[str, Any]) -> Auth:
    arn = config["user_pool_arn"]
    if config.get("domain_prefix") is not None:
        raise ValueError(
            f"domain_prefix of stage {stage} names the domain the stack makes for a pool of its own: "
            "an existing pool (user_pool_arn) has its domain already"
        )
    if not isinstance(arn, str) or PoolArn.parse(arn) is None:
        raise ValueError(
            f"user_pool_arn of stage {stage} must be a user pool's ARN, {POOL_ARN_FORM}, got {arn!r}"
        )
    clients = _client_ids(stage, mode, config.get("client_ids"))
    domain = config.get("domain")
    if mode == "id":
        if domain is not None:
            raise ValueError(f"domain of stage {stage} is for scoped mode: ID-token mode signs in without it")
        return Auth(mode=mode, user_pool_arn=arn, client_ids=clients)
    found = _DOMAIN_URL.fullmatch(domain) if isinstance(domain, str) else None
    if found is None:
        raise ValueError(
            f"domain of stage {stage} must be the existing pool's sign-in domain, "
            f"https://<host> (no path), got {domain!r}"
        )
    return Auth(mode=mode, user_pool_arn=arn, client_ids=clients, domain=f"https://{found['host'].lower()}")


def _domain_prefix(stage: str, mode: str, prefix: Any) -> str | None:
    if prefix is None:
        return None
    if mode != "scoped":
        raise ValueError(f"domain_prefix of stage {stage} is for scoped mode: ID-token mode makes no domain")
    reserved = [word for word in RESERVED_DOMAIN_WORDS if isinstance(prefix, str) and word in prefix]
    if not isinstance(prefix, str) or not _DOMAIN_PREFIX.fullmatch(prefix) or reserved:
        raise ValueError(
            f"domain_prefix of stage {stage} must be 1 to 63 lowercase letters, digits and inner "
            f"hyphens, without {', '.join(RESERVED_DOMAIN_WORDS)}, got {prefix!r}"
        )
    return prefix


def _client_ids(stage: str, mode: str, clients: Any) -> dict[str, str]:
    kinds = EXISTING_POOL_CLIENTS[mode]
    if (
        not isinstance(clients, Mapping)
        or sorted(clients) != sorted(kinds)
        or not all(isinstance(value, str) and _CLIENT_ID.fullmatch(value) for value in clients.values())
        or len(set(clients.values())) != len(kinds)
    ):
        raise ValueError(
            f"client_ids of stage {stage} must give the existing pool's {mode} mode clients, "
            f"{', '.join(kinds)}, each its own app client id, got {clients!r}"
        )
    return {kind: clients[kind] for kind in kinds}
