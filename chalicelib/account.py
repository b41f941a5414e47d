"""Deleting an account: everything its user has, and the user in the pool, in the background.

``DELETE /me`` writes one item, ``deleted`` in the account table (with the confirmed email),
and answers 202. From that write on, the app refuses every request made with the user's tokens
(``refuses``: one consistent GetItem per request), though API Gateway still admits them until
they expire. The table's stream starts the jobs function (``chalicelib.jobs``), which deletes the
user in the pool first (no token can be made or refreshed any more), then every note, trashed
note, search entry, change feed entry, note version, link (and its file's copy), file, upload and
export of the user, and marks the
deletion finished. Each step deletes what is left, so a run cut short by the function's time is
simply run again by the stream (it retries the record) and goes on where the last one stopped.

The tombstone stays, with no email, for good: the tokens are refused whatever any clock says
(moving the local stack's clock on, which runs the tables' time to live, cannot bring an account
back while its tokens are valid by the real time). An upload form issued before the deletion
still works until it expires, and S3 cannot take it back: so the deletion also writes the item
``sweep``, which the table's TTL removes once every form has expired, and that removal (the
stream's record of it) runs the deletion's steps once more (``sweep_late``).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from chalicelib import writes
from chalicelib.attachments import UPLOAD_FORM_SECONDS
from chalicelib.errors import InvalidInput
from chalicelib.files import FileStore
from chalicelib.models import (
    AccountItemModel,
    ChangeModel,
    NoteModel,
    SearchEntryModel,
    ShareModel,
    TableModel,
    TrashedNoteModel,
    VersionModel,
)
from chalicelib.shapes import parse_time, utc_now
from chalicelib.storage_layout import EXPORTS_PREFIX, FILES_PREFIX, SHARED_PREFIX, UPLOADS_PREFIX

log = logging.getLogger(__name__)

DELETED_ITEM = "deleted"
# Removed by the table's TTL once no upload form of the account can be used any more: its
# removal sweeps what such a form put in the bucket after the deletion.
SWEEP_ITEM = "sweep"
# Every form issued before the deletion has expired by then, with time for an upload under way.
SWEEP_AFTER_SECONDS = UPLOAD_FORM_SECONDS + 5 * 60
CONFIRM_HEADER = "X-Confirm-Delete"
# Batches of deletions sent at once (each a BatchWriteItem of up to 25 keys).
DELETE_WORKERS = 8
KEYS_PER_QUERY = 1000
# Batches of 25 keys sent and not yet answered, at most: the next page is read only when the
# deletions have caught up, so that memory holds a page or so, whatever the partition holds.
PENDING_BATCHES = 4 * DELETE_WORKERS


class AccountDeletion:
    """Refuse a deleted account's tokens, record a deletion, and carry it out."""

    def __init__(
        self,
        account: type[AccountItemModel],
        notes: type[NoteModel],
        trash: type[TrashedNoteModel],
        search: type[SearchEntryModel],
        changes: type[ChangeModel],
        versions: type[VersionModel],
        shares: type[ShareModel],
        files: FileStore,
        user_pool_id: str,
        region: str,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self._account = account
        self._notes = notes
        self._trash = trash
        self._search = search
        self._changes = changes
        self._versions = versions
        self._shares = shares
        self._files = files
        self._user_pool_id = user_pool_id
        self._region = region
        self._clock = clock
        self._cognito: Any = None

    def refuses(self, owner: str) -> bool:
        """Whether the account is being or has been deleted. One consistent GetItem of keys only.
        Raises StorageUnavailable."""
        with writes.dynamodb():
            try:
                self._account.get(owner, DELETED_ITEM, consistent_read=True, attributes_to_get=["userId"])
            except self._account.DoesNotExist:  # caught here: the usual answer, told apart from failures
                return False
        return True

    def request(self, owner: str, email: str | None, confirmation: str | None) -> None:
        """DELETE /me: the deletion recorded (once; asking again changes nothing). Raises
        InvalidInput when ``confirmation`` is not the caller's email, StorageUnavailable."""
        known = email or self._pool_email(owner)
        if confirmation is None or not confirmation.strip():
            raise InvalidInput(
                f"header {CONFIRM_HEADER!r} is missing: send your email in it to confirm that your "
                "account and everything in it are to be deleted"
            )
        if known is None or confirmation.strip().casefold() != known.casefold():
            raise InvalidInput(f"header {CONFIRM_HEADER!r} is not the email of the signed-in account")
        item = self._account(owner, DELETED_ITEM, status="deleting", email=known, createdAt=self._clock())
        try:
            with writes.dynamodb():
                item.save(condition=self._account.item.does_not_exist())
        except writes.ConditionFailed:
            pass  # recorded already: its job is running or done

    def carry_out(self, owner: str) -> dict[str, int]:
        """The job: the user in the pool, then everything the account holds; the deletion marked
        finished. What each step deleted, by kind. Raises what failed (run again, it goes on)."""
        self._delete_pool_user(owner)
        deleted = self._delete_all(owner)
        finished = self._account(owner, DELETED_ITEM)
        finished_at = self._clock()
        with writes.dynamodb():
            finished.update(
                actions=[
                    self._account.status.set("deleted"),
                    self._account.readyAt.set(finished_at),
                    self._account.email.remove(),
                ]
            )
            self._account(
                owner,
                SWEEP_ITEM,
                createdAt=finished_at,
                expiresAtEpoch=parse_time(finished_at) + timedelta(seconds=SWEEP_AFTER_SECONDS),
            ).save()
        log.info("account %s deleted: %s", owner, deleted)
        return deleted

    def sweep_late(self, owner: str) -> dict[str, int]:
        """The job when ``sweep`` expired: whatever of the account came after its deletion (an
        upload made with a form issued before it), deleted; by kind. Raises what failed."""
        deleted = self._delete_all(owner)
        if any(deleted.values()):
            log.info("account %s: deleted what came after its deletion: %s", owner, deleted)
        return deleted

    def _delete_all(self, owner: str) -> dict[str, int]:
        """Every note, trashed note, search entry, change feed entry, version, object and export of
        ``owner``; by kind."""
        deleted: dict[str, int] = {}
        # Until a pass finds nothing: a write the API took just before the 202 may land late.
        for _ in range(3):
            counts = {
                "notes": self._delete_partition(self._notes, owner),
                "trash": self._delete_partition(self._trash, owner),
                "searchEntries": self._delete_partition(self._search, owner),
                "changes": self._delete_partition(self._changes, owner),
                "versions": self._delete_partition(self._versions, owner),
                "sharedCopies": self._delete_shared_copies(owner),
                "shares": self._delete_partition(self._shares, owner),
                "objects": sum(
                    self._files.delete_under(f"{prefix}{owner}/")
                    for prefix in (FILES_PREFIX, UPLOADS_PREFIX, EXPORTS_PREFIX)
                ),
                "exports": self._delete_partition(self._account, owner, keep=(DELETED_ITEM, SWEEP_ITEM)),
            }
            for kind, count in counts.items():
                deleted[kind] = deleted.get(kind, 0) + count
            if not any(counts.values()):
                break
        return deleted

    def _delete_shared_copies(self, owner: str) -> int:
        """The copies of shared files the account's links made (``shared/<shareId>``, which name no
        owner: found from the links), before the links go; how many links had one."""
        keys = [
            f"{SHARED_PREFIX}{item.shareId}"
            for items in writes.query_pages(
                self._shares, owner, count=KEYS_PER_QUERY, attributes=["noteId", "shareId", "copiedFrom"]
            )
            for item in items
            if item.copiedFrom
        ]
        self._files.delete(*keys)
        return len(keys)

    def _delete_partition(self, model: type[TableModel], owner: str, keep: tuple[str, ...] = ()) -> int:
        """Every item of ``owner``'s partition of ``model``'s table but those of ``keep``; how many."""
        key_names = [attribute.attr_name for attribute in model.key_attributes().values()]
        deleted = 0
        with ThreadPoolExecutor(max_workers=DELETE_WORKERS, thread_name_prefix="delete") as pool:
            sending: deque[Future[None]] = deque()
            for items in writes.query_pages(model, owner, count=KEYS_PER_QUERY, attributes=key_names):
                keys = [key for _, key in (item.key() for item in items) if key not in keep]
                for start in range(0, len(keys), 25):
                    sending.append(pool.submit(_delete_keys, model, owner, keys[start : start + 25]))
                    while len(sending) > PENDING_BATCHES:
                        sending.popleft().result()
                deleted += len(keys)
            for sent in sending:
                sent.result()
        return deleted

    def _delete_pool_user(self, owner: str) -> None:
        client = self._cognito_client()
        try:
            client.admin_delete_user(UserPoolId=self._user_pool_id, Username=owner)
        except client.exceptions.UserNotFoundException:
            pass  # deleted by an earlier run

    def _pool_email(self, owner: str) -> str | None:
        """The user's email from the pool, for tokens that carry none (access tokens)."""
        client = self._cognito_client()
        try:
            user = client.admin_get_user(UserPoolId=self._user_pool_id, Username=owner)
        except client.exceptions.UserNotFoundException:
            return None
        attributes = {item["Name"]: item["Value"] for item in user.get("UserAttributes") or []}
        return attributes.get("email")

    def _cognito_client(self) -> Any:
        if self._cognito is None:
            import botocore.session

            self._cognito = botocore.session.get_session().create_client(
                "cognito-idp", region_name=self._region
            )
        return self._cognito


def _delete_keys(model: type[TableModel], owner: str, keys: list[Any]) -> None:
    with writes.dynamodb(), model.batch_write() as batch:
        for key in keys:
            batch.delete(model(owner, key))
