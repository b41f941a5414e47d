"""``make reindex``: make the search index again from the notes table, locally or for a deployed stage.

The index holds nothing the notes table does not (``chalicelib.search``): this reads every note
and every entry once, then puts the entries that are missing and deletes those no note accounts
for. Notes written meanwhile are indexed by the stream as usual, so the stage keeps serving.

``make reindex`` works on the running local stack (``make run``'s ``.local/stack.json``);
``make reindex STAGE=dev`` on a deployed stage, with the caller's AWS credentials, its tables
found from the stage's stack outputs.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from infra import description

LOCAL = "local"


class ReindexError(Exception):
    """The index cannot be rebuilt; the message says what to do."""


def local_tables() -> tuple[str, str, str]:
    """The running local stack's notes table, search table and region; this process signs with its
    pair and talks to its emulator. Raises ReindexError when no stack runs."""
    from local_stack.facts import FactsError, StackFacts, stack_file

    path = stack_file()
    try:
        facts = StackFacts.read(path)
    except (FactsError, OSError) as error:
        raise ReindexError(
            f"no running local stack ({path} cannot be read): start it with make run"
        ) from error
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_DYNAMODB": facts.aws_endpoint,
            "AWS_ACCESS_KEY_ID": facts.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": facts.aws_secret_access_key,
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    return facts.table_name, description.search_table_name(LOCAL), facts.region


def deployed_tables(cloudformation: Any, stage: str) -> tuple[str, str, str]:
    """A deployed stage's notes table, search table and region, from its stack's outputs."""
    from infra.deploy import stack_name, stage_outputs

    name = stack_name(stage)
    outputs = stage_outputs(cloudformation, stage)
    if outputs is None:
        raise ReindexError(f"no stack {name}: deploy it with make deploy STAGE={stage}")
    if "SearchTableName" not in outputs:
        raise ReindexError(
            f"stack {name} has no search index yet: deploy it again with make deploy STAGE={stage}"
        )
    return outputs["TableName"], outputs["SearchTableName"], outputs["Region"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make reindex", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default=LOCAL, choices=(LOCAL, *description.DEPLOYED_STAGES))
    args = parser.parse_args(argv)
    try:
        if args.stage == LOCAL:
            table, search_table, region = local_tables()
        else:
            import boto3

            table, search_table, region = deployed_tables(boto3.client("cloudformation"), args.stage)
    except ReindexError as error:
        print(f"make reindex: {error}", file=sys.stderr)
        return 2
    from chalicelib.search import SearchIndex

    index = SearchIndex.of_tables(table, search_table, region)
    print(f"search index of {table} rebuilt: {index.rebuild()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
