"""The per-user credentials file: one signed-in session per API URL.

``$NOTES_CONFIG_DIR/credentials.json``, else ``$XDG_CONFIG_HOME/notes/credentials.json``,
else ``~/.config/notes/credentials.json``. The file holds bearer tokens, so it is
only ever written as a new 0600 file that replaces the old one in one step.

``{"version": 1, "sessions": {API_URL: SESSION}, "deletedAccounts": {API_URL: [EMAIL]}}``:
``deletedAccounts`` (left out when empty) names the accounts this machine learnt were deleted, so
that ``notes login`` can say so. Each session ``email``, ``idToken``, ``accessToken``,
``refreshToken`` and ``expiresAt``; a scoped session (from the sign-in page)
also has ``apiToken: "access"`` (the API is sent the access token), ``clientId`` (whose refresh
token it is), ``scope`` and ``readOnly``. A session without ``apiToken`` sends the ID token, as
every session did before scoped mode, and is written back unchanged.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notes_cli.errors import CliError

FILE_NAME = "credentials.json"
FORMAT_VERSION = 1
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory of the credentials file, from the environment."""
    env = os.environ if environ is None else environ
    if env.get("NOTES_CONFIG_DIR"):
        return Path(env["NOTES_CONFIG_DIR"]).expanduser()
    xdg = env.get("XDG_CONFIG_HOME", "")
    # The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / "notes"


# Which token a session sends the API: the ID token (ID-token mode, and every session stored before
# there was a choice) or the access token (scoped mode, whose tokens come from the token endpoint).
API_GETS_ID = "id"
API_GETS_ACCESS = "access"
API_TOKENS = (API_GETS_ID, API_GETS_ACCESS)


@dataclass(frozen=True)
class Session:
    """A signed-in user's tokens at one API.

    ``api_token`` says which token the API is sent (``API_GETS_ID`` or ``API_GETS_ACCESS``) and
    ``expires_at`` is that token's ``exp`` (epoch seconds). A scoped session also names the app
    client its refresh token belongs to (``client_id``), the scopes it was granted, and whether it
    was asked for read access only.
    """

    email: str
    id_token: str
    access_token: str
    refresh_token: str
    expires_at: int
    api_token: str = API_GETS_ID
    client_id: str | None = None
    scope: str | None = None
    read_only: bool = False

    @property
    def bearer(self) -> str:
        """The token the API is sent."""
        return self.access_token if self.api_token == API_GETS_ACCESS else self.id_token

    @property
    def scoped(self) -> bool:
        """True for a session from the sign-in page (access tokens with scopes)."""
        return self.api_token == API_GETS_ACCESS

    @property
    def login_command(self) -> str:
        """The command that makes this kind of session again."""
        if not self.scoped:
            return f"notes login {self.email}"
        return "notes login --read-only" if self.read_only else "notes login"

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        """True when the API's token is expired or will be within ``seconds``."""
        return self.expires_at - (time.time() if now is None else now) < seconds

    def to_json(self) -> dict[str, Any]:
        """The session as the credentials file stores it (an ID-token session as it always was)."""
        stored: dict[str, Any] = {
            "email": self.email,
            "idToken": self.id_token,
            "accessToken": self.access_token,
            "refreshToken": self.refresh_token,
            "expiresAt": self.expires_at,
        }
        if self.scoped:
            stored["apiToken"] = self.api_token
            stored["clientId"] = self.client_id
            stored["scope"] = self.scope
            stored["readOnly"] = self.read_only
        return stored

    @classmethod
    def from_tokens(
        cls,
        email: str,
        id_token: str,
        access_token: str,
        refresh_token: str,
        expires_in: int,
        *,
        api_token: str = API_GETS_ID,
        client_id: str | None = None,
        read_only: bool = False,
    ) -> Session:
        """A session from Cognito's tokens; the expiry is read from the token the API is sent."""
        sent = access_token if api_token == API_GETS_ACCESS else id_token
        expires_at = token_expiry(sent) or int(time.time()) + int(expires_in)
        scope = token_claims(access_token).get("scope") if api_token == API_GETS_ACCESS else None
        return cls(
            email,
            id_token,
            access_token,
            refresh_token,
            expires_at,
            api_token=api_token,
            client_id=client_id,
            scope=str(scope) if scope is not None else None,
            read_only=read_only,
        )

    @classmethod
    def from_json(cls, data: Any) -> Session | None:
        """The session stored as ``data``, or None when it is not a complete session."""
        if not isinstance(data, dict):
            return None
        try:
            api_token = str(data.get("apiToken") or API_GETS_ID)
            if api_token not in API_TOKENS:
                return None
            client_id, scope = data.get("clientId"), data.get("scope")
            return cls(
                email=str(data["email"]),
                id_token=str(data["idToken"]),
                access_token=str(data["accessToken"]),
                refresh_token=str(data["refreshToken"]),
                expires_at=int(data["expiresAt"]),
                api_token=api_token,
                client_id=str(client_id) if client_id else None,
                scope=str(scope) if scope is not None else None,
                read_only=data.get("readOnly") is True,
            )
        except (KeyError, TypeError, ValueError):
            return None


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, read without verifying it (the API verifies), or {} for anything else."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, TypeError, ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def token_expiry(token: str) -> int | None:
    """The ``exp`` claim of a JWT, read without verifying it (the API verifies), or None."""
    try:
        return int(token_claims(token)["exp"])
    except (KeyError, TypeError, ValueError):
        return None


class CredentialStore:
    """Reads and writes the credentials file; sessions are keyed by API URL."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME

    def get(self, api_url: str) -> Session | None:
        """The stored session for ``api_url``, if any."""
        sessions, _ = self._load()
        return Session.from_json(sessions.get(api_url))

    def put(self, api_url: str, session: Session) -> None:
        """Store (or replace) the session for ``api_url``: its account exists."""
        sessions, deleted = self._load()
        sessions[api_url] = session.to_json()
        _exists_again(deleted, api_url, session.email)
        self._write(sessions, deleted)

    def remove(self, api_url: str) -> Session | None:
        """Forget the session for ``api_url``; returns what was stored."""
        sessions, deleted = self._load()
        removed = Session.from_json(sessions.pop(api_url, None))
        if removed is not None:
            self._write(sessions, deleted)
        return removed

    def was_deleted(self, api_url: str, email: str) -> bool:
        """Whether this machine learnt that the account ``email`` at ``api_url`` was deleted (and
        has not logged in to an account of that email there since)."""
        _, deleted = self._load()
        return email.casefold() in deleted.get(api_url, [])

    def mark_deleted(self, api_url: str, email: str) -> None:
        """Remember that the account ``email`` at ``api_url`` was deleted, and forget its session."""
        sessions, deleted = self._load()
        emails = deleted.setdefault(api_url, [])
        if email.casefold() not in emails:
            emails.append(email.casefold())
        sessions.pop(api_url, None)
        self._write(sessions, deleted)

    def forget_deleted(self, api_url: str, email: str) -> None:
        """An account ``email`` at ``api_url`` exists again (signed up, or logged in to)."""
        sessions, deleted = self._load()
        if _exists_again(deleted, api_url, email):
            self._write(sessions, deleted)

    def _load(self) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """The file's sessions and its deleted accounts, read once."""
        data = self._read()
        sessions = data.get("sessions")
        deleted = data.get("deletedAccounts")
        return (
            dict(sessions) if isinstance(sessions, dict) else {},
            {
                str(api): [str(email) for email in emails]
                for api, emails in deleted.items()
                if isinstance(emails, list)
            }
            if isinstance(deleted, dict)
            else {},
        )

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise CliError(f"cannot read {self.path}: {error.strerror}") from error
        try:
            data = json.loads(text)
        except ValueError as error:
            raise CliError(f"{self.path} is not valid JSON: delete it and log in again") from error
        return data if isinstance(data, dict) else {}

    def _write(self, sessions: dict[str, Any], deleted: dict[str, list[str]]) -> None:
        data: dict[str, Any] = {"version": FORMAT_VERSION, "sessions": sessions}
        if deleted:
            data["deletedAccounts"] = deleted
        text = json.dumps(data, indent=2) + "\n"
        try:
            self._ensure_directory()
            temporary = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
            temporary.unlink(missing_ok=True)
            # Created 0600 from the start: the tokens are never readable by others, not even briefly.
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            try:
                os.fchmod(descriptor, FILE_MODE)  # whatever the umask
                with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                    descriptor = -1
                    stream.write(text)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(temporary, self.path)
            finally:
                if descriptor >= 0:
                    os.close(descriptor)
                temporary.unlink(missing_ok=True)
        except OSError as error:
            raise CliError(f"cannot write {self.path}: {error.strerror or error}") from error

    def _ensure_directory(self) -> None:
        if self.directory.is_dir():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, DIRECTORY_MODE)


def _exists_again(deleted: dict[str, list[str]], api_url: str, email: str) -> bool:
    """``email`` taken out of the accounts deleted at ``api_url``; whether it was there."""
    emails = deleted.get(api_url, [])
    if email.casefold() not in emails:
        return False
    emails.remove(email.casefold())
    if not emails:
        del deleted[api_url]
    return True
