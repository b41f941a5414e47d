"""``notes changes``: what changed in your notes, from any device, after a cursor; with
``--follow``, as it happens.

The command prints one line per change (when, the note's id, its title or "deleted") and, on
stderr, the cursor to pass next time, so that a script can keep a copy of the notes in step.

``--follow`` stays connected to the stage's live endpoint (a WebSocket, the token offered beside
``notes``): each message says something changed, and the command pulls the change feed from its
cursor and prints what it gets. A connection that closes (API Gateway closes one after two hours,
or after ten minutes without a message from the client, which the command sends every few
minutes; the network drops) is opened again, after a pause that grows to half a minute, and the
feed is pulled from the cursor: nothing is missed meanwhile. Ctrl-C stops it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import click

from notes_cli.api import ApiError, NotesApi
from notes_cli.errors import CliError
from notes_cli.output import TIME_WIDTH, label, print_json
from notes_cli.state import State, pass_state

# The id as a change line shows it: enough to tell notes apart, and to paste into notes show.
SHOWN_ID_CHARS = 13
DELETED = "deleted"
# A message to the live endpoint this often keeps API Gateway's 10-minute idle limit away.
KEEPALIVE_SECONDS = 5 * 60
FIRST_PAUSE_SECONDS = 1.0
LONGEST_PAUSE_SECONDS = 30.0
OPEN_TIMEOUT_SECONDS = 10.0


def change_line(change: dict[str, Any]) -> str:
    """One change: when (UTC), the note's id (its first characters), its title or "deleted"."""
    note = change.get("note")
    what = label(note) if isinstance(note, dict) else DELETED
    shown_id = str(change.get("noteId"))[:SHOWN_ID_CHARS]
    return f"{change.get('changedAt')!s:<{TIME_WIDTH}}  {shown_id:<{SHOWN_ID_CHARS}}  {what}"


def pull(api: NotesApi, cursor: str | None) -> tuple[list[dict[str, Any]], str]:
    """Every change after ``cursor`` (None: every note), page after page, each note once at its last
    change; and the cursor to go on from."""
    found: dict[str, dict[str, Any]] = {}
    while True:
        try:
            page = api.changes(cursor)
        except ApiError as error:
            if error.code == "ResyncRequired":
                raise CliError(
                    "that cursor is more than 30 days old: run notes changes without --since to get "
                    "every note again"
                ) from error
            raise
        for change in page.get("changes") or []:
            found.pop(str(change.get("noteId")), None)  # once, at its last change
            found[str(change.get("noteId"))] = change
        cursor = str(page.get("cursor"))
        if not page.get("more"):
            return list(found.values()), cursor


@click.command(name="changes")
@click.option(
    "--since",
    metavar="CURSOR",
    help="The cursor an earlier notes changes printed: only what changed after it. "
    "Without it: every note you have, then what changed.",
)
@click.option(
    "--follow",
    is_flag=True,
    help="Stay connected to the live endpoint and print changes as they happen, until Ctrl-C.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON: {changes, cursor}; with --follow, one change per line.",
)
@pass_state
def changes(state: State, since: str | None, follow: bool, as_json: bool) -> None:
    """What changed in your notes, from any device, in the order it changed.

    \b
    One line per change: when it changed (UTC), the note's id (its start,
    enough for notes show), and its title, or "deleted" for a note moved to the
    trash or deleted for good. A note is shown once, as it is now.
    Then, on stderr, the cursor: notes changes --since CURSOR shows only what
    changed after this run. With --follow it stays connected and prints each
    change as it happens (reconnecting when the connection drops), until Ctrl-C.
    """
    url = state.connection.ws_url
    if follow and not url:
        raise CliError(
            "no live endpoint to follow: start the local stack with make run, or pass --ws-url "
            "(NOTES_WS_URL, the stack's WsUrl output)"
        )
    found, cursor = pull(state.api, since)
    if follow:
        show(found, as_json)
        following(state, str(url), cursor, as_json)
        return
    if as_json:
        print_json({"changes": found, "cursor": cursor})
        return
    show(found, False)
    if not found:
        click.echo("nothing changed", err=True)
    click.echo(f"cursor: {cursor}  (notes changes --since {cursor} shows what changes next)", err=True)


def show(found: list[dict[str, Any]], json_lines: bool) -> None:
    for change in found:
        click.echo(json.dumps(change, ensure_ascii=False) if json_lines else change_line(change))


class Following:
    """Where ``--follow`` has got to: the cursor after the last change printed."""

    def __init__(self, state: State, url: str, cursor: str, json_lines: bool) -> None:
        self.state = state
        self.url = url
        self.cursor = cursor
        self.json_lines = json_lines

    def catch_up(self) -> None:
        found, self.cursor = pull(self.state.api, self.cursor)
        show(found, self.json_lines)

    def listen(self) -> None:
        """One connection: the feed pulled once it is open (what came while away), then again at
        each message; returns when the server closes it."""
        from websockets.exceptions import ConnectionClosedOK
        from websockets.sync.client import connect

        session, _ = self.state.api.session()  # refreshed first when about to expire
        offered: Any = ["notes", session.bearer]
        with connect(self.url, subprotocols=offered, open_timeout=OPEN_TIMEOUT_SECONDS) as socket:
            self.catch_up()
            while True:
                try:
                    socket.recv(timeout=KEEPALIVE_SECONDS)
                except TimeoutError:
                    socket.send(json.dumps({"type": "ping"}))
                    continue
                except ConnectionClosedOK:
                    return
                self.catch_up()


def following(state: State, url: str, cursor: str, json_lines: bool) -> None:
    """Print changes as the live endpoint announces them, reconnecting, until Ctrl-C."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

    follow = Following(state, url, cursor, json_lines)
    pause = FIRST_PAUSE_SECONDS
    click.echo(f"following {url} (Ctrl-C stops)", err=True)
    try:
        while True:
            try:
                follow.listen()
            except InvalidURI as error:
                raise CliError(f"{url} is not a WebSocket URL (ws:// or wss://)") from error
            except InvalidStatus as refused:
                status = refused.response.status_code
                if status in (401, 403):
                    raise CliError(
                        f"the live endpoint refused your session: run {state.connection.login_command}"
                    ) from refused
                click.echo(f"the live endpoint answered {status}; trying again in {pause:.0f} s", err=True)
            except (ConnectionClosed, OSError, TimeoutError):
                click.echo(f"connection lost; reconnecting in {pause:.0f} s", err=True)
            else:
                pause = FIRST_PAUSE_SECONDS
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
    except KeyboardInterrupt:
        click.echo(f"stopped; cursor: {follow.cursor}", err=True)
