"""The web app's libraries, kept in ``web/vendor/``: the Markdown renderer (marked) and the HTML
sanitiser (DOMPurify), each at a pinned version, with its licence beside it.

The page has no build step and its content security policy allows only its own scripts, so the
libraries' ES module builds are committed as the packages publish them, byte for byte.
``python -m tools.vendor`` fetches exactly the versions below from the npm registry, checks each
package against its recorded integrity (sha512, as the registry publishes it) and each file taken
from it against its recorded sha256, and writes the files into ``web/vendor/``; nothing is written
when a sum differs. ``python -m tools.vendor --check`` only checks the committed files (the suite
does too, offline). To update a library: change its version and integrity below, run the script
with ``--update`` (it prints the new files' sums), check the new sums in with the files.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "web" / "vendor"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class VendoredFile:
    source: str  # its path inside the package (npm packs every file under package/)
    name: str  # its name in web/vendor/
    sha256: str


@dataclass(frozen=True)
class Library:
    package: str
    version: str
    integrity: str  # the package's tarball, as the registry's dist.integrity gives it
    files: tuple[VendoredFile, ...]

    @property
    def tarball(self) -> str:
        return f"{REGISTRY}/{self.package}/-/{self.package}-{self.version}.tgz"


LIBRARIES = (
    Library(
        "marked",
        "18.3.0",
        "sha512-ed8zmPXlBb3UfGXN5iHMQyMhFpdqLgoV5umUXx/Q1R+FW3q8VpqpyoKUwlENL9appo2UMvNLURDVaT3AMOryGA==",
        (
            VendoredFile(
                "lib/marked.esm.js",
                "marked.esm.js",
                "4d2d824f3035e79b6887380d88c6c9ca0958215d1f4f6c053c562d60babc7172",
            ),
            VendoredFile(
                "LICENSE",
                "marked.LICENSE.txt",
                "8e3a3f82f59a60958f56ca08f445647c32a4733dc7ca6c2c46f6eb898471ab9c",
            ),
        ),
    ),
    Library(
        "dompurify",
        "3.5.0",
        "sha512-LYC0ZkE8P1V42JsRYTwMdme/2ET8SpOc5AA2eOFjP/IadvRd2fwiT4TVz5vkfy0XUx12aS2UaRkTnfVPNOv9vw==",
        (
            # The ES module build, named .js as every script of the page is (same content type
            # from make run's server and from the deploy's upload).
            VendoredFile(
                "dist/purify.es.mjs",
                "purify.es.js",
                "5e8c53cd086a012531fc754ee6a7ad7a02e8a06fc4dadd805b912e128c3f6c58",
            ),
            # DOMPurify is under the Apache License 2.0 or the Mozilla Public License 2.0: both kept.
            VendoredFile(
                "LICENSE",
                "dompurify.LICENSE.txt",
                "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
            ),
            VendoredFile(
                "LICENSE-MPL",
                "dompurify.LICENSE-MPL.txt",
                "fab3dd6bdab226f1c08630b1dd917e11fcb4ec5e1e020e2c16f83a0a13863e85",
            ),
        ),
    ),
)


class VendorError(Exception):
    pass


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def integrity(data: bytes) -> str:
    """A tarball's integrity string, as npm records it (Subresource Integrity's form)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def vendored_names() -> set[str]:
    return {file.name for library in LIBRARIES for file in library.files}


def check(folder: Path = VENDOR) -> list[str]:
    """What is wrong with the files of ``folder`` (missing, changed, or not recorded); empty when
    each is byte for byte the pinned package's."""
    problems = []
    for library in LIBRARIES:
        for file in library.files:
            path = folder / file.name
            if not path.is_file():
                problems.append(f"{file.name} is missing ({library.package} {library.version})")
            elif sha256(path.read_bytes()) != file.sha256:
                problems.append(f"{file.name} is not {library.package} {library.version}'s {file.source}")
    if folder.is_dir():
        extra = sorted(path.name for path in folder.iterdir() if path.name not in vendored_names())
        problems += [f"{name} is not a recorded file of a library" for name in extra]
    return problems


def fetch(library: Library) -> bytes:
    with urllib.request.urlopen(library.tarball, timeout=60) as answer:  # noqa: S310 (the registry's https URL)
        data: bytes = answer.read()
    if integrity(data) != library.integrity:
        raise VendorError(f"{library.tarball} is not the package recorded (its integrity differs)")
    return data


def unpack(library: Library, tarball: bytes, *, update: bool = False) -> dict[str, bytes]:
    """The library's files, by their name in web/vendor/; each checked against its sum (``update``:
    printed instead, for a new version)."""
    found: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for file in library.files:
            member = archive.extractfile(f"package/{file.source}")
            if member is None:
                raise VendorError(f"{library.package} {library.version} has no file {file.source}")
            data = member.read()
            if update:
                print(
                    f"{library.package} {library.version} {file.source} -> {file.name}: sha256 {sha256(data)}"
                )
            elif sha256(data) != file.sha256:
                raise VendorError(
                    f"{library.package} {library.version}'s {file.source} differs from its recorded sum"
                )
            found[file.name] = data
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.vendor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the committed files (offline)")
    parser.add_argument("--update", action="store_true", help="print the sums of a new version's files")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(f"web/vendor/{problem}", file=sys.stderr)
        return 1 if problems else 0
    try:
        files = {
            name: data
            for library in LIBRARIES
            for name, data in unpack(library, fetch(library), update=args.update).items()
        }
    except (OSError, VendorError, tarfile.TarError) as error:
        print(f"nothing written: {error}", file=sys.stderr)
        return 1
    if args.update:
        print("record these sums in tools/vendor.py, then run it again to write the files")
        return 0
    VENDOR.mkdir(exist_ok=True)
    for name, data in files.items():
        (VENDOR / name).write_bytes(data)
        print(f"web/vendor/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
