"""One record of a table's DynamoDB stream, as Lambda hands it to a function, its images as models.

A stream's Lambda event is ``{"Records": [...]}``; each record says what happened to one item
(``eventName``: INSERT, MODIFY or REMOVE), its keys, and, as the table's stream view gives them
(``NEW_AND_OLD_IMAGES`` on every table of the stage), the item after the change and before it, in
DynamoDB's typed JSON. ``records(event, model)`` reads a whole event into ``StreamRecord``s whose
images are instances of ``model``, read by PynamoDB itself (``Model.from_dynamodb_dict``, which
also decodes the base64 of binary values as Lambda's JSON carries them), and whose keys are plain
values: a function reads attributes, never typed JSON.

The stream functions are plain Lambda functions (``app.lambda_function``; their event sources,
with their filters, are the template's), so they get the event as Lambda sends it. Which records
reach which function is declared once, in ``chalicelib.stream_consumers``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from pynamodb.models import Model

INSERT = "INSERT"
MODIFY = "MODIFY"
REMOVE = "REMOVE"
EVENT_NAMES = (INSERT, MODIFY, REMOVE)
# What DynamoDB's TTL writes as a record's ``userIdentity`` when it removed an expired item.
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}

M = TypeVar("M", bound=Model)


class StreamRecord(NamedTuple, Generic[M]):
    """What one stream record says of one item: ``event_name`` (INSERT, MODIFY or REMOVE), its
    ``keys`` by attribute name (plain values), and its ``new`` and ``old`` images (None where the
    record has none: no old image for an INSERT, no new one for a REMOVE)."""

    event_name: str
    keys: Mapping[str, Any]
    new: M | None
    old: M | None

    @classmethod
    def parse(cls, record: Mapping[str, Any], model: type[M]) -> StreamRecord[M]:
        """The record, its images as ``model``s. Raises ValueError for what is no stream record of
        ``model``'s table (no known event name, no keys, a key ``model`` does not declare)."""
        event_name = record.get("eventName")
        if event_name not in EVENT_NAMES:
            raise ValueError(f"not a DynamoDB stream record: eventName {event_name!r}")
        change = record.get("dynamodb") or {}
        keys = change.get("Keys")
        if not keys:
            raise ValueError("not a DynamoDB stream record: no Keys")
        return cls(
            event_name=event_name,
            keys=_plain_keys(keys, model),
            new=_image(change.get("NewImage"), model),
            old=_image(change.get("OldImage"), model),
        )


def records(event: Mapping[str, Any], model: type[M]) -> list[StreamRecord[M]]:
    """Every record of a stream's Lambda event, in order, its images as ``model``s."""
    return [StreamRecord.parse(record, model) for record in event.get("Records") or []]


def _image(image: Mapping[str, Any] | None, model: type[M]) -> M | None:
    if not image:
        return None
    item = model()
    item.from_dynamodb_dict(copy.deepcopy(dict(image)))  # it decodes in place: the event stays as given
    return item


def _plain_keys(keys: Mapping[str, Any], model: type[M]) -> dict[str, Any]:
    attributes = {
        attribute.attr_name: (name, attribute) for name, attribute in model.get_attributes().items()
    }
    plain: dict[str, Any] = {}
    for stored, value in keys.items():
        if stored not in attributes:
            raise ValueError(f"not a record of {model.__name__}'s table: key {stored!r}")
        name, attribute = attributes[stored]
        plain[name] = attribute.deserialize(attribute.get_value(value))
    return plain
