"""The Lambda package: imports in a fresh interpreter as Lambda runs them, its memory, its size."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.timing import Row, ms, ratio
from tests import conftest

if TYPE_CHECKING:
    from infra.package import Package


COLD_REPEATS = 9
_TIMED_IMPORT = (
    "import sys, time\nstarted = time.perf_counter()\n{imports}\nprint(time.perf_counter() - started)\n"
)


def _python(code: str, cwd: Path, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    """``code`` run by a new interpreter (with ``flags``) started in ``cwd``; its error told if it fails."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, *flags, "-c", code], cwd=cwd, env=env, check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"in {cwd}, {code!r} failed:\n{done.stderr}")
    return done


def _import_us(imports: str, cwd: Path, env: dict[str, str]) -> float:
    """Microseconds that ``imports`` take in a new interpreter (its own start-up not counted)."""
    return float(_python(_TIMED_IMPORT.format(imports=imports), cwd, env).stdout) * 1e6


@dataclass(frozen=True)
class Unpacked:
    """A Lambda package of the dev stage and where it lies unpacked, as Lambda unpacks it."""

    built: Package
    task: Path


def unpacked_packages(folder: Path) -> dict[str, Unpacked]:
    """The package ``make package`` builds ("compiled") and the same of sources only ("sources")."""
    import zipfile

    from infra import package

    found = {}
    for name, bytecode in (("compiled", True), ("sources", False)):
        built = package.package("dev", folder / name, bytecode=bytecode)
        with zipfile.ZipFile(built.zip) as archive:
            archive.extractall(folder / name / "task")
        found[name] = Unpacked(built, folder / name / "task")
    return found


def cold_start(rows: list[Row], packages: dict[str, Unpacked]) -> None:
    """Imports in a fresh interpreter, run from an unpacked Lambda package as Lambda runs them.

    The package comes first on sys.path, so its chalice (the runtime only, no chalice.local: no
    local token checks), pynamodb and app are the ones imported; botocore comes from the virtual
    environment, as from the runtime in Lambda. Nothing writes bytecode: /var/task is read-only.
    """
    base = {**os.environ, **conftest.STAGE_ENV}
    lambda_env = {**base, "PYTHONDONTWRITEBYTECODE": "1"}
    compiled, sources = packages["compiled"].task, packages["sources"].task
    with tempfile.TemporaryDirectory() as pycache:
        # The working tree, as chalice local imports it, with its bytecode cached as usual.
        local_env = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
        local_env["PYTHONPYCACHEPREFIX"] = pycache
        cases = {
            "bare": ("import chalice.app, pynamodb.models", compiled, lambda_env),
            "compiled": ("import app", compiled, lambda_env),
            "sources": ("import app", sources, lambda_env),
            "local": ("import app", conftest.ROOT, local_env),
        }
        _import_us("import app", conftest.ROOT, local_env)  # fills the local bytecode cache
        timings: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(COLD_REPEATS):  # interleaved, so that drift hits every case alike
            for name, (imports, cwd, env) in cases.items():
                timings[name].append(_import_us(imports, cwd, env))
    bare, with_bytecode, from_sources, local = (statistics.median(timings[name]) for name in cases)
    rows.append(("cold start: import chalice.app + pynamodb.models", ms(bare), "baseline", "1.0×"))
    rows.append(
        (
            "cold start: import app (make package)",
            ms(with_bytecode),
            "vs bare deps",
            ratio(with_bytecode, bare),
        )
    )
    rows.append(
        (
            "cold start: import app, sources only (as chalice packages)",
            ms(from_sources),
            "vs bare deps",
            ratio(from_sources, bare),
        )
    )
    rows.append(
        (
            "cold start: import app, chalice local (token checks hooked)",
            ms(local),
            "vs bare deps",
            ratio(local, bare),
        )
    )


def _own_modules_ms(cwd: Path, env: dict[str, str]) -> float:
    """Milliseconds that ``import app`` spends in the app's own modules (app.py, chalicelib, and
    anything of the local stack), their dependencies not counted: ``-X importtime``'s self times."""
    result = _python("import app", cwd, env, "-X", "importtime")
    own = ("app", "chalicelib", "local_stack")
    total = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        if name.strip().split(".")[0] in own and self_us.strip().isdigit():
            total += int(self_us)
    return total / 1000


def own_modules(rows: list[Row], packages: dict[str, Unpacked]) -> None:
    """The app's own share of a cold start, which the whole-import rows above drown in botocore's."""
    env = {**os.environ, **conftest.STAGE_ENV, "PYTHONDONTWRITEBYTECODE": "1"}
    timings = [_own_modules_ms(packages["compiled"].task, env) for _ in range(COLD_REPEATS * 2)]
    rows.append(
        (
            "cold start: import app, the app's own modules only (self time)",
            f"{statistics.median(timings):.2f} ms",
            "-X importtime",
            "",
        )
    )


# A new interpreter's peak resident memory in KiB, as Linux counts it for the process itself
# (VmHWM; Lambda runs on Linux). Not getrusage's ru_maxrss: a child keeps its parent's peak when
# that is the higher, so it reported the bench's own size, whatever the app imported.
_PEAK_KIB = "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))"


def memory(rows: list[Row], packages: dict[str, Unpacked]) -> None:
    """Peak resident memory of a fresh interpreter that imported the app from its Lambda package."""
    env = {**os.environ, **conftest.STAGE_ENV, "PYTHONDONTWRITEBYTECODE": "1"}
    task = packages["compiled"].task
    peaks = {}
    for name, imports in (("bare", "import chalice.app, pynamodb.models"), ("app", "import app")):
        peaks[name] = int(_python(f"{imports}\n{_PEAK_KIB}", task, env).stdout) / 1024
    rows.append(
        (
            "Lambda memory: peak RSS after import app",
            f"{peaks['app']:.0f} MiB",
            f"bare deps {peaks['bare']:.0f} MiB",
            ratio(peaks["app"], peaks["bare"]),
        )
    )


def package_size(rows: list[Row], packages: dict[str, Unpacked]) -> None:
    built, sources = packages["compiled"].built, packages["sources"].built
    kib = 1024
    code = f"app's own code {built.app_code_bytes / kib:.0f} KiB"
    rows.append(
        (
            "Lambda zip (make package)",
            f"{built.zip_bytes / kib:.0f} KiB",
            code,
            ratio(built.zip_bytes, built.app_code_bytes),
        )
    )
    rows.append(
        (
            "Lambda zip, sources only",
            f"{sources.zip_bytes / kib:.0f} KiB",
            code,
            ratio(sources.zip_bytes, built.app_code_bytes),
        )
    )
    rows.append(
        (
            "Lambda zip as chalice builds it",
            f"{built.chalice_zip_bytes / kib:.0f} KiB",
            "with boto3/botocore",
            "",
        )
    )
