"""The stage's tables, declared once: the model each holds (its keys and indexes), its name beside
the notes table, the variable that names it, and whether it has a stream. The settings, the
composition root, the deploy's description (which makes CreateTable of them), the local stack,
the tests and the bench read them here.
"""

from __future__ import annotations

from typing import NamedTuple

from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from chalicelib.models import (
    AccountItemModel,
    ChangeModel,
    ConnectionModel,
    NoteModel,
    SearchEntryModel,
    ShareModel,
    TrashedNoteModel,
    VersionModel,
)


class Table(NamedTuple):
    """One of the stage's tables."""

    key: str  # how the code names it: "notes", "search", "trash", "account", "changes", ...
    model: type[Model]
    suffix: str  # after the notes table's name: the table's own name ("" for the notes table)
    variable: str  # the environment variable that names it (else: the notes table's name + suffix)
    setting: str  # the field of the settings (and of the local stack's Provisioned) that holds its name
    stream: bool  # its changes go to a stream (new and old images) that functions read

    def name(self, notes_table: str) -> str:
        """Its name, beside the notes table named ``notes_table``."""
        return notes_table + self.suffix

    @property
    def ttl_attribute(self) -> str | None:
        """The attribute by which DynamoDB deletes an item some time after it has passed: the model's
        ``TTLAttribute``, if it has one."""
        found = [item for item in self.model.get_attributes().values() if isinstance(item, TTLAttribute)]
        return found[0].attr_name if found else None


# The notes: one item per note, keyed by owner and time-ordered id; the stream feeds the search
# index and the functions that follow changes.
NOTES = Table("notes", NoteModel, "", "NOTES_TABLE_NAME", "table_name", stream=True)
# The search index (chalicelib.search): one item per entry, keyed by owner and entry.
SEARCH = Table(
    "search", SearchEntryModel, "-search", "NOTES_SEARCH_TABLE_NAME", "search_table_name", stream=False
)
# The trash: one item per trashed note, kept 30 days (its TTL's removals start the purge function).
TRASH = Table("trash", TrashedNoteModel, "-trash", "NOTES_TRASH_TABLE_NAME", "trash_table_name", stream=True)
# The account's own items: its tombstone, its exports (each new one starts the jobs function).
ACCOUNT = Table(
    "account", AccountItemModel, "-account", "NOTES_ACCOUNT_TABLE_NAME", "account_table_name", stream=True
)
# The change feed (chalicelib.changes): one item per change of a note, kept 31 days, and each
# user's head; written by the notes table's stream function, read by GET /changes.
CHANGES = Table(
    "changes", ChangeModel, "-changes", "NOTES_CHANGES_TABLE_NAME", "changes_table_name", stream=False
)
# The open WebSocket connections (chalicelib.live), each user's, kept at most a little over the
# two hours API Gateway keeps one open: the change feed's function tells them of changes.
CONNECTIONS = Table(
    "connections",
    ConnectionModel,
    "-connections",
    "NOTES_CONNECTIONS_TABLE_NAME",
    "connections_table_name",
    stream=False,
)
# Every replaced version of a note's text (chalicelib.history), kept 90 days: written by the notes
# table's stream function that writes the change feed, read by the API's history routes.
VERSIONS = Table(
    "versions", VersionModel, "-versions", "NOTES_VERSIONS_TABLE_NAME", "versions_table_name", stream=False
)
# Each note's live read-only link (chalicelib.sharing), found by its owner or by the link alone (its
# global secondary index): GET /shared/{shareId} answers it without a token.
SHARES = Table("shares", ShareModel, "-shares", "NOTES_SHARES_TABLE_NAME", "shares_table_name", stream=False)
TABLES = (NOTES, SEARCH, TRASH, ACCOUNT, CHANGES, CONNECTIONS, VERSIONS, SHARES)
