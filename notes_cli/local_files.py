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

from notes_cli.errors import CliError, one_line

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
    with _nothing_left_on_failure(partial, target):
        with file:
            written = fetch(file)
        if written != size:
            raise CliError(
                f"the download holds {written:,} bytes, not the {size:,} of the file; run it again"
            )
        if force:
            os.replace(partial, target)
    return written


def save_whole(target: Path, force: bool, fetch: Callable[[BinaryIO], int], size: int | None) -> int:
    """Write what ``fetch(file)`` writes to a new private (0600) temporary file beside ``target``;
    check it is ``size`` bytes (when known); then make it ``target``; its size.

    ``target`` appears only once complete. Without ``force`` a file already there is never
    replaced, not even one made meanwhile; with it, it is replaced in one step. A failed download
    leaves nothing behind.
    """
    try:
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as error:
        raise CliError(f"cannot write {target}: {error.strerror or error}") from error
    partial = Path(temporary)
    with _nothing_left_on_failure(partial, target):
        with os.fdopen(descriptor, "wb") as file:
            written = fetch(file)
        if size is not None and written != size:
            raise CliError(f"the download holds {written:,} bytes, not the {size:,} expected; run it again")
        if force:
            os.replace(partial, target)
        else:
            _place_new(partial, target)
    return written


@contextmanager
def _nothing_left_on_failure(partial: Path, target: Path) -> Iterator[None]:
    """The end of a download to ``target`` through ``partial``: on any failure (an interrupt too)
    ``partial`` is removed; a file found at ``target`` is AlreadyThere, the disk's errors CliError
    (the network's are CliErrors already)."""
    try:
        yield
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, FileExistsError):
            raise AlreadyThere(target) from error
        if isinstance(error, OSError):
            raise CliError(f"cannot write {target}: {error.strerror or error}") from error
        raise


def _place_new(partial: Path, target: Path) -> None:
    """``partial`` renamed to ``target``, which must not exist; raises FileExistsError when it does."""
    try:
        os.link(partial, target)  # fails, whatever happened meanwhile, if anything is there
    except FileExistsError:
        raise
    except OSError:
        # A file system without hard links: checked, then renamed.
        if target.exists() or target.is_symlink():
            raise FileExistsError(target) from None
        os.rename(partial, target)
        return
    partial.unlink()


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Characters a saved file's name never holds as they are: control, format (such as the bidirectional
# overrides that show "exe.pdf" as "fdp.exe") and line or paragraph separators. Each becomes this.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
REPLACEMENT = "_"


def name_here(name: str) -> tuple[str, int]:
    """The name a note's file is saved under in a folder, when no ``-o`` names the file itself, and
    how many of its characters were replaced (each control, format or separator character by ``_``).

    Raises CliError, asking for ``-o PATH``, when the name would not be one plain, visible file in
    that folder: empty, a dot-file (``.bashrc``, ``.`` and ``..`` among them), holding a path
    separator, or too long for the file system.
    """
    shown = one_line(repr(name), 60)
    clean = "".join(REPLACEMENT if unicodedata.category(char) in HIDDEN_CATEGORIES else char for char in name)
    replaced = sum(1 for a, b in zip(name, clean, strict=True) if a != b)
    separators = {"/", "\\", os.sep, *(os.altsep or "")}
    why = None
    if not clean:
        why = "it is empty"
    elif clean.startswith("."):
        why = "it starts with a dot, so it would be a hidden file or name a folder"
    elif any(char in separators for char in clean):
        why = "it holds a path separator"
    else:
        try:
            too_long = len(os.fsencode(clean)) > MAX_LOCAL_NAME_BYTES
        except UnicodeError:
            too_long = True
        if too_long:
            why = f"it is longer than the {MAX_LOCAL_NAME_BYTES} bytes a file name may be here"
    if why:
        raise CliError(
            f"choose where to save it with -o PATH: the file's name {shown} "
            f"is not a safe file name here ({why})"
        )
    return clean, replaced


def download_target(output: str | None, name: str) -> tuple[Path, int, bool]:
    """Where ``notes download [-o OUTPUT]`` saves a file named ``name``, how many characters of its
    name were replaced, and whether the folders missing above it are to be made.

    No OUTPUT: the current folder. An OUTPUT that is a folder, or that ends in ``/`` (a folder,
    made if missing): in it, under ``name_here(name)``. Any other OUTPUT is the file itself, as given.
    """
    if output is None:
        clean, replaced = name_here(name)
        return Path(clean), replaced, False
    path = Path(output)
    names_a_folder = output.endswith(("/", os.sep, *(os.altsep or "")))
    if names_a_folder and (path.exists() or path.is_symlink()) and not path.is_dir():
        raise CliError(f"{output} is not a folder: give -o a folder ending in /, or the file's path")
    if names_a_folder or path.is_dir():
        clean, replaced = name_here(name)
        return path / clean, replaced, names_a_folder
    return path, 0, False


@contextmanager
def folder_for(target: Path, make: bool) -> Iterator[None]:
    """With ``make``, make the missing folders above ``target`` for the block, and remove those it
    made if the block fails; without it, nothing."""
    folder = target.parent
    missing: list[Path] = []
    while make and not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        try:
            made.mkdir()
        except OSError as error:
            _remove_empty(missing)
            raise CliError(f"cannot make the folder {made}: {error.strerror or error}") from error
    try:
        yield
    except BaseException:
        _remove_empty(missing)
        raise


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # the deepest first
        try:
            folder.rmdir()
        except OSError:
            pass


def keep_unsaved(note_id: str, text: str) -> str | None:
    """Write ``text``, which could not be saved to note ``note_id``, to a new private file; where it
    is (a name in the current folder, else a path in the temporary folder), or None if nowhere."""
    data = text.encode("utf-8", "surrogateescape")
    stem = f"notes-unsaved-{note_id}"
    for attempt in range(1, 100):
        name = f"{stem}.txt" if attempt == 1 else f"{stem}-{attempt}.txt"
        try:
            descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        except OSError:
            break
        if _write_all(descriptor, data, Path(name)):
            return name
        break
    try:
        descriptor, path = tempfile.mkstemp(prefix=f"{stem}-", suffix=".txt")
    except OSError:
        return None
    return path if _write_all(descriptor, data, Path(path)) else None


def _write_all(descriptor: int, data: bytes, path: Path) -> bool:
    """Write ``data`` to the new file ``path``, open as ``descriptor``; remove it if that fails."""
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
    except OSError:
        path.unlink(missing_ok=True)
        return False
    return True
