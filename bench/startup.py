"""How long ``make run`` takes to serve ``/health``; prints a table. Run with ``make bench-startup``.

Warm: in this checkout, ``.venv`` already made (median of three starts).
Cold: in a fresh clone of this checkout's HEAD, so ``make run`` first creates ``.venv``
and installs every pinned package (one start; needs the package index).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make") or "make"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seconds_to_ready(checkout: Path, timeout: float = 900.0) -> float:
    """Start ``make run`` in ``checkout``, wait for /health, stop it; the seconds it took."""
    port, emulator_port = _free_port(), _free_port()
    folder = Path(tempfile.mkdtemp())
    env = {**os.environ, "NOTES_STACK_FILE": str(folder / "stack.json")}
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603
        [
            MAKE,
            "--no-print-directory",
            "run",
            f"PORT={port}",
            f"EMULATOR_PORT={emulator_port}",
            f"STATE={folder / 'state.pickle'}",
        ],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"make run exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise RuntimeError("make run did not become ready")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also time a fresh clone (creates a new .venv)")
    args = parser.parse_args()
    rows = []
    warm = [seconds_to_ready(ROOT) for _ in range(3)]
    rows.append(("make run, warm (.venv present), median of 3", f"{statistics.median(warm):.1f} s"))
    if args.cold:
        with tempfile.TemporaryDirectory() as scratch:
            clone = Path(scratch) / "notes"
            subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)  # noqa: S603,S607
            rows.append(("make run, cold (fresh clone, new .venv)", f"{seconds_to_ready(clone):.1f} s"))
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  seconds to /health 200")
    print(f"{'-' * width}  ----------------------")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
