"""The user's own files: the one a note's file is read from, and the one a download is saved to.

``files`` moves the bytes; this module opens and checks the files on this machine, so that a
file that cannot be attached is refused before anything is sent and a download never leaves
half a file behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from notes_cli.errors import CliError

# No stage takes a larger file: one presigned POST carries at most 5 GiB. A stage's own,
# usually lower, limit is the API's to tell (it refuses the upload before any byte is sent).
MAX_FILE_BYTES = 5 * 1024**3
# The longest file name most file systems take, in bytes.
MAX_LOCAL_NAME_BYTES = 255


class AlreadyThere(CliError):
    """A download would overwrite a file."""

    def __init__(self, target: Path) -> None:
        super().__init__(
            f"{target} already exists: pass --force to overwrite it, or -o PATH to save elsewhere"
        )


@contextmanager
def open_upload(path: Path) -> Iterator[tuple[BinaryIO, int]]:
    """A regular, non-empty file opened for reading, and its size; raises CliError before any upload."""
    try:
        # Stat first: opening a FIFO would wait for a writer.
        if not stat.S_ISREG(path.stat().st_mode):
            raise CliError(f"{path} is not a regular file")
        file = path.open("rb")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or error}") from error
    with file:
        size = os.fstat(file.fileno()).st_size
        if size == 0:
            raise CliError(f"{path} is empty: a note's file holds 1 byte or more")
        if size > MAX_FILE_BYTES:
            raise CliError(f"{path} is {size:,} bytes: no file over {MAX_FILE_BYTES:,} bytes can be attached")
        yield file, size


def save(target: Path, force: bool, fetch: Callable[[BinaryIO], int], size: int) -> int:
    """Write what ``fetch(file)`` writes to ``target``; check it is ``size`` bytes; its size.

    Without ``force`` the file is created only if nothing is there; with it, the download goes
    to a temporary file beside it that replaces ``target`` once complete. A failed download
    leaves nothing behind.
    """
    try:
        if force:
            descriptor, temporary = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=".part"
            )
            os.fchmod(descriptor, 0o666 & ~current_umask())
            file: BinaryIO = os.fdopen(descriptor, "wb")
            partial = Path(temporary)
        else:
            file = target.open("xb")
            partial = target
    except FileExistsError as error:
        raise AlreadyThere(target) from error
    except OSError as error:
        raise CliError(f"cannot write {target}: {error.strerror or error}") from error
    try:
        with file:
            written = fetch(file)
        if written != size:
            raise CliError(
                f"the download holds {written:,} bytes, not the {size:,} of the file; run it again"
            )
        if force:
            os.replace(partial, target)
    except OSError as error:  # the network's errors are CliErrors already: this is the disk
        partial.unlink(missing_ok=True)
        raise CliError(f"cannot write {target}: {error.strerror or error}") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def safe_file_name(name: str) -> bool:
    """Whether ``name`` is one plain file name here: not empty, ``.`` or ``..``, no separator,
    no control character, and short enough for the file system."""
    if name in ("", ".", ".."):
        return False
    separators = {"/", "\\", os.sep, *(os.altsep or "")}
    if any(char in separators or unicodedata.category(char) == "Cc" for char in name):
        return False
    try:
        return len(os.fsencode(name)) <= MAX_LOCAL_NAME_BYTES
    except UnicodeError:
        return False
