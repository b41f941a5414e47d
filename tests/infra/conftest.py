"""What the infra tests share: each deployed stage packaged once, as ``make package`` builds it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra import package

# What the API's role may do to the notes table, written out: the app's calls (chalicelib/notes.py),
# nothing else (no Scan, no wildcard).
NOTES_TABLE_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
]

Packaged = Callable[[str], package.Package]


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    """``packaged(stage)``: the stage's package from ``.chalice/config.json``, built on first use."""
    assert package.WHEELS.is_dir(), "the wheelhouse is missing: make wheels (or make test) fills it"
    built: dict[str, package.Package] = {}

    def build(stage: str) -> package.Package:
        if stage not in built:
            built[stage] = package.package(stage, tmp_path_factory.mktemp(stage))
        return built[stage]

    return build
