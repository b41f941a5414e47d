"""How long ``make run`` takes to serve ``/health``; prints a table. Run with ``make bench-startup``.

Warm: in this checkout, ``.venv`` already made (median of three starts).
Cold: in a fresh clone of this checkout's HEAD, so ``make run`` first creates ``.venv``
and installs every pinned package (one start; needs the package index).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.stack import running_stack


def seconds_to_ready(checkout: Path, timeout: float = 900.0) -> float:
    """Start ``make run`` in ``checkout``, wait for /health, stop it; the seconds it took."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        with running_stack(Path(folder), checkout=checkout, timeout=timeout) as stack:
            ready = time.monotonic() - started
            stack.interrupt(timeout=60)
    return ready


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
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
