"""Where the CLI connects: the API URL and the Cognito user pool behind it.

The facts come from a stack file (``.local/stack.json``, written by ``make run``)
and from options or environment variables, which win over the file.

A stage is in ID-token mode (the API takes ID tokens; ``notes login`` signs in with a
password) or in scoped mode (the API takes access tokens with the ``notes/read`` and
``notes/write`` scopes, which only the pool's sign-in endpoints hand out; ``notes login``
signs in through the browser). Scoped mode is a stack file that says so, or ``--oauth-domain``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from contract.scopes import READ_SCOPE, USER_ADMIN_SCOPE, WRITE_SCOPE
from notes_cli.errors import CliError
from notes_cli.stack_file import (
    NO_OAUTH,
    RELATIVE_PATH,
    REPOSITORY_ROOT,
    FactsError,
    OAuthFacts,
    read_known,
    read_oauth,
)

STACK_FILE = RELATIVE_PATH

NO_API = (
    "no API to talk to: start the local stack with make run, "
    "or pass --api, --region, --user-pool-id and --client-id "
    "(NOTES_API_URL, NOTES_REGION, NOTES_USER_POOL_ID, NOTES_CLIENT_ID)"
)


@dataclass(frozen=True)
class Connection:
    """Everything needed to reach one stage: its API and its user pool.

    ``aws_endpoint`` is set only for the local emulator; a deployed stage's pool
    is reached at the region's public Cognito endpoint.
    """

    api_url: str | None
    region: str | None
    user_pool_id: str | None
    client_id: str | None
    aws_endpoint: str | None = None
    # Scoped mode only: the base URL of the pool's OAuth 2.0 endpoints, and its two CLI clients.
    oauth_domain: str | None = None
    oauth_client_id: str | None = None
    read_only_client_id: str | None = None
    read_scope: str = READ_SCOPE
    write_scope: str = WRITE_SCOPE
    # The stage's web app, whose config.json holds the pool's password rules.
    web_url: str | None = None
    # The stage's WebSocket endpoint (live updates: notes changes --follow).
    ws_url: str | None = None

    @property
    def local(self) -> bool:
        """True when the pool lives in the local emulator (no email is ever sent)."""
        return self.aws_endpoint is not None

    @property
    def scoped(self) -> bool:
        """True when the API takes access tokens from the pool's sign-in endpoints."""
        return self.oauth_domain is not None

    @property
    def login_command(self) -> str:
        """How to log in at this stage."""
        return "notes login" if self.scoped else "notes login EMAIL"

    def require_oauth(self, read_only: bool) -> OAuthClient:
        """The sign-in endpoints and the CLI's client there; raises CliError when something is missing."""
        if not self.oauth_domain:
            raise CliError(
                "no sign-in endpoints: this stage is not scoped (make run SCOPED=1), "
                "or pass --oauth-domain (NOTES_OAUTH_DOMAIN)"
            )
        if read_only:
            if not self.read_only_client_id:
                raise CliError(
                    "no read-only app client: pass --read-only-client-id (NOTES_READ_ONLY_CLIENT_ID) "
                    "or use a stack file"
                )
            return OAuthClient(self.oauth_domain, self.read_only_client_id, ("openid", self.read_scope))
        if not self.oauth_client_id:
            raise CliError("no app client id: pass --client-id (NOTES_CLIENT_ID) or use a stack file")
        # The user admin scope lets notes passwd change the password with the access token.
        scopes = ("openid", "email", USER_ADMIN_SCOPE, self.read_scope, self.write_scope)
        return OAuthClient(self.oauth_domain, self.oauth_client_id, scopes)

    def require_api(self) -> str:
        """The API URL; raises CliError when none is configured."""
        if not self.api_url:
            raise CliError(NO_API)
        return self.api_url

    def require_cognito(self) -> tuple[str, str]:
        """The region and app client id; raises CliError when either is missing."""
        if not self.api_url and not self.client_id:
            raise CliError(NO_API)
        if not self.client_id:
            raise CliError("no app client id: pass --client-id (NOTES_CLIENT_ID) or use a stack file")
        if not self.region:
            raise CliError("no region: pass --region (NOTES_REGION) or use a stack file")
        return self.region, self.client_id

    def require_user_pool(self) -> str:
        """The user pool id; raises CliError when it is missing."""
        if not self.user_pool_id:
            raise CliError("no user pool id: pass --user-pool-id (NOTES_USER_POOL_ID) or use a stack file")
        return self.user_pool_id


@dataclass(frozen=True)
class OAuthClient:
    """One public app client at the pool's OAuth 2.0 endpoints, and the scopes the CLI asks it for."""

    domain: str
    client_id: str
    scopes: tuple[str, ...]

    @property
    def scope(self) -> str:
        """The scopes as the authorize endpoint takes them."""
        return " ".join(self.scopes)


def find_stack_file(start: Path) -> Path | None:
    """``.local/stack.json`` in ``start`` or one of its parents, else in the repository root."""
    for folder in (start, *start.parents):
        candidate = folder / STACK_FILE
        if candidate.is_file():
            return candidate
    fallback = REPOSITORY_ROOT / STACK_FILE
    return fallback if fallback.is_file() else None


@dataclass(frozen=True)
class FileFacts:
    """What a stack file holds, under its own names: ``known`` (``stack_file.read_known``) and, for a
    scoped stack, its sign-in facts."""

    known: dict[str, str]
    oauth: OAuthFacts | None = None


def read_stack_file(path: Path) -> FileFacts:
    """The facts a stack file holds; raises CliError when it is missing or malformed."""
    try:
        found = read_known(path)
    except FactsError as error:
        raise CliError(str(error)) from error
    if found.get("mode") != "scoped":
        return FileFacts(found)
    oauth = OAuthFacts.of(read_oauth(path) or {})
    if oauth.domain is None:
        raise CliError(f"stack file {path} is scoped but names no sign-in endpoints (oauth.domain)")
    return FileFacts(found, oauth)


def normalize_url(url: str) -> str:
    """An http(s) URL without a trailing slash; raises CliError for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CliError(f"not an http(s) URL: {url!r}")
    return url.strip().rstrip("/")


def resolve(
    *,
    api: str | None,
    region: str | None,
    user_pool_id: str | None,
    client_id: str | None,
    stack_file: Path | None,
    cwd: Path,
    oauth_domain: str | None = None,
    read_only_client_id: str | None = None,
    web_url: str | None = None,
    ws_url: str | None = None,
) -> Connection:
    """Merge the explicit options with the stack file (explicit ``stack_file`` or the one found).

    The file's pool facts (region, pool, clients, emulator endpoint, sign-in endpoints) only
    apply to the file's own pool: once an option names another pool or app client, the CLI
    talks to that pool at its region's Cognito. The file's web app (``webUrl``, where the pool's
    password rules are published) is a pool fact too. In scoped mode ``client_id`` is also the CLI's
    client at the sign-in endpoints (a scoped stage's pool has no password client).
    """
    path = stack_file if stack_file is not None else find_stack_file(cwd)
    found = read_stack_file(path) if path is not None else FileFacts({})
    file = found.known
    oauth = found.oauth or NO_OAUTH
    file_clients = (file.get("userPoolClientId"), oauth.cli_client_id, oauth.read_only_client_id)
    same_pool = (user_pool_id is None or user_pool_id == file.get("userPoolId")) and (
        client_id is None or client_id in file_clients
    )
    pool_facts = file if same_pool else {}
    if not same_pool:
        oauth = NO_OAUTH
    pool = user_pool_id or pool_facts.get("userPoolId")
    endpoint = pool_facts.get("awsEndpoint")
    api_url = api or file.get("apiUrl")
    # The file's live endpoint goes with the file's API.
    live = ws_url or (file.get("wsUrl") if api is None or api == file.get("apiUrl") else None)
    domain = oauth_domain or oauth.domain
    web = web_url or pool_facts.get("webUrl")
    named_client = client_id if client_id != pool_facts.get("userPoolClientId") else None
    return Connection(
        api_url=normalize_url(api_url) if api_url else None,
        region=region or pool_facts.get("region") or _region_of_pool(pool),
        user_pool_id=pool,
        client_id=client_id or pool_facts.get("userPoolClientId") or oauth.cli_client_id,
        aws_endpoint=normalize_url(endpoint) if endpoint else None,
        oauth_domain=normalize_url(domain) if domain else None,
        oauth_client_id=named_client or oauth.cli_client_id,
        read_only_client_id=read_only_client_id or oauth.read_only_client_id,
        read_scope=oauth.read_scope or READ_SCOPE,
        write_scope=oauth.write_scope or WRITE_SCOPE,
        web_url=normalize_url(web) if web else None,
        ws_url=live.rstrip("/") if live else None,
    )


def _region_of_pool(user_pool_id: str | None) -> str | None:
    # A pool id is "<region>_<suffix>", so it names its region.
    if user_pool_id and "_" in user_pool_id:
        return user_pool_id.split("_", 1)[0]
    return None
