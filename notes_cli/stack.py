"""Where the CLI connects: the API URL and the Cognito user pool behind it.

The facts come from a stack file (``.local/stack.json``, written by ``make run``)
and from options or environment variables, which win over the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from local_stack import facts
from notes_cli.errors import CliError

# The directory above the package: the repository root when run from a checkout.
REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
STACK_FILE = facts.RELATIVE_PATH

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

    @property
    def local(self) -> bool:
        """True when the pool lives in the local emulator (no email is ever sent)."""
        return self.aws_endpoint is not None

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


def find_stack_file(start: Path) -> Path | None:
    """``.local/stack.json`` in ``start`` or one of its parents, else in the repository root."""
    for folder in (start, *start.parents):
        candidate = folder / STACK_FILE
        if candidate.is_file():
            return candidate
    fallback = REPOSITORY_ROOT / STACK_FILE
    return fallback if fallback.is_file() else None


def read_stack_file(path: Path) -> dict[str, str]:
    """The facts a stack file holds; raises CliError when it is missing or malformed."""
    try:
        return facts.read_known(path)
    except facts.FactsError as error:
        raise CliError(str(error)) from error


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
) -> Connection:
    """Merge the explicit options with the stack file (explicit ``stack_file`` or the one found).

    The file's pool facts (region, pool, client, emulator endpoint) only apply to
    the file's own pool: once an option names another pool or app client, the CLI
    talks to that pool at its region's Cognito.
    """
    path = stack_file if stack_file is not None else find_stack_file(cwd)
    facts = read_stack_file(path) if path is not None else {}
    same_pool = (user_pool_id is None or user_pool_id == facts.get("userPoolId")) and (
        client_id is None or client_id == facts.get("userPoolClientId")
    )
    pool_facts = facts if same_pool else {}
    pool = user_pool_id or pool_facts.get("userPoolId")
    endpoint = pool_facts.get("awsEndpoint")
    api_url = api or facts.get("apiUrl")
    return Connection(
        api_url=normalize_url(api_url) if api_url else None,
        region=region or pool_facts.get("region") or _region_of_pool(pool),
        user_pool_id=pool,
        client_id=client_id or pool_facts.get("userPoolClientId"),
        aws_endpoint=normalize_url(endpoint) if endpoint else None,
    )


def _region_of_pool(user_pool_id: str | None) -> str | None:
    # A pool id is "<region>_<suffix>", so it names its region.
    if user_pool_id and "_" in user_pool_id:
        return user_pool_id.split("_", 1)[0]
    return None
