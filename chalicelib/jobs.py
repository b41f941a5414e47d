"""The work the API leaves for later: the account table's stream, handed to the jobs function.

Which records are jobs is the jobs function's filter (``chalicelib.stream_consumers.JOBS``, the
deployed event source mapping's and the local stack's): a new ``export#<exportId>`` item, an
export to make (``chalicelib.exports``); a new ``deleted`` item, an account to delete
(``chalicelib.account``); and the ``sweep`` item once the TTL removed it, the last sweep of a
deleted account. Nothing else reaches the function (not the ``exporting`` item written with each
export). Each job is safe to run again with the same record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from chalicelib.account import DELETED_ITEM, SWEEP_ITEM, AccountDeletion
from chalicelib.exports import EXPORT_ITEM, Exports
from chalicelib.models import AccountItemModel
from chalicelib.stream_records import StreamRecord

log = logging.getLogger(__name__)


class Jobs:
    def __init__(self, exports: Exports, deletion: AccountDeletion) -> None:
        self._exports = exports
        self._deletion = deletion

    def run(
        self,
        records: Iterable[StreamRecord[AccountItemModel]],
        seconds_left: Callable[[], float] | None = None,
    ) -> dict[str, int]:
        """Each job of the records the filter admits (``stream_consumers.JOBS.records``), in order;
        what was done, by kind. Raises what an account deletion raised (the record is given
        again, and the deletion goes on)."""
        done = {"exports": 0, "deletions": 0, "sweeps": 0}
        for record in records:
            owner, item = str(record.keys["userId"]), str(record.keys["item"])
            if item.startswith(EXPORT_ITEM):
                self._exports.make(owner, item[len(EXPORT_ITEM) :], seconds_left)
                done["exports"] += 1
            elif item == DELETED_ITEM:
                self._deletion.carry_out(owner)
                done["deletions"] += 1
            elif item == SWEEP_ITEM:
                self._deletion.sweep_late(owner)
                done["sweeps"] += 1
        return done
