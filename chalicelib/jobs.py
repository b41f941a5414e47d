"""The work the API leaves for later: the account table's stream, handed to the jobs function.

Deployed, the stream's event source mapping gives the function each new item of the account table
(INSERT records, one per invocation) and each item the table's TTL removed; locally the local
stack does the same. An ``export#<exportId>`` item is an export to make (``chalicelib.exports``), a
``deleted`` item an account to delete (``chalicelib.account``), and the ``sweep`` item, once the TTL
removed it, the last sweep of a deleted account. Each is safe to run again with the same record.
The ``exporting`` item, written with each export to name it while it is pending, is no job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chalicelib.account import DELETED_ITEM, SWEEP_ITEM, AccountDeletion
from chalicelib.exports import EXPORT_ITEM, Exports
from chalicelib.trash import TTL_IDENTITY

log = logging.getLogger(__name__)


class Jobs:
    def __init__(self, exports: Exports, deletion: AccountDeletion) -> None:
        self._exports = exports
        self._deletion = deletion

    def run(self, event: dict[str, Any], seconds_left: Callable[[], float] | None = None) -> dict[str, int]:
        """Each new item's work, in order; what was done, by kind. Raises what an account
        deletion raised (the record is given again, and the deletion goes on)."""
        done = {"exports": 0, "deletions": 0, "sweeps": 0}
        for record in event.get("Records") or []:
            keys = (record.get("dynamodb") or {}).get("Keys") or {}
            owner = (keys.get("userId") or {}).get("S")
            item = (keys.get("item") or {}).get("S") or ""
            if not owner:
                continue
            if record.get("eventName") == "REMOVE" and record.get("userIdentity") == TTL_IDENTITY:
                if item == SWEEP_ITEM:
                    self._deletion.sweep_late(owner)
                    done["sweeps"] += 1
                continue
            if record.get("eventName") != "INSERT":
                continue
            if item.startswith(EXPORT_ITEM):
                self._exports.make(owner, item[len(EXPORT_ITEM) :], seconds_left)
                done["exports"] += 1
            elif item == DELETED_ITEM:
                self._deletion.carry_out(owner)
                done["deletions"] += 1
        return done
