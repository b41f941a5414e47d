"""The DynamoDB calls the app makes that PynamoDB's models cannot make, in one place.

Everything else speaks to DynamoDB through PynamoDB's models (``chalicelib.models``) and
``chalicelib.writes``; only this module reaches a model's connection, which PynamoDB keeps
private (``Model._get_connection``), for what the models' public API cannot ask for:

- ``transaction``: PynamoDB's ``TransactWrite`` sends its items on a ``Connection`` it is given,
  and no model hands out its own. A ``Connection`` made apart would be a second botocore client
  for the table (another pool of connections, another set of TLS sessions in each Lambda
  container), and its calls would not be made where the table's other calls are (the suite's and
  ``make bench``'s counts of requests watch each table's client).
- ``update_item``: ``Model.update`` always asks for the item as it is after the write
  (``ReturnValues`` ``ALL_NEW``), so it cannot answer the item as it was before it (``ALL_OLD``);
  and on a model with a version attribute it always counts the version up, so it cannot change
  what is not the note (the uploads waiting to be attached) and leave the version as it is.
- ``delete_item``: ``Model.delete`` asks for nothing back, so it cannot answer the item it
  deleted (``ALL_OLD``) in the same request.
- ``client_of``: the table's botocore client itself, which PynamoDB does not hand out.

Each function makes exactly the one request it names; what a failure means is
``chalicelib.writes``'s to say.
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
