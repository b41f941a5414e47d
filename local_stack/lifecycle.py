"""The bucket's lifecycle rules, applied by the local stack itself: the emulator keeps the rules but
never runs them, where S3 does once a day.

``LifecycleSweep`` reads the bucket's rules through S3's API (``GetBucketLifecycleConfiguration``,
as provisioned from ``infra/description/``) and applies each enabled rule that filters by prefix
only: an object under its prefix whose expiry has come is deleted, and a multipart upload started
longer ago than ``AbortIncompleteMultipartUpload`` allows is aborted. As in S3, an object created
at ``t`` expires ``Days`` later, rounded up to the next midnight UTC (or on the rule's ``Date``).
Rules that filter by tag or size, versioned objects and transitions are not applied.

``sweeping`` runs a sweep when ``make run`` starts, every ``SWEEP_INTERVAL_SECONDS`` after, and at
once whenever the local stack's clock is moved on (``POST /local/clock``), as the tables' time to
live does; the clock is injectable (``clock``), so that a test can move it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from local_stack.credentials import Keys
from local_stack.repeating import repeating

SWEEP_INTERVAL_SECONDS = 3600.0
DELETE_BATCH = 1000

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Rule:
    """An enabled rule the local stack applies: its prefix, and when what it covers expires."""

    id: str
    prefix: str
    days: int | None = None
    date: datetime | None = None
    abort_multipart_days: int | None = None

    def expired(self, created: datetime, now: datetime) -> bool:
        if self.date is not None and now >= self.date:
            return True
        return self.days is not None and now >= expires_at(created, self.days)


@dataclass
class Swept:
    """What one sweep removed: keys deleted and multipart uploads aborted, by rule id."""

    deleted: dict[str, list[str]] = field(default_factory=dict)
    aborted: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        said = []
        for rule, keys in self.deleted.items():
            if keys:
                said.append(f"the bucket's lifecycle rule {rule} deleted {len(keys)} object(s)")
        for rule, keys in self.aborted.items():
            if keys:
                said.append(f"the bucket's lifecycle rule {rule} aborted {len(keys)} multipart upload(s)")
        return said


def expires_at(created: datetime, days: int) -> datetime:
    """When S3 expires an object created at ``created`` under a rule of ``days``: that many days
    later, rounded up to the next midnight UTC."""
    moment = (created + timedelta(days=days)).astimezone(UTC)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == moment else midnight + timedelta(days=1)


class LifecycleSweep:
    """One bucket's lifecycle rules, applied through S3's API (``s3``, a boto3 client) at ``clock``."""

    def __init__(self, s3: Any, bucket: str, clock: Clock = utc_now) -> None:
        self._s3 = s3
        self.bucket = bucket
        self.clock = clock

    def rules(self) -> list[Rule]:
        """The bucket's enabled rules that the local stack applies."""
        try:
            found = self._s3.get_bucket_lifecycle_configuration(Bucket=self.bucket)["Rules"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchLifecycleConfiguration":
                return []
            raise
        return [rule for rule in map(_rule, found) if rule is not None]

    def sweep(self) -> Swept:
        """Apply every rule once, now (as ``clock`` tells it)."""
        now = self.clock()
        swept = Swept()
        for rule in self.rules():
            swept.deleted[rule.id] = self._expire(rule, now)
            swept.aborted[rule.id] = self._abort(rule, now)
        return swept

    def _expire(self, rule: Rule, now: datetime) -> list[str]:
        if rule.days is None and rule.date is None:
            return []
        due = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=rule.prefix
        ):
            due += [
                item["Key"] for item in page.get("Contents", []) if rule.expired(item["LastModified"], now)
            ]
        for start in range(0, len(due), DELETE_BATCH):
            batch = [{"Key": key} for key in due[start : start + DELETE_BATCH]]
            self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        return due

    def _abort(self, rule: Rule, now: datetime) -> list[str]:
        if rule.abort_multipart_days is None:
            return []
        aborted = []
        paginator = self._s3.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=rule.prefix):
            for upload in page.get("Uploads", []):
                if now >= expires_at(upload["Initiated"], rule.abort_multipart_days):
                    self._s3.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted.append(upload["Key"])
        return aborted


def _rule(found: dict[str, Any]) -> Rule | None:
    """The rule, if it is enabled and filters by prefix only."""
    if found.get("Status") != "Enabled":
        return None
    selector = found.get("Filter")
    if selector is None:
        prefix = found.get("Prefix", "")
    elif set(selector) <= {"Prefix"}:
        prefix = selector.get("Prefix", "")
    else:
        return None  # a tag or size filter: not applied locally
    expiration = found.get("Expiration") or {}
    abort = found.get("AbortIncompleteMultipartUpload") or {}
    return Rule(
        id=str(found.get("ID") or prefix or "(unnamed)"),
        prefix=str(prefix),
        days=expiration.get("Days"),
        date=expiration.get("Date"),
        abort_multipart_days=abort.get("DaysAfterInitiation"),
    )


def local_sweep(
    endpoint: str, region: str, bucket: str, keys: Keys, clock: Clock = utc_now
) -> LifecycleSweep:
    """The sweep of ``bucket`` on the emulator at ``endpoint``, signed with the local pair."""
    import boto3

    s3 = boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
        config=Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}),
    )
    return LifecycleSweep(s3, bucket, clock)


def sweeping(
    sweep: LifecycleSweep,
    interval: float = SWEEP_INTERVAL_SECONDS,
    say: Callable[[str], None] = lambda line: print(line, flush=True),
    on_move: Callable[[Callable[[], None]], None] | None = None,
) -> AbstractContextManager[None]:
    """Sweep now, every ``interval`` seconds and whenever the clock moves (``on_move`` registers
    what to call then), until the block ends; ``say`` what was removed."""

    def once() -> None:
        try:
            for line in sweep.sweep().lines():
                say(line)
        except (BotoCoreError, ClientError, KeyError, TypeError, ValueError) as error:
            # Never the end of make run: said, and tried again at the next sweep.
            say(f"make run: could not apply the bucket's lifecycle rules ({error}); trying again later")

    return repeating("lifecycle", once, interval, on_move)
