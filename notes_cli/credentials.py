"""The per-user credentials file: one signed-in session per API URL.

``$NOTES_CONFIG_DIR/credentials.json``, else ``$XDG_CONFIG_HOME/notes/credentials.json``,
else ``~/.config/notes/credentials.json``. The file holds bearer tokens, so it is
only ever written as a new 0600 file that replaces the old one in one step.
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


@dataclass(frozen=True)
class Session:
    """A signed-in user's tokens at one API; ``expires_at`` is the ID token's ``exp`` (epoch seconds)."""

    email: str
    id_token: str
    access_token: str
    refresh_token: str
    expires_at: int

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        """True when the ID token is expired or will be within ``seconds``."""
        return self.expires_at - (time.time() if now is None else now) < seconds

    def to_json(self) -> dict[str, Any]:
        """The session as the credentials file stores it."""
        return {
            "email": self.email,
            "idToken": self.id_token,
            "accessToken": self.access_token,
            "refreshToken": self.refresh_token,
            "expiresAt": self.expires_at,
        }

    @classmethod
    def from_tokens(
        cls, email: str, id_token: str, access_token: str, refresh_token: str, expires_in: int
    ) -> Session:
        """A session from Cognito's AuthenticationResult; the expiry is read from the ID token."""
        expires_at = token_expiry(id_token) or int(time.time()) + int(expires_in)
        return cls(email, id_token, access_token, refresh_token, expires_at)

    @classmethod
    def from_json(cls, data: Any) -> Session | None:
        """The session stored as ``data``, or None when it is not a complete session."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                email=str(data["email"]),
                id_token=str(data["idToken"]),
                access_token=str(data["accessToken"]),
                refresh_token=str(data["refreshToken"]),
                expires_at=int(data["expiresAt"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def token_expiry(token: str) -> int | None:
    """The ``exp`` claim of a JWT, read without verifying it (the API verifies), or None."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return int(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError, binascii.Error):
        return None


class CredentialStore:
    """Reads and writes the credentials file; sessions are keyed by API URL."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME

    def get(self, api_url: str) -> Session | None:
        """The stored session for ``api_url``, if any."""
        return Session.from_json(self._sessions().get(api_url))

    def put(self, api_url: str, session: Session) -> None:
        """Store (or replace) the session for ``api_url``."""
        sessions = self._sessions()
        sessions[api_url] = session.to_json()
        self._write(sessions)

    def remove(self, api_url: str) -> Session | None:
        """Forget the session for ``api_url``; returns what was stored."""
        sessions = self._sessions()
        removed = Session.from_json(sessions.pop(api_url, None))
        if removed is not None:
            self._write(sessions)
        return removed

    def _sessions(self) -> dict[str, Any]:
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
        sessions = data.get("sessions") if isinstance(data, dict) else None
        return dict(sessions) if isinstance(sessions, dict) else {}

    def _write(self, sessions: dict[str, Any]) -> None:
        text = json.dumps({"version": FORMAT_VERSION, "sessions": sessions}, indent=2) + "\n"
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
