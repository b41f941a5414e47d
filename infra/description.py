"""The single description of a stage's infrastructure: user pool, app client, table, bucket.

Each function returns the parameters of the AWS API call that creates the
resource, so the local stack provisions exactly what is described here, and the
deploy template is rendered from the same values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib import tables
from chalicelib.settings import POOL_ARN_FORM, PoolArn
from chalicelib.storage_layout import (
    EXPORT_EXPIRY_DAYS,
    EXPORTS_PREFIX,
    FILES_PREFIX,
    UPLOAD_EXPIRY_DAYS,
    UPLOADS_PREFIX,
)
from chalicelib.tables import NOTES, Table
from chalicelib.validation import FILE_NAME_FORBIDDEN_PATTERN, MAX_FILE_NAME_CHARS, MEDIA_TYPE_PATTERN
from contract.passwords import POOL_POLICY
from contract.scopes import READ_SCOPE, RESOURCE_SERVER, USER_ADMIN_SCOPE, WRITE_SCOPE

APP_NAME = "notes"
STAGES = ("test", "local", "dev", "prod")
DEPLOYED_STAGES = ("dev", "prod")
# What the Lambda function does to the table (chalicelib/notes.py): nothing else.
TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
)
# What the API reads of the search index (chalicelib/finding.py), and what the indexer function
# reads of the notes table's stream and writes to the index (chalicelib/search.py).
SEARCH_TABLE_ACTIONS = ("dynamodb:Query",)
STREAM_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
INDEX_WRITE_ACTIONS = ("dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:DeleteItem")
# What the API does to the trash (chalicelib: deleting a note moves it there, in a transaction
# with the notes table; the trash is listed through its index; restoring and deleting for good
# take a note out) and to the account table (an account's tombstone, checked on every request,
# and its exports' records).
TRASH_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)
ACCOUNT_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")
# What the API reads of the exports (presigned GETs of the ZIPs), and of the user pool (DELETE /me
# confirms the caller's email with it when the token carries none).
EXPORT_READ_ACTIONS = ("s3:GetObject",)
API_USER_POOL_ACTIONS = ("cognito-idp:AdminGetUser",)
# The purge function (the trash table's stream, only the records of DynamoDB's TTL): it deletes
# the purged notes' files, and touches no table.
PURGE_OBJECT_ACTIONS = ("s3:DeleteObject",)
# The jobs function (the account table's stream, new items only): it builds exports and deletes
# accounts, so it reads and writes every table of the stage, lists the bucket, reads the files,
# writes the exports, deletes a user's objects under every prefix, and deletes the user.
JOBS_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
JOBS_BUCKET_ACTIONS = ("s3:ListBucket",)
JOBS_READ_ACTIONS = ("s3:GetObject",)
JOBS_WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
JOBS_DELETE_ACTIONS = ("s3:DeleteObject",)
JOBS_USER_POOL_ACTIONS = ("cognito-idp:AdminDeleteUser", "cognito-idp:AdminGetUser")
# The search promise: a note is found by a search that starts this long after its write answered.
INDEX_DELAY_SECONDS = 2
# What the Lambda function does to the bucket's objects (chalicelib/notes.py, chalicelib/files.py): HeadObject
# and presigned GETs are s3:GetObject, presigned POSTs and CopyObject's target s3:PutObject,
# DeleteObjects s3:DeleteObject per key. Nothing on the bucket itself.
BUCKET_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
# The pool's password policy: the rules are the product's one definition (contract.passwords).
PASSWORD_POLICY: dict[str, Any] = {**POOL_POLICY.cognito(), "TemporaryPasswordValidityDays": 7}


def _check(stage: str) -> str:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    return stage


def user_pool_name(stage: str) -> str:
    return f"{APP_NAME}-{_check(stage)}-users"


def user_pool_client_name(stage: str) -> str:
    return f"{APP_NAME}-{_check(stage)}-web"


def table_name(stage: str, table: Table = NOTES) -> str:
    """The name of the stage's ``table`` (by default the notes table, which the others are named beside)."""
    return table.name(f"{APP_NAME}-{_check(stage)}")


def user_pool(stage: str) -> dict[str, Any]:
    """CreateUserPool parameters: email is the username, verified automatically."""
    return {
        "PoolName": user_pool_name(stage),
        "UsernameAttributes": ["email"],
        "AutoVerifiedAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "Policies": {"PasswordPolicy": dict(PASSWORD_POLICY)},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
        "MfaConfiguration": "OFF",
        "DeletionProtection": "ACTIVE" if stage == "prod" else "INACTIVE",
    }


# What every app client's tokens are: revocable, ID and access tokens an hour, refresh tokens 30 days.
TOKEN_MINUTES = 60
REFRESH_TOKEN_DAYS = 30
CLIENT_TOKENS: dict[str, Any] = {
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
    "AccessTokenValidity": TOKEN_MINUTES,
    "IdTokenValidity": TOKEN_MINUTES,
    "RefreshTokenValidity": REFRESH_TOKEN_DAYS,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
}


def user_pool_client(stage: str) -> dict[str, Any]:
    """CreateUserPoolClient parameters (UserPoolId aside): no secret; password, SRP and refresh flows,
    and the password flow for tools holding IAM credentials (``AdminInitiateAuth``)."""
    return {
        "ClientName": user_pool_client_name(stage),
        "GenerateSecret": False,
        "ExplicitAuthFlows": [
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
        **CLIENT_TOKENS,
    }


# Scoped mode (a stage's "auth" in .chalice/config.json): the API takes access tokens carrying
# one of a route's OAuth scopes, which Cognito puts only into tokens from its token endpoint. The
# pool then has a domain (its sign-in pages), a resource server with a read and a write scope,
# and three public OAuth clients (authorization code with PKCE, no secret).
MODES = ("id", "scoped")
# web: the page signs in and out at the stage's address; cli: ``notes login``'s loopback callback
# (Cognito allows http only for localhost and 127.0.0.1, on a fixed port); readOnly: for tools
# that must never write.
OAUTH_CLIENTS = ("web", "cli", "readOnly")
CLI_CALLBACK_PORT = 8976
CLI_CALLBACK_URL = f"http://127.0.0.1:{CLI_CALLBACK_PORT}/callback"
# What Cognito accepts for a code's PKCE challenge: S256 only.
CODE_CHALLENGE_METHODS = ("S256",)
AUTHORIZATION_CODE_SECONDS = 300


def oauth_client_name(stage: str, kind: str) -> str:
    if kind not in OAUTH_CLIENTS:
        raise ValueError(f"unknown OAuth client {kind!r}; clients: {', '.join(OAUTH_CLIENTS)}")
    return f"{APP_NAME}-{_check(stage)}-oauth-{kind}"


def oauth_scopes(kind: str) -> list[str]:
    """The scopes the ``kind`` client may ask for: the read-only client never gets the write scope."""
    if kind == "readOnly":
        return ["openid", READ_SCOPE]
    if kind in OAUTH_CLIENTS:
        # The user's own pool APIs too (ChangePassword with the access token): a client that writes
        # may change its user's password; the read-only one may not.
        return ["openid", "email", USER_ADMIN_SCOPE, READ_SCOPE, WRITE_SCOPE]
    raise ValueError(f"unknown OAuth client {kind!r}; clients: {', '.join(OAUTH_CLIENTS)}")


def web_oauth(domain: str, client_id: str, page_url: str) -> dict[str, str]:
    """The page's ``oauth`` settings in its ``config.json`` on a scoped stage, deployed and locally:
    the pool's sign-in domain, the web client, the scopes it asks for, the page's own address
    (where the sign-in and the sign-out come back to), and the scope an access token needs to change
    the password."""
    page = page_url.rstrip("/") + "/"
    return {
        "domain": domain.rstrip("/"),
        "clientId": client_id,
        "scopes": " ".join(oauth_scopes("web")),
        "redirectUri": page,
        "logoutUri": page,
        "passwordScope": USER_ADMIN_SCOPE,
    }


def resource_server(stage: str) -> dict[str, Any]:
    """CreateResourceServer parameters (UserPoolId aside): the API, with its read and write scope."""
    return {
        "Identifier": RESOURCE_SERVER,
        "Name": f"{APP_NAME}-{_check(stage)}-api",
        "Scopes": [
            {"ScopeName": READ_SCOPE.split("/", 1)[1], "ScopeDescription": "Read your notes and files"},
            {
                "ScopeName": WRITE_SCOPE.split("/", 1)[1],
                "ScopeDescription": "Create, change and delete your notes",
            },
        ],
    }


def oauth_client(
    stage: str, kind: str, callback_urls: Sequence[Any], logout_urls: Sequence[Any]
) -> dict[str, Any]:
    """CreateUserPoolClient parameters (UserPoolId aside) for a public OAuth client: no secret,
    the authorization code flow only (with PKCE: it has no secret), sign-in with the pool's own
    users, and the refresh token."""
    return {
        "ClientName": oauth_client_name(stage, kind),
        "GenerateSecret": False,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": oauth_scopes(kind),
        "SupportedIdentityProviders": ["COGNITO"],
        "CallbackURLs": list(callback_urls),
        "LogoutURLs": list(logout_urls),
        "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
        **CLIENT_TOKENS,
    }


def retained(stage: str) -> bool:
    """Whether deleting the stage's stack keeps its user pool (the notes, trash and account tables
    are always kept)."""
    return stage == "prod"


# The stage's tables are declared once (chalicelib.tables): each one's model (its keys and
# indexes), its name beside the notes table, its stream and its time to live. The trash keeps a
# note 30 days: DynamoDB's TTL deletes it some time after its purgeAtEpoch, and the trash's stream
# hands that removal to the purge function, which deletes the note's file. The account table keeps
# the account's tombstone (item "deleted", kept), its exports ("export#<exportId>", dropped a day
# after they are ready) and a deleted account's "sweep" item; which of their records start which
# function is declared in chalicelib.stream_consumers.


def create_table(stage: str, table: Table) -> dict[str, Any]:
    """CreateTable parameters of the stage's ``table``; its TTL is UpdateTimeToLive's
    (``tables.time_to_live``)."""
    return tables.create_table(table, table_name(stage, table))


def bucket_name(stage: str) -> str:
    """The attachments bucket's name on the emulator; a deployed stack lets CloudFormation name it
    (bucket names are global)."""
    return f"{APP_NAME}-{_check(stage)}-attachments"


# Every kind of public access blocked: objects are reached with presigned URLs only.
PUBLIC_ACCESS_BLOCK: dict[str, bool] = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
BUCKET_ENCRYPTION: dict[str, Any] = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]
}


def bucket_cors(origins: list[str]) -> dict[str, Any]:
    """PutBucketCors's CORSConfiguration: the web app's origin uploads (POST) and downloads (GET)."""
    return {
        "CORSRules": [
            {
                "AllowedOrigins": list(origins),
                "AllowedMethods": ["GET", "POST"],
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag"],
                "MaxAgeSeconds": 600,
            }
        ]
    }


def bucket_lifecycle() -> dict[str, Any]:
    """PutBucketLifecycleConfiguration's LifecycleConfiguration: uploads never attached expire,
    and so do exports a day after they were written."""
    return {
        "Rules": [
            {
                "ID": "expire-uploads-never-attached",
                "Status": "Enabled",
                "Filter": {"Prefix": UPLOADS_PREFIX},
                "Expiration": {"Days": UPLOAD_EXPIRY_DAYS},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": UPLOAD_EXPIRY_DAYS},
            },
            {
                "ID": "expire-exports",
                "Status": "Enabled",
                "Filter": {"Prefix": EXPORTS_PREFIX},
                "Expiration": {"Days": EXPORT_EXPIRY_DAYS},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": EXPORT_EXPIRY_DAYS},
            },
        ]
    }


def bucket_policy(bucket_arn: Any) -> dict[str, Any]:
    """The bucket's policy: every request over anything but TLS is refused."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TLSOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, _objects(bucket_arn)],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def object_prefixes() -> tuple[str, str]:
    """The two key prefixes of attachments (see chalicelib/storage_layout.py); exports live under
    ``EXPORTS_PREFIX``."""
    return UPLOADS_PREFIX, FILES_PREFIX


def _objects(bucket_arn: Any) -> Any:
    if isinstance(bucket_arn, str):
        return f"{bucket_arn}/*"
    return {"Fn::Join": ["", [bucket_arn, "/*"]]}


# The web app: static files behind CloudFront when deployed, served from web/ by make run locally.
WEB_INDEX = "index.html"
WEB_CONFIG = "config.json"
# What every answer of the web app carries besides its content security policy, deployed and
# locally. Strict-Transport-Security is deployed only: over make run's plain HTTP it means nothing.
WEB_SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
HSTS_MAX_AGE_SECONDS = 2 * 365 * 24 * 60 * 60


def client_rules(max_attachment_bytes: int) -> dict[str, Any]:
    """What a client checks before it asks, in the web app's ``config.json``: the pool's password
    policy and the API's rules for a file (its size, its name's length, its media type's form)."""
    return {
        "maxAttachmentBytes": max_attachment_bytes,
        "passwordPolicy": POOL_POLICY.config(),
        "fileNameMaxChars": MAX_FILE_NAME_CHARS,
        "fileNameForbiddenPattern": FILE_NAME_FORBIDDEN_PATTERN,
        "mediaTypePattern": MEDIA_TYPE_PATTERN,
    }


def password_rules_text() -> str:
    """The password policy in a few words, as ``make run`` prints it."""
    return POOL_POLICY.abbreviated()


def content_security_policy(
    api_url: str, cognito_url: str, bucket_urls: Sequence[str], *, auth_url: str | None = None
) -> str:
    """The web app's Content-Security-Policy: its own files only, no inline script or style, and
    connections to itself, the API, Cognito (and, in scoped mode, ``auth_url``: the pool's sign-in
    domain, whose token endpoint the page calls) and the attachments bucket, nowhere else.

    Each URL becomes a source of ``connect-src`` (a source with a path matches below it, so a path
    gets its trailing slash); a URL that could end the source or the directive is refused.
    """
    sources: list[str] = ["'self'"]
    for url in (api_url, cognito_url, *([auth_url] if auth_url else []), *bucket_urls):
        source = _connect_source(url)
        if source not in sources:
            sources.append(source)
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src " + " ".join(sources),
            "form-action 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "manifest-src 'self'",
        ]
    )


def _connect_source(url: str) -> str:
    scheme, separator, rest = url.partition("://")
    if (
        not separator
        or scheme not in ("https", "http")
        or not rest
        or any(character.isspace() or character in ";,'\"" for character in url)
    ):
        raise ValueError(f"not a URL a content security policy can name: {url!r}")
    host, slash, path = rest.partition("/")
    if slash and path and not path.endswith("/"):
        return f"{scheme}://{host}/{path}/"
    return f"{scheme}://{host}" if not path else url


@dataclass(frozen=True)
class Operations:
    """How a deployed stage is run: API Gateway's throttling and where alarms are sent."""

    throttle_rate_limit: float  # requests per second, steady
    throttle_burst_limit: int  # requests at once, above the steady rate
    alarm_email: str | None  # subscribed to the alarm topic (the address confirms it once)


# Defaults: dev is for trying things, prod for real traffic; a stage's "operations" object in
# .chalice/config.json changes any of them (throttle_rate_limit, throttle_burst_limit,
# alarm_email), and make package ALARM_EMAIL=... sets the address for one package.
OPERATIONS = {
    "dev": Operations(throttle_rate_limit=20, throttle_burst_limit=40, alarm_email=None),
    "prod": Operations(throttle_rate_limit=100, throttle_burst_limit=200, alarm_email=None),
}
# Alarm thresholds, over 5-minute periods (see the README's "Operating a stage").
ALARM_PERIOD_SECONDS = 300
API_5XX_RATE_THRESHOLD = 0.05  # a twentieth of the API's answers are 5xx


def operations(
    stage: str, config: Mapping[str, Any] | None = None, alarm_email: str | None = None
) -> Operations:
    """The stage's operations settings: the defaults, then ``config`` (the stage's "operations"
    object), then ``alarm_email``. Raises ValueError naming a bad setting."""
    if _check(stage) not in OPERATIONS:
        raise ValueError(f"stage {stage!r} is not deployed")
    chosen = OPERATIONS[stage]
    given = dict(config or {})
    unknown = set(given) - {"throttle_rate_limit", "throttle_burst_limit", "alarm_email"}
    if unknown:
        raise ValueError(f"unknown operations settings for stage {stage}: {', '.join(sorted(unknown))}")
    rate = given.get("throttle_rate_limit", chosen.throttle_rate_limit)
    burst = given.get("throttle_burst_limit", chosen.throttle_burst_limit)
    email = alarm_email or given.get("alarm_email", chosen.alarm_email) or None
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 10_000:
        raise ValueError(
            f"throttle_rate_limit of stage {stage} must be 1 to 10,000 requests a second, got {rate!r}"
        )
    if isinstance(burst, bool) or not isinstance(burst, int) or not 0 < burst <= 5_000:
        raise ValueError(f"throttle_burst_limit of stage {stage} must be a whole 1 to 5,000, got {burst!r}")
    if email is not None and (
        not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)
    ):
        raise ValueError(f"alarm_email of stage {stage} is not an email address: {email!r}")
    return Operations(throttle_rate_limit=float(rate), throttle_burst_limit=burst, alarm_email=email)


# A stage's "auth" object in .chalice/config.json: its mode, and optionally an existing user pool.
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
    _check(stage)
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
