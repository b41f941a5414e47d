"""The local stack's data on disk: what the emulator holds for Cognito, DynamoDB and S3.

The emulator keeps everything in Python objects, so its state is saved as one pickle of its
backends (users with their passwords and ``sub``s, the pool and its client, the table and its
notes, the bucket and its files), behind a header naming the format and the emulator's version.
Its Cognito backend holds signing keys that ``pickle`` refuses; they are saved as their JWK
dictionaries and imported again on load.

Each save is atomic: written to a temporary file beside the state, flushed to disk, then renamed
over it, so a crash at any moment leaves either the previous state or the new one, never a torn
file. A state that cannot be loaded (corrupt, or saved by another emulator version) is moved
aside, never deleted, and the stack starts empty.

The file is the developer's own (mode 0600, under the git-ignored ``.local/``); like any pickle it
must never be loaded from anyone else.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import json
import os
import pickle
import platform
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

FORMAT = 1
MAGIC = b"notes local state\n"
SERVICES = ("cognito-idp", "dynamodb", "s3")


class UnreadableState(Exception):
    """The saved state cannot be loaded; the message says why."""


@dataclass(frozen=True)
class Loaded:
    """What ``load`` restored."""

    saved_at: str
    bytes: int


def _emulator_version() -> str:
    from moto import __version__

    return str(__version__)


def _rsa_key_by_value() -> None:
    """Let pickle save the emulator's signing keys as JWK dictionaries (it refuses the key objects)."""
    from joserfc.jwk import RSAKey

    copyreg.pickle(RSAKey, lambda key: (RSAKey.import_key, (key.as_dict(private=True),)))


def snapshot() -> bytes:
    """The emulator's data for every saved service, as the bytes of a state file.

    Call it while no request is being served, so that the services are seen at one moment.
    """
    _rsa_key_by_value()
    backends = {
        service: {account: dict(regions.items()) for account, regions in dict(_backends(service)).items()}
        for service in SERVICES
    }
    payload = pickle.dumps(backends, protocol=pickle.HIGHEST_PROTOCOL)
    header = {
        "format": FORMAT,
        "emulator": _emulator_version(),
        "python": platform.python_version(),
        "savedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    return MAGIC + json.dumps(header).encode() + b"\n" + payload


def save(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically: write, flush to disk, rename, flush the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def load(path: Path) -> Loaded:
    """Put the state saved in ``path`` into the emulator. Raises UnreadableState."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableState(f"cannot read it ({error.strerror})") from error
    header, payload = _split(data)
    if header.get("format") != FORMAT:
        raise UnreadableState(f"it is in format {header.get('format')!r}, this stack reads format {FORMAT}")
    if header.get("emulator") != _emulator_version():
        raise UnreadableState(
            f"it was saved by emulator version {header.get('emulator')}, this is {_emulator_version()}"
        )
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise UnreadableState("its contents do not match their checksum")
    _rsa_key_by_value()
    try:
        backends = pickle.load(io.BytesIO(payload))  # noqa: S301 - the developer's own file, see above
    except Exception as error:
        raise UnreadableState(f"it does not unpickle ({type(error).__name__}: {error})") from error
    if not isinstance(backends, dict) or set(backends) != set(SERVICES):
        raise UnreadableState("it does not hold the emulator's services")
    for service, accounts in backends.items():
        live = _backends(service)
        for account, regions in accounts.items():
            for region, backend in regions.items():
                live[account][region] = backend
    return Loaded(saved_at=str(header.get("savedAt")), bytes=len(data))


def set_aside(path: Path) -> Path:
    """Move an unreadable state out of the way, keeping it; where it went."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.unreadable-{stamp}{path.suffix}")
    os.replace(path, target)
    return target


def _backends(service: str) -> Any:
    """The emulator's live data for one service: account id, then region, then the backend."""
    from moto.backends import get_backend

    return cast(Any, get_backend)(service)


def _split(data: bytes) -> tuple[dict[str, Any], bytes]:
    if not data.startswith(MAGIC):
        raise UnreadableState("it is not a state file of this stack")
    line, newline, payload = data[len(MAGIC) :].partition(b"\n")
    if not newline:
        raise UnreadableState("its header is cut short")
    try:
        header = json.loads(line)
    except ValueError as error:
        raise UnreadableState("its header is not readable") from error
    if not isinstance(header, dict):
        raise UnreadableState("its header is not readable")
    return header, payload
