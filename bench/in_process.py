"""The app against the emulated AWS in this process, as the tests run it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests import conftest  # applies the test stage's environment before the app is imported


@contextmanager
def transactions_copying_no_table() -> Iterator[None]:
    """The emulator's TransactWriteItems without its copy of each table it writes.

    Before it writes, the emulator copies every table a transaction writes (every item and every
    stream record), to put it back if the transaction is refused: a DELETE /notes/{id} (a move to
    the trash) then takes it time in proportion to everything written before, 373 ms after the
    request rows' writes for a 5 ms DeleteItem, where DynamoDB's transaction costs what its own
    items do. No transaction here is refused, so none is put back: while the block runs, the copy
    of a table is the table itself.
    """
    from moto.dynamodb.models.table import Table

    Table.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del Table.__deepcopy__  # type: ignore[attr-defined]


@contextmanager
def in_process_stack() -> Iterator[Any]:
    from chalice.test import Client
    from moto import mock_aws

    import app as notes_app
    from local_stack import gateway_auth
    from local_stack.emulator import answer_as_aws
    from local_stack.provisioning import provision

    # The pool answers as Cognito's, and a Query reads only its key range, as DynamoDB's does (as the
    # tests run). Each mock_aws starts empty: the stage's tables are provisioned anew, with no item.
    answer_as_aws()
    with mock_aws(), transactions_copying_no_table():
        provision(
            conftest.STAGE,
            conftest.aws_client("cognito-idp"),
            conftest.aws_client("dynamodb"),
            conftest.aws_client("s3"),
        )
        http = Client(notes_app.app, stage_name=conftest.STAGE, project_dir=str(conftest.ROOT)).http
        # Each emulator makes the pool anew, with a signing key of its own: the app checks tokens as a
        # new deployment would, against that pool's keys (its cache holds the last emulator's).
        gateway_auth.verify_tokens_locally(notes_app.app, notes_app.settings)
        yield conftest.new_user(http)
