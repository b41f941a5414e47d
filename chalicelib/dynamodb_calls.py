"""The DynamoDB calls PynamoDB's models cannot make, in one place: the only module that reaches a
model's (private) connection.

- ``transaction``: ``TransactWrite`` needs a ``Connection``, and no model hands out its own; one
  made apart would be a second botocore client for the table, unseen by what counts its requests.
- ``update_item``: ``Model.update`` answers only the item after the write (``ALL_NEW``) and
  always counts a version attribute up; these answer the item before it (``ALL_OLD``) or leave
  the version alone (the uploads waiting to be attached are not the note).
- ``delete_item``: ``Model.delete`` answers nothing; this answers the deleted item (``ALL_OLD``).
- ``client_of``: the table's botocore client, which PynamoDB does not hand out.

Each makes exactly the one request it names; ``chalicelib.writes`` says what a failure means.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.constants import ALL_OLD
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

_M = TypeVar("_M", bound=Model)


def client_of(model: type[Model]) -> Any:
    """The botocore client ``model``'s calls go through: where what watches a table's requests (the
    request log's counts, the suite's and the bench's recorders, their injected faults) hooks in."""
    return model._get_connection().connection.client


def transaction(model: type[Model]) -> TransactWrite:
    """A ``TransactWrite`` sent, when its block ends, on ``model``'s own connection (one
    TransactWriteItems; its items may be of any table)."""
    return TransactWrite(connection=model._get_connection().connection)


def update_item(
    model: type[Model], hash_key: Any, range_key: Any, actions: list[Action], condition: Condition
) -> None:
    """One UpdateItem of exactly ``actions`` (no version counted up) on ``condition``."""
    model._get_connection().update_item(hash_key, range_key, actions=actions, condition=condition)


def update_item_returning_old(
    model: type[_M], hash_key: Any, range_key: Any, actions: list[Action], condition: Condition
) -> _M:
    """One UpdateItem of exactly ``actions`` (no version counted up) on ``condition``; the item as
    it was before it."""
    answer = model._get_connection().update_item(
        hash_key, range_key, actions=actions, condition=condition, return_values=ALL_OLD
    )
    return model.from_raw_data(answer["Attributes"])


def delete_item(model: type[_M], hash_key: Any, range_key: Any, condition: Condition) -> _M:
    """One DeleteItem on ``condition``; the item as it was."""
    answer = model._get_connection().delete_item(
        hash_key, range_key, condition=condition, return_values=ALL_OLD
    )
    return model.from_raw_data(answer["Attributes"])
