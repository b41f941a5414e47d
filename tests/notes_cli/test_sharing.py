"""``notes share``, ``notes shares`` and ``notes unshare`` against the real local stack; the link
opened over HTTP without a token."""

from __future__ import annotations

import json

import requests

from tests.notes_cli.helpers import Notes, assert_one_line_error
from tests.notes_cli.test_your_data import ok
from tests.stack import Stack


def opened(local_stack: Stack, url: str) -> requests.Response:
    """The API's answer for a link the CLI printed (the web app's page names the link's id)."""
    share_id = url.rsplit("#", 1)[1]
    return requests.get(f"{local_stack.facts.api_url}/shared/{share_id}", timeout=10)


def test_share_prints_a_link_anyone_can_open_until_unshare_stops_it(
    notes: Notes, logged_in: str, local_stack: Stack
) -> None:
    note_id = ok(notes("add", "the plan", "--title", "Plan")).stdout.strip()
    made = ok(notes("share", note_id[:13], "--days", "7"))
    url = made.stdout.strip()
    assert url.startswith(local_stack.facts.web_url + "/shared.html#")
    assert "until" in made.stderr and f"notes unshare {note_id}" in made.stderr
    answer = opened(local_stack, url)
    assert answer.status_code == 200 and answer.json()["content"] == "the plan"

    listed = ok(notes("shares"))
    header, line = listed.stdout.splitlines()
    assert header.split() == ["ID", "EXPIRES", "(UTC)", "LINK"]
    assert line.split()[0] == note_id and line.split()[-1] == url
    as_json = json.loads(ok(notes("shares", "--json")).stdout)
    assert [link["noteId"] for link in as_json["notes"]] == [note_id]

    again = ok(notes("share", note_id, "--json"))
    newer = json.loads(again.stdout)["url"]
    assert newer != url and "earlier link no longer works" in again.stderr
    assert opened(local_stack, url).status_code == 404

    stopped = ok(notes("unshare", note_id))
    assert stopped.stdout == f"the link of {note_id} no longer works\n"
    assert opened(local_stack, newer).status_code == 404
    empty = ok(notes("shares"))
    assert (empty.stdout, empty.stderr) == ("", "no note has a live link\n")
    assert_one_line_error(notes("unshare", note_id), f"note {note_id} has no live link")


def test_share_refuses_a_bad_number_of_days(notes: Notes, logged_in: str) -> None:
    note_id = ok(notes("add", "x")).stdout.strip()
    for days in ("0", "366", "two"):
        refused = notes("share", note_id, "--days", days)
        assert refused.exit_code == 2 and "--days" in refused.output
