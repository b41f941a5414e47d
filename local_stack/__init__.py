"""The local stack: what stands in for AWS on a developer's machine, never in the Lambda package.

``make run`` (``python -m local_stack``) starts it on 127.0.0.1 only; ``chalice local`` and the
chalice test client check tokens with ``gateway_auth``. Each module has one job; docs/architecture.md
lists them (its "Layout").

This module holds only what they share, and imports nothing heavy: the API's process
(``chalice_local``) imports ``gateway_auth`` at every start.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
STAGE = "local"


class LaunchError(Exception):
    """The stack cannot start; the message says why and what to do."""


def shown(path: Path) -> str:
    """A path as a person in the project folder would type it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)
