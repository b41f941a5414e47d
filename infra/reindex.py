"""``make reindex STAGE=dev``: make a deployed stage's search index again from its notes table.

The index holds nothing the notes table does not (``chalicelib.search``): this reads every note
and every entry once, then puts the entries that are missing and deletes those no note accounts
for. Notes written meanwhile are indexed by the stream as usual, so the stage keeps serving.

It runs with the caller's AWS credentials, the stage's tables found from its stack's outputs.
The running local stack's index is rebuilt by ``local_stack.reindex`` (``make reindex``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from infra import description
from infra.deploy import DeployError, required_outputs


def deployed_tables(cloudformation: Any, stage: str) -> tuple[str, str, str]:
    """A deployed stage's notes table, search table and region, from its stack's outputs. Raises
    DeployError."""
    outputs = required_outputs(cloudformation, stage, "SearchTableName", "search index yet")
    return outputs["TableName"], outputs["SearchTableName"], outputs["Region"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make reindex", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True, choices=description.DEPLOYED_STAGES)
    args = parser.parse_args(argv)
    try:
        import boto3

        table, search_table, region = deployed_tables(boto3.client("cloudformation"), args.stage)
    except DeployError as error:
        print(f"make reindex: {error}", file=sys.stderr)
        return 2
    from chalicelib.search import SearchIndex

    index = SearchIndex.of_tables(table, search_table, region)
    print(f"search index of {table} rebuilt: {index.rebuild()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
