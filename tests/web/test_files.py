"""The page's files kept for a visit without a network: the service worker's list (web/sw.js) is
every file the web app's folder holds, with the page's address and its settings."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"


def kept_files() -> list[str]:
    source = (WEB / "sw.js").read_text(encoding="utf-8")
    listed = re.search(r"const FILES = \[(.*?)\];", source, re.S)
    assert listed, "sw.js has no FILES list"
    return re.findall(r'"([^"]+)"', listed.group(1))


def test_the_service_worker_keeps_every_file_of_the_page() -> None:
    kept = kept_files()
    assert len(kept) == len(set(kept)), "a file is listed twice"
    # Every file of the folder and its folders (web/vendor/: the libraries), but the worker itself
    # and the libraries' licences, which the page does not load.
    folder = {
        path.relative_to(WEB).as_posix()
        for path in WEB.rglob("*")
        if path.is_file() and path.name != "sw.js" and ".LICENSE" not in path.name
    }
    assert any(name.startswith("vendor/") for name in folder)
    assert set(kept) == folder | {"./", "config.json"}
