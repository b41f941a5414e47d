"""The libraries kept in web/vendor/ are byte for byte the pinned packages' files (tools/vendor.py
records their sums), each with its licence beside it. No network: the committed files are checked."""

from __future__ import annotations

import shutil
from pathlib import Path

from tools import vendor


def test_the_vendored_files_are_the_pinned_packages_files() -> None:
    assert vendor.check() == []
    for library in vendor.LIBRARIES:
        names = [file.name for file in library.files]
        assert any(name.endswith(".js") for name in names), library.package
        assert any("LICENSE" in name for name in names), f"{library.package} has no licence beside it"
        assert library.integrity.startswith("sha512-")


def test_a_changed_missing_or_unrecorded_file_is_named(tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(vendor.VENDOR, copy)
    assert vendor.check(copy) == []
    changed = copy / "marked.esm.js"
    changed.write_bytes(changed.read_bytes().replace(b"marked v18", b"marked v99", 1))
    (copy / "purify.es.js").unlink()
    (copy / "extra.js").write_text("export {};\n")
    assert vendor.check(copy) == [
        "marked.esm.js is not marked 18.3.0's lib/marked.esm.js",
        "purify.es.js is missing (dompurify 3.5.0)",
        "extra.js is not a recorded file of a library",
    ]


def test_the_integrity_is_npms_form() -> None:
    # npm's integrity of a tarball: "sha512-" and the digest in base64.
    assert vendor.integrity(b"") == (
        "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
    )
