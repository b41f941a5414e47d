"""Many users, many threads, one running stack: nothing lost, duplicated or leaked; races have one winner.

Bounded counts, loopback only: the real ``make run`` stack over HTTP.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import requests

from tests.stack import send_to_s3

USERS = 3
THREADS_PER_USER = 4
NOTES_PER_THREAD = 5
BLIND_UPDATES = 2
RACE_ROUNDS = 5
ATTACHERS = 6
TIMEOUT = 30
T = TypeVar("T")


class User:
    def __init__(self, stack: Any) -> None:
        self.api = stack.facts.api_url
        self.email = f"load-{uuid.uuid4().hex[:10]}@example.com"
        self.headers = {"Authorization": stack.id_token(self.email)}
        self.sub = requests.get(f"{self.api}/me", headers=self.headers, timeout=TIMEOUT).json()["userId"]

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.api}{path}", headers=headers, timeout=TIMEOUT, **kwargs)

    def every_note(self) -> list[dict[str, Any]]:
        notes: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"limit": "7", **({"cursor": cursor} if cursor else {})}
            page = self.call("GET", "/notes", params=params).json()
            notes.extend(page["notes"])
            cursor = page["nextCursor"]
            if cursor is None:
                return notes


def in_parallel(jobs: list[Callable[[], T]]) -> list[T]:
    """Run every job on its own thread at once; re-raises the first failure."""
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(lambda job: job(), jobs))


def create_notes(user: User) -> tuple[User, list[str]]:
    ids = []
    for i in range(NOTES_PER_THREAD):
        response = user.call("POST", "/notes", json={"content": f"{user.email} {i}"})
        assert response.status_code == 201, response.text
        ids.append(response.json()["noteId"])
    return user, ids


def blind_updates(user: User, note_ids: list[str]) -> None:
    for note_id in note_ids:
        for n in range(BLIND_UPDATES):
            response = user.call("PATCH", f"/notes/{note_id}", json={"title": f"t{n}"})
            assert response.status_code == 200, response.text


def delete_half(user: User, note_ids: list[str]) -> list[str]:
    gone = note_ids[: len(note_ids) // 2]
    for note_id in gone:
        assert user.call("DELETE", f"/notes/{note_id}").status_code == 204
    return gone


class Race:
    """Every thread of a user writes the same note from the same version, round after round."""

    def __init__(self, users: list[User], note_ids: dict[str, str]) -> None:
        self.note_ids = note_ids
        self.start = {u.sub: u.call("GET", f"/notes/{note_ids[u.sub]}").json()["version"] for u in users}
        self.outcomes: dict[str, list[int]] = {u.sub: [] for u in users}
        self._lock = threading.Lock()
        # A timeout, so that one failing racer breaks the barrier instead of hanging the rest.
        self._barrier = threading.Barrier(len(users) * THREADS_PER_USER, timeout=TIMEOUT)

    def run(self, user: User, thread: int) -> None:
        for round_ in range(RACE_ROUNDS):
            self._barrier.wait()
            response = user.call(
                "PATCH",
                f"/notes/{self.note_ids[user.sub]}",
                json={"content": f"round {round_} by {thread}"},
                headers={"If-Match": f'"{self.start[user.sub] + round_}"'},
            )
            with self._lock:
                self.outcomes[user.sub].append(response.status_code)
            self._barrier.wait()  # the whole round has answered before the next starts


def test_concurrent_users_lose_nothing_and_races_have_one_winner(local_stack: Any) -> None:
    users = [User(local_stack) for _ in range(USERS)]
    workers = [user for user in users for _ in range(THREADS_PER_USER)]

    created = in_parallel([partial(create_notes, u) for u in workers])
    owned: dict[str, list[str]] = {u.sub: [] for u in users}
    for user, ids in created:
        owned[user.sub].extend(ids)
    all_ids = [note_id for ids in owned.values() for note_id in ids]
    assert len(all_ids) == len(set(all_ids)) == USERS * THREADS_PER_USER * NOTES_PER_THREAD

    in_parallel([partial(blind_updates, u, ids) for u, ids in created])

    race = Race(users, {u.sub: owned[u.sub][0] for u in users})
    in_parallel([partial(race.run, u, t) for t, u in enumerate(workers)])
    for user in users:
        counts = Counter(race.outcomes[user.sub])
        assert counts == {200: RACE_ROUNDS, 412: RACE_ROUNDS * (THREADS_PER_USER - 1)}, counts

    deleted = in_parallel([partial(delete_half, u, ids) for u, ids in created])
    deleted_ids = {note_id for ids in deleted for note_id in ids}

    for user in users:
        listed = user.every_note()
        listed_ids = [note["noteId"] for note in listed]
        assert len(listed_ids) == len(set(listed_ids)), "no note listed twice"
        assert set(listed_ids) == set(owned[user.sub]) - deleted_ids, "nothing lost, nothing foreign"
        assert all(note["userId"] == user.sub for note in listed)
        raced = race.note_ids[user.sub]
        versions = {note["noteId"]: note["version"] for note in listed}
        # Gapless: exactly one new version per successful write.
        assert all(v == 1 + BLIND_UPDATES + (RACE_ROUNDS if n == raced else 0) for n, v in versions.items())
        foreign = [owned[other.sub][-1] for other in users if other is not user]
        assert [user.call("GET", f"/notes/{note_id}").status_code for note_id in foreign] == [404] * len(
            foreign
        )


def send_upload(user: User, note_id: str, data: bytes, name: str) -> str:
    """Ask for an upload and send the file to its presigned POST; the uploadId."""
    asked = user.call(
        "POST",
        f"/notes/{note_id}/attachment",
        json={"name": name, "contentType": "application/octet-stream", "size": len(data)},
    )
    assert asked.status_code == 201, asked.text
    upload = asked.json()
    sent = send_to_s3(upload, data, timeout=TIMEOUT)
    assert sent.status_code in (200, 204), sent.text
    upload_id: str = upload["uploadId"]
    return upload_id


def test_concurrent_attaches_have_one_winner_and_leave_no_orphan(local_stack: Any) -> None:
    user = User(local_stack)
    note_id = user.call("POST", "/notes", json={"content": "contested"}).json()["noteId"]
    files_of_note = f"files/{user.sub}/{note_id}/"

    def attach_all(version: int | None) -> list[requests.Response]:
        uploads = [send_upload(user, note_id, f"file {i}".encode(), f"{i}.bin") for i in range(ATTACHERS)]
        barrier = threading.Barrier(ATTACHERS, timeout=TIMEOUT)

        def attach(upload_id: str) -> requests.Response:
            barrier.wait()
            headers = {"If-Match": f'"{version}"'} if version is not None else {}
            return user.call(
                "PUT", f"/notes/{note_id}/attachment", json={"uploadId": upload_id}, headers=headers
            )

        return in_parallel([partial(attach, upload_id) for upload_id in uploads])

    # From the same version: exactly one attach wins, the others are told the note changed.
    answers = attach_all(version=1)
    assert Counter(a.status_code for a in answers) == {200: 1, 412: ATTACHERS - 1}
    [winner] = [a.json() for a in answers if a.status_code == 200]
    # Blind replaces: every one succeeds, one after another, each deleting the file it replaced.
    answers = attach_all(version=None)
    assert [a.status_code for a in answers] == [200] * ATTACHERS

    note = user.call("GET", f"/notes/{note_id}").json()
    assert note["version"] == winner["version"] + ATTACHERS
    link = user.call("GET", f"/notes/{note_id}/attachment").json()
    body = requests.get(link["url"], timeout=TIMEOUT).content
    assert body == f"file {note['attachment']['name'].split('.')[0]}".encode()
    # Once the dust settles, the note's one file is all that is left of it in files/.
    assert len(local_stack.bucket_keys(files_of_note)) == 1
    # Attached uploads are deleted; the losers' uploads stay (to be attached again after a reload)
    # until the lifecycle rule takes them.
    assert len(local_stack.bucket_keys(f"uploads/{user.sub}/{note_id}/")) == ATTACHERS - 1


def test_one_upload_attached_in_parallel_is_attached_once(local_stack: Any) -> None:
    user = User(local_stack)
    note_id = user.call("POST", "/notes", json={"content": "one upload, many attaches"}).json()["noteId"]
    upload_id = send_upload(user, note_id, b"only once", "once.bin")
    barrier = threading.Barrier(ATTACHERS, timeout=TIMEOUT)

    def attach() -> requests.Response:
        barrier.wait()
        return user.call("PUT", f"/notes/{note_id}/attachment", json={"uploadId": upload_id})

    answers = in_parallel([attach] * ATTACHERS)
    assert Counter(a.status_code for a in answers) == {200: 1, 400: ATTACHERS - 1}, [a.text for a in answers]
    # The losers are told what a second attach, made afterwards, is told.
    again = user.call("PUT", f"/notes/{note_id}/attachment", json={"uploadId": upload_id})
    assert again.status_code == 400
    assert {a.text for a in answers if a.status_code == 400} == {again.text}
    note = user.call("GET", f"/notes/{note_id}").json()
    assert note["version"] == 2  # one change, not one per attach
    assert len(local_stack.bucket_keys(f"files/{user.sub}/{note_id}/")) == 1
    assert local_stack.bucket_keys(f"uploads/{user.sub}/{note_id}/") == []
