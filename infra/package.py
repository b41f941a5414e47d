"""``make package STAGE=dev``: a deployable template and Lambda package, offline, without credentials.

Runs ``chalice package --stage STAGE --merge-template`` with the stage's
resources from ``infra/template/`` (its auth mode from ``.chalice/config.json``:
a scoped stage's app is imported with its read and write scopes, so that Chalice
writes each method's scope into the API) and binds the API's OPTIONS methods to the
web app's origin, then takes out of the Lambda package what the Lambda Python
runtime already provides (boto3, botocore and their dependencies), adds compiled
bytecode for every module in it, and reports the sizes.

Why the bytecode: Lambda's ``/var/task`` is read-only, so Python cannot cache
what it compiles there and would compile every module of the package from
source at every cold start. Chalice ships sources only; ``make bench`` shows
what compiling them at packaging time saves. The bytecode is hash-based and
unchecked (PEP 552): the package's files never change once deployed, and no
source timestamp survives the zip anyway. It holds no docstrings (``-OO``'s code,
named as plain ``python`` reads it: nothing in the function reads a docstring, and
no module of the package asserts), which makes the zip smaller and the cold start
shorter; the sources beside it keep them. It is made only when this interpreter
is the stage's Lambda runtime.

Python packages come from the local wheelhouse (``.wheels``, filled by ``make package``
before it runs this, and by ``make test``, whose infra tests package too), so packaging
needs no network; no AWS credentials are read.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from infra import description, stages, template

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
WHEELS = ROOT / ".wheels"
# Import-time stand-ins: app.py reads its settings when Chalice imports it to
# package it; the merge template replaces each by a reference into the stack.
# The CORS origin only makes Chalice generate each path's OPTIONS method (it does so
# only when CORS is configured); template.bind_preflight_origin then binds each to the
# web app's origin.
PACKAGING_REGION = "us-east-1"
PACKAGING_ORIGIN = "https://packaging.invalid"
PACKAGING_ENV = {
    "AWS_DEFAULT_REGION": PACKAGING_REGION,
    "COGNITO_USER_POOL_ARN": f"arn:aws:cognito-idp:{PACKAGING_REGION}:000000000000:userpool/"
    f"{PACKAGING_REGION}_packaging",
    "COGNITO_APP_CLIENT_IDS": "packaging",
    "NOTES_BUCKET_NAME": "packaging",
    "CORS_ALLOW_ORIGIN": PACKAGING_ORIGIN,
}
# Not stand-ins: a scoped stage's scopes, which Chalice writes into each method's security
# requirement (the merge template sets the same on the function).
SCOPED_ENV = {
    "COGNITO_READ_SCOPES": description.READ_SCOPE,
    "COGNITO_WRITE_SCOPES": description.WRITE_SCOPE,
}
# Shipped by the Lambda Python runtime: botocore (which PynamoDB uses) and what it needs.
RUNTIME_PROVIDED = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
    "python_dateutil",
    "urllib3",
    "six",
)
# Installed with a dependency, never imported by the app: python-rsa reads PEM and DER keys with
# pyasn1, and the app makes its keys from a JWK's n and e (chalicelib.pure_rs256).
NEVER_IMPORTED = ("pyasn1",)


@dataclass(frozen=True)
class Package:
    template: Path
    zip: Path
    chalice_zip_bytes: int
    zip_bytes: int
    app_code_bytes: int
    bytecode: bool  # whether compiled modules were added


def stage_operations(stage: str) -> description.Operations:
    """The stage's throttling and alarm settings: its "operations" in .chalice/config.json, and
    ``ALARM_EMAIL`` from the environment (``make package ALARM_EMAIL=ops@example.com``).

    Raises RuntimeError naming a bad setting.
    """
    given = stages.operations(stage)
    try:
        return description.operations(stage, given, os.environ.get("ALARM_EMAIL") or None)
    except ValueError as error:
        raise RuntimeError(f"{error} (.chalice/config.json, stages.{stage}.operations)") from error


def stage_auth(stage: str) -> description.Auth:
    """The stage's auth mode and user pool: its "auth" in .chalice/config.json.

    Raises RuntimeError naming a bad setting.
    """
    try:
        return description.auth(stage, stages.auth(stage))
    except ValueError as error:
        raise RuntimeError(f"{error} (.chalice/config.json, stages.{stage}.auth)") from error


def packaging_env(auth: description.Auth) -> dict[str, str]:
    """What the app is imported with to be packaged: the stand-ins, and a scoped stage's scopes."""
    return {**PACKAGING_ENV, **(SCOPED_ENV if auth.scoped else {})}


def package(stage: str, out: Path | None = None, *, bytecode: bool = True) -> Package:
    """Build ``<out>/package/{sam.json,deployment.zip}`` (``out`` defaults to ``build/<stage>``).

    ``bytecode=False`` leaves the modules as sources only, as Chalice builds them.
    Raises RuntimeError naming what failed.
    """
    if stage not in description.DEPLOYED_STAGES:
        deployed = ", ".join(description.DEPLOYED_STAGES)
        raise RuntimeError(f"STAGE={stage} is not a deployed stage; choose one of {deployed}")
    out = out or BUILD / stage
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    merge = out / "merge.json"
    auth = stage_auth(stage)
    merge.write_text(json.dumps(template.merge_template(stage, stage_operations(stage), auth), indent=2))
    # Chalice wants a policy file when it does not generate one; the merge
    # template puts the same policy, bound to the table and the bucket, on the role.
    policy = ROOT / ".chalice" / f"policy-{stage}.json"
    wanted = json.dumps(template.role_policy(auth), indent=2) + "\n"
    # Written only when it changes: a running chalice local restarts on any write in the project.
    if not policy.is_file() or policy.read_text() != wanted:
        policy.write_text(wanted)

    # Only what packaging sets: no AWS settings, no scopes from the caller's environment.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name not in SCOPED_ENV
    }
    env.update(packaging_env(auth))
    env["NOTES_TABLE_NAME"] = description.table_name(stage)
    if WHEELS.is_dir():
        env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELS)})
    chalice = Path(sys.executable).with_name("chalice")
    command = [
        str(chalice),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(merge),
        str(out / "package"),
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"chalice package failed:\n{result.stderr or result.stdout}")

    sam = out / "package" / "sam.json"
    document = json.loads(sam.read_text())
    try:
        preflights = template.bind_preflight_origin(document, PACKAGING_ORIGIN)
    except ValueError as error:
        raise RuntimeError(f"the API's OPTIONS methods: {error}") from error
    if not preflights:
        raise RuntimeError("chalice package generated no OPTIONS method: the API would answer no preflight")
    sam.write_text(json.dumps(document, indent=2) + "\n")
    leftover = [
        value for value in PACKAGING_ENV.values() if value in sam.read_text() and value != PACKAGING_REGION
    ]
    if leftover:
        raise RuntimeError(f"the template still holds packaging stand-ins: {leftover}")
    zip_path = out / "package" / "deployment.zip"
    chalice_bytes = zip_path.stat().st_size
    compiled = bytecode and _lambda_runtime(sam) == _this_runtime()
    _slim(zip_path, compiled)
    return Package(sam, zip_path, chalice_bytes, zip_path.stat().st_size, _app_code_bytes(out), compiled)


def _lambda_runtime(sam: Path) -> str:
    function = json.loads(sam.read_text())["Resources"]["APIHandler"]["Properties"]
    return str(function.get("Runtime", ""))


def _this_runtime() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def _top_level(name: str) -> str:
    first = name.split("/", 1)[0]
    for suffix in (".py", ".dist-info", ".data"):
        if first.endswith(suffix):
            first = first[: -len(suffix)]
    return first.split("-", 1)[0].lower()


def _slim(zip_path: Path, bytecode: bool) -> None:
    """Drop what the Lambda runtime provides; with ``bytecode``, add each module compiled."""
    slim = zip_path.with_suffix(".slim")
    with (
        tempfile.TemporaryDirectory() as scratch,
        zipfile.ZipFile(zip_path) as source,
        zipfile.ZipFile(slim, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        # Chalice copies chalicelib/ as it finds it, with whatever bytecode the working tree holds:
        # that is left out, so the package's only bytecode is what is compiled here, from it.
        kept = [
            item
            for item in source.infolist()
            if _top_level(item.filename) not in RUNTIME_PROVIDED + NEVER_IMPORTED
            and not item.filename.endswith(".pyc")
        ]
        tree = Path(scratch)
        if bytecode:
            # Before any entry is written: writing a ZipInfo to the target changes its offsets.
            source.extractall(tree, [item for item in kept if item.filename.endswith(".py")])
            _compile_tree(tree)
        for item in kept:
            target.writestr(item, source.read(item.filename))
        for pyc in sorted(tree.rglob("*.pyc")):
            target.write(pyc, pyc.relative_to(tree).as_posix())
    slim.replace(zip_path)


def _compile_tree(tree: Path) -> None:
    """Each module under ``tree`` compiled beside it, as Lambda's interpreter looks for it, without
    docstrings (``-OO``'s code, under the name plain ``python`` reads: nothing in the package reads
    a docstring or asserts). Raises RuntimeError when one does not compile."""
    for source in sorted(tree.rglob("*.py")):
        try:
            py_compile.compile(
                str(source),
                cfile=importlib.util.cache_from_source(str(source)),
                dfile=source.relative_to(tree).as_posix(),
                doraise=True,
                optimize=2,
                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            )
        except py_compile.PyCompileError as error:
            raise RuntimeError(f"a module of the Lambda package does not compile: {error.msg}") from error


def _app_code_bytes(out: Path) -> int:
    """The zipped size of the app's own code: app.py and chalicelib/."""
    scratch = out / "app-code.zip"
    with zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(ROOT / "app.py", "app.py")
        for path in sorted((ROOT / "chalicelib").rglob("*.py")):
            archive.write(path, str(path.relative_to(ROOT)))
    size = scratch.stat().st_size
    scratch.unlink()
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make package", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args(argv)
    try:
        built = package(args.stage)
    except RuntimeError as error:
        print(f"make package: {error}", file=sys.stderr)
        return 2
    print(f"template        {built.template.relative_to(ROOT)}")
    print(f"Lambda package  {built.zip.relative_to(ROOT)}  {built.zip_bytes / 1024:.0f} KiB zipped")
    print("  without boto3, botocore and their dependencies: the Lambda runtime provides them")
    print(f"  as chalice built it, with boto3/botocore: {built.chalice_zip_bytes / 1024:.0f} KiB")
    print(f"  the app's own code (app.py, chalicelib/): {built.app_code_bytes / 1024:.0f} KiB")
    if built.bytecode:
        print(f"  with every module compiled for {_this_runtime()}, so that cold starts compile nothing")
    else:
        print(
            f"  sources only: this interpreter is not the stage's runtime, {_lambda_runtime(built.template)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
