"""The one reader of ``.chalice/config.json``: each stage's environment, operations, auth and limits.

Chalice reads the file itself for ``chalice local``, ``package`` and ``deploy``; everything of this
project that needs a stage's settings (the deploy path, the local stack, the tests) asks here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.settings import SettingsError, attachment_max_bytes

ROOT = Path(__file__).resolve().parents[1]
CONFIG_FILE = ROOT / ".chalice" / "config.json"


class StageConfigError(ValueError):
    """A stage's setting in ``.chalice/config.json`` is missing or malformed; the message names it."""


def config(path: Path | None = None) -> dict[str, Any]:
    """The whole file, as Chalice reads it."""
    document: dict[str, Any] = json.loads((path or CONFIG_FILE).read_text())
    return document


def stage(name: str, path: Path | None = None) -> dict[str, Any]:
    """One stage's settings (``{}`` for a stage the file does not name)."""
    found: dict[str, Any] = config(path).get("stages", {}).get(name, {})
    return found


def environment(name: str, path: Path | None = None) -> dict[str, str]:
    """The stage's ``environment_variables``: what Chalice sets before it imports ``app.py``."""
    env: dict[str, str] = stage(name, path).get("environment_variables", {})
    return env


def operations(name: str, path: Path | None = None) -> dict[str, Any] | None:
    """The stage's ``operations`` (throttling and alarms), or None when it sets none."""
    given: dict[str, Any] | None = stage(name, path).get("operations")
    return given


def auth(name: str, path: Path | None = None) -> dict[str, Any] | None:
    """The stage's ``auth`` (its mode: ID tokens or scoped access tokens; an existing user pool),
    or None when it sets none. ``infra.description.auth`` parses it."""
    given: dict[str, Any] | None = stage(name, path).get("auth")
    return given


def max_attachment_bytes(name: str, path: Path | None = None) -> int:
    """The largest file the stage accepts: its ``ATTACHMENT_MAX_BYTES``, or the app's default.

    Parsed by the app's own rule, so a value the app would refuse at start-up is refused here too.
    Raises StageConfigError.
    """
    try:
        return attachment_max_bytes(environment(name, path))
    except SettingsError as error:
        raise StageConfigError(f"{error} (.chalice/config.json, stages.{name})") from error
