"""``make reindex`` on the running local stack: its search index made again from its notes table.

The stack is the one ``make run`` describes in ``.local/stack.json`` (``NOTES_STACK_FILE`` names
another file): this process talks to its emulator, signed with its pair of keys. A deployed
stage's index is rebuilt by ``infra.reindex`` (``make reindex STAGE=dev``).
"""

from __future__ import annotations

import os
import sys

from chalicelib.tables import SEARCH
from infra import description
from local_stack import STAGE
from notes_cli.stack_file import FactsError, StackFacts, stack_file


def main() -> int:
    path = stack_file()
    try:
        facts = StackFacts.read(path)
    except (FactsError, OSError):
        print(
            f"make reindex: no running local stack ({path} cannot be read): start it with make run",
            file=sys.stderr,
        )
        return 2
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_DYNAMODB": facts.aws_endpoint,
            "AWS_ACCESS_KEY_ID": facts.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": facts.aws_secret_access_key,
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    from chalicelib.search import SearchIndex

    index = SearchIndex.of_tables(facts.table_name, description.table_name(STAGE, SEARCH), facts.region)
    print(f"search index of {facts.table_name} rebuilt: {index.rebuild()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
