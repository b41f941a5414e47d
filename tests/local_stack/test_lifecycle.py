"""The bucket's lifecycle rule, applied by the local stack itself (the emulator keeps the rule but
never runs it): over real HTTP on the session's ``make run``, with the sweep's clock moved on."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from local_stack.lifecycle import LifecycleSweep, expires_at
from tests.conftest import ROOT
from tests.stack import Stack, StackUser, new_user, running_stack, send_to_s3

# Run on a stopped stack's saved state: every object in the bucket made ``days`` earlier.
AGE_OBJECTS = """
import sys
from datetime import timedelta
from pathlib import Path
from local_stack import state_file
from moto.s3.models import s3_backends
path, bucket, days = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
state_file.load(path)
for partitions in s3_backends.values():
    for backend in partitions.values():
        if bucket in backend.buckets:
            for key in backend.buckets[bucket].keys.values():
                key.last_modified -= timedelta(days=days)
state_file.save(path, state_file.snapshot())
"""


@pytest.fixture(scope="module")
def carol(local_stack: Stack) -> StackUser:
    return new_user(local_stack, "lifecycle")


def keys_of(stack: Stack, note_id: str) -> list[str]:
    return [key for key in stack.bucket_keys() if f"/{note_id}/" in key]


def test_the_sweep_deletes_an_old_pending_upload_and_keeps_attached_files(
    local_stack: Stack, carol: StackUser
) -> None:
    kept_note = carol.create_note("attached")["noteId"]
    carol.attach(kept_note, "kept.txt", b"attached and kept")
    pending_note = carol.create_note("never attached")["noteId"]
    pending = carol.ask_upload(pending_note, "left.txt", b"left behind")
    assert send_to_s3(pending, b"left behind").status_code == 204
    (upload_key,) = keys_of(local_stack, pending_note)
    assert upload_key.startswith("uploads/")
    (file_key,) = keys_of(local_stack, kept_note)
    assert file_key.startswith("files/")
    s3 = local_stack.client("s3")
    bucket = local_stack.facts.bucket_name

    # Today nothing is due: the upload is a day from expiring.
    today = LifecycleSweep(s3, bucket).sweep()
    assert upload_key not in today.deleted.get("expire-uploads-never-attached", [])
    assert keys_of(local_stack, pending_note) == [upload_key]

    # Two days on, the rule has removed the upload, and nothing under files/.
    later = LifecycleSweep(s3, bucket, clock=lambda: datetime.now(UTC) + timedelta(days=2, minutes=1)).sweep()
    assert upload_key in later.deleted["expire-uploads-never-attached"]
    assert all(key.startswith("uploads/") for key in later.deleted["expire-uploads-never-attached"])
    assert keys_of(local_stack, pending_note) == []
    assert keys_of(local_stack, kept_note) == [file_key]
    link = carol.call("GET", f"/notes/{kept_note}/attachment")
    assert link.status_code == 200
    # The upload can no longer be attached: the file is gone.
    attach = carol.call("PUT", f"/notes/{pending_note}/attachment", {"uploadId": pending["uploadId"]})
    assert attach.status_code == 400, attach.text
    assert carol.note(pending_note).json()["attachment"] is None


def test_the_sweep_applies_the_buckets_own_rules(local_stack: Stack) -> None:
    rules = LifecycleSweep(local_stack.client("s3"), local_stack.facts.bucket_name).rules()
    assert sorted((rule.id, rule.prefix, rule.days, rule.abort_multipart_days) for rule in rules) == [
        ("expire-exports", "exports/", 1, 1),
        ("expire-shared-copies", "shared/", 1, None),
        ("expire-uploads-never-attached", "uploads/", 1, 1),
    ]


def test_a_multipart_upload_left_unfinished_is_aborted_by_the_rule(local_stack: Stack) -> None:
    s3 = local_stack.client("s3")
    bucket = local_stack.facts.bucket_name
    started = s3.create_multipart_upload(Bucket=bucket, Key="uploads/lifecycle-test/multipart/x")
    sweep = LifecycleSweep(s3, bucket, clock=lambda: datetime.now(UTC) + timedelta(days=2, minutes=1))

    swept = sweep.sweep()

    assert "uploads/lifecycle-test/multipart/x" in swept.aborted["expire-uploads-never-attached"]
    left = s3.list_multipart_uploads(Bucket=bucket, Prefix="uploads/lifecycle-test/").get("Uploads", [])
    assert [upload["UploadId"] for upload in left if upload["UploadId"] == started["UploadId"]] == []


@pytest.mark.parametrize(
    ("created", "due"),
    [
        ("2024-03-01T10:30:00+00:00", "2024-03-03T00:00:00+00:00"),
        ("2024-03-01T00:00:00+00:00", "2024-03-02T00:00:00+00:00"),
        ("2024-03-01T23:59:59+00:00", "2024-03-03T00:00:00+00:00"),
        ("2024-03-01T23:30:00-02:00", "2024-03-04T00:00:00+00:00"),
    ],
)
def test_an_object_expires_as_s3_counts_days(created: str, due: str) -> None:
    """A day after it was made, rounded up to the next midnight UTC."""
    assert expires_at(datetime.fromisoformat(created), 1) == datetime.fromisoformat(due)


def test_make_run_applies_the_rule_to_the_uploads_it_kept(tmp_path: Path) -> None:
    """The uploads of a deleted note, kept by make run and days old at the next one, are removed
    when it starts; attached files as old are kept."""
    with running_stack(tmp_path) as first:
        dave = new_user(first, "lifecycle")
        kept_note = dave.create_note("attached")["noteId"]
        dave.attach(kept_note, "kept.txt", b"attached and kept")
        gone_note = dave.create_note("deleted with an upload on its way")["noteId"]
        pending = dave.ask_upload(gone_note, "left.txt", b"left behind")
        assert send_to_s3(pending, b"left behind").status_code == 204
        assert dave.call("DELETE", f"/notes/{gone_note}").status_code == 204
        assert len(keys_of(first, gone_note)) == 1  # what the rule is for
        first.interrupt()
    state = tmp_path / "state.pickle"
    bucket = first.facts.bucket_name
    aged = subprocess.run(
        [sys.executable, "-c", AGE_OBJECTS, str(state), bucket, "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert aged.returncode == 0, aged.stderr

    with running_stack(tmp_path) as second:
        printed = second.printed(
            "the bucket's lifecycle rule expire-uploads-never-attached deleted 1 object(s)"
        )
        assert "Traceback" not in printed
        assert keys_of(second, gone_note) == []
        assert len(keys_of(second, kept_note)) == 1
        dave = StackUser(second, dave.email)
        link = dave.call("GET", f"/notes/{kept_note}/attachment")
        assert link.status_code == 200, link.text
        assert requests.get(link.json()["url"], timeout=10).content == b"attached and kept"
        second.interrupt()


def test_moving_the_clock_applies_the_rule_to_an_expired_export(tmp_path: Path) -> None:
    """The local clock moved past an export's day: its ZIP goes at once, as S3's rule removes it."""
    with running_stack(tmp_path) as stack:
        erin = new_user(stack, "clock")
        owner = erin.create_note("exported")["userId"]
        started = erin.call("POST", "/exports")
        assert started.status_code == 202, started.text
        export_id = started.json()["exportId"]
        deadline = time.monotonic() + 20
        while erin.call("GET", f"/exports/{export_id}").json()["status"] != "ready":
            assert time.monotonic() < deadline, "the export is ready"
            time.sleep(0.1)
        assert len(stack.bucket_keys(f"exports/{owner}/")) == 1
        moved = requests.post(
            f"{stack.facts.aws_endpoint}/local/clock",
            json={"advanceSeconds": 31 * 24 * 60 * 60},
            headers={"Authorization": f"Bearer {stack.facts.aws_secret_access_key}"},
            timeout=10,
        )
        assert moved.status_code == 200, moved.text
        deadline = time.monotonic() + 20
        while stack.bucket_keys(f"exports/{owner}/"):
            assert time.monotonic() < deadline, "the expired export's ZIP is deleted"
            time.sleep(0.1)
        stack.printed("the bucket's lifecycle rule expire-exports deleted 1 object(s)")
