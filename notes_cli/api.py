"""The notes API over HTTP, as the signed-in user.

Each call sends the session's token for the API: the ID token in ID-token mode, the
access token in scoped mode. Before each call that token is refreshed when it expires
within a minute; a call the API refuses with 401 is refreshed and sent once more, since
the authorizer refuses it before any of the API's code runs. A read-only session's
writes are refused for good (its tokens never carry the write scope), and said so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any, Protocol
from urllib.parse import quote

import requests

from notes_cli.credentials import CredentialStore, Session
from notes_cli.errors import AccountDeleted, CliError, NotLoggedIn, SessionExpired, one_line

REFRESH_MARGIN_SECONDS = 60
# The methods a read scope allows (the API asks the write scope for every other one).
READ_METHODS = ("GET", "HEAD", "OPTIONS")
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30
# DELETE /me is carried out only with the account's email in this header.
CONFIRM_DELETE_HEADER = "X-Confirm-Delete"
# The trash is read page after page of this many notes to tell a trashed note from a missing one.
TRASH_PAGE = 100


class ApiError(CliError):
    """The API answered with an error status; the message is a sentence about the user's note.

    ``status`` and ``code`` are kept for the commands that act on them (a 412, say); ``detail`` is
    the API's own message.
    """

    def __init__(self, status: int, code: str | None, detail: str, sentence: str) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        super().__init__(sentence)


class Refresher(Protocol):
    """Something that renews a session: the user pool's API (``notes_cli.cognito.Cognito``) or its
    token endpoint (``notes_cli.cognito.TokenEndpoint``)."""

    def refresh(self, session: Session) -> Session:
        """New tokens for ``session``; raises CliError when it cannot be renewed."""
        ...


class NotesApi:
    """One API URL, the session stored for it, and a way to renew that session.

    ``refresher`` is asked for what renews a given session; ``login_command`` is what a user
    with no session is told to run; ``account_gone`` tells whether a session that can no longer
    be used belongs to an account that was deleted.
    """

    def __init__(
        self,
        api_url: str,
        store: CredentialStore,
        refresher: Callable[[Session], Refresher],
        http: requests.Session | None = None,
        login_command: str = "notes login EMAIL",
        account_gone: Callable[[Session], bool] = lambda session: False,
    ) -> None:
        self.api_url = api_url
        self.store = store
        self._refresher = refresher
        self.http = http or requests.Session()
        self.login_command = login_command
        self._account_gone = account_gone

    # The routes of the contract. Each names what did not happen, for the sentence of an error.

    def me(self) -> dict[str, Any]:
        """GET /me: the caller as the API sees them."""
        return self.call("GET", "/me", failed="could not look up your account").json_body

    def create_note(self, fields: dict[str, Any]) -> dict[str, Any]:
        """POST /notes: the new note."""
        return self.call("POST", "/notes", body=fields, expect=201, failed="the note was not added").json_body

    def list_notes(
        self,
        limit: int | None = None,
        cursor: str | None = None,
        *,
        query: str | None = None,
        tag: str | None = None,
        sort: str | None = None,
    ) -> dict[str, Any]:
        """GET /notes: one page, ``{"notes": [...], "nextCursor": str | None}``.

        ``query`` keeps the notes holding the start of each of its words (each note then carries a
        ``snippet``), ``tag`` the notes with that tag, and ``sort`` (``created`` or ``updated``)
        orders them; None leaves each to the API. A cursor continues only the same query, tag and sort.
        """
        params = page_params(limit, cursor)
        for name, value in (("q", query), ("tag", tag), ("sort", sort)):
            if value is not None:
                params[name] = value
        failed = "could not search your notes" if query is not None else "could not list your notes"
        return self.call("GET", "/notes", params=params, failed=failed).json_body

    def get_note(self, note_id: str) -> tuple[dict[str, Any], str]:
        """GET /notes/{id}: the note and its ETag."""
        answer = self.call(
            "GET", note_path(note_id), failed=f"could not read note {note_id}", note_id=note_id
        )
        return answer.json_body, answer.etag or f'"{answer.json_body.get("version")}"'

    def update_note(self, note_id: str, fields: dict[str, Any], etag: str) -> dict[str, Any]:
        """PATCH /notes/{id} if the note is still at ``etag``; a 412 raises ApiError."""
        return self.call(
            "PATCH",
            note_path(note_id),
            body=fields,
            etag=etag,
            failed=f"note {note_id} was not changed",
            note_id=note_id,
        ).json_body

    def delete_note(self, note_id: str, etag: str | None = None) -> None:
        """DELETE /notes/{id}: the note (and its file) to the trash, if the note is still at ``etag``
        when one is given."""
        failed = f"note {note_id} was not moved to the trash"
        self.call("DELETE", note_path(note_id), etag=etag, expect=204, failed=failed, note_id=note_id)

    def list_trash(self, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        """GET /trash: one page, ``{"notes": [...], "nextCursor": str | None}``, most recently
        deleted first; each note also has ``deletedAt`` and ``purgeAt``."""
        params = page_params(limit, cursor)
        return self.call("GET", "/trash", params=params, failed="could not list your trash").json_body

    def changes(self, since: str | None = None, limit: int | None = None) -> dict[str, Any]:
        """GET /changes: ``{"changes": [...], "cursor", "more"}``, what changed after ``since``
        (None: every note, then what changes)."""
        params: dict[str, str] = {}
        if since is not None:
            params["since"] = since
        if limit is not None:
            params["limit"] = str(limit)
        return self.call("GET", "/changes", params=params, failed="could not read your changes").json_body

    def list_versions(
        self, note_id: str, limit: int | None = None, cursor: str | None = None
    ) -> dict[str, Any]:
        """GET /notes/{id}/versions: one page, ``{"versions": [...], "nextCursor"}``, newest first."""
        params = page_params(limit, cursor)
        failed = f"could not list the versions of note {note_id}"
        path = note_path(note_id) + "/versions"
        return self.call("GET", path, params=params, failed=failed, note_id=note_id).json_body

    def get_version(self, note_id: str, version: int) -> dict[str, Any]:
        """GET /notes/{id}/versions/{version}: the note as it was then."""
        failed = f"could not read version {version} of note {note_id}"
        return self.call("GET", version_path(note_id, version), failed=failed, note_id=note_id).json_body

    def restore_version(self, note_id: str, version: int) -> dict[str, Any]:
        """POST /notes/{id}/versions/{version}/restore: the note, that version's text made current."""
        failed = f"version {version} of note {note_id} was not restored"
        path = version_path(note_id, version) + "/restore"
        return self.call("POST", path, failed=failed, note_id=note_id).json_body

    def share_note(self, note_id: str, days: int | None = None) -> dict[str, Any]:
        """POST /notes/{id}/share: a new link, in place of any earlier one."""
        body = {"expiresInDays": days} if days is not None else {}
        failed = f"note {note_id} was not shared"
        return self.call(
            "POST", share_path(note_id), body=body, expect=201, failed=failed, note_id=note_id
        ).json_body

    def get_share(self, note_id: str) -> dict[str, Any] | None:
        """GET /notes/{id}/share: the note's live link, or None when it has none."""
        try:
            return self.call(
                "GET",
                share_path(note_id),
                failed=f"could not read the link of note {note_id}",
                note_id=note_id,
            ).json_body
        except ApiError as error:
            if error.status == 404 and error.detail.startswith("note ") and "no live link" in error.detail:
                return None
            raise

    def stop_sharing(self, note_id: str) -> None:
        """DELETE /notes/{id}/share: the link stops working."""
        failed = f"the link of note {note_id} was not stopped"
        self.call("DELETE", share_path(note_id), expect=204, failed=failed, note_id=note_id)

    def list_shares(self, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        """GET /shares: one page of the live links, ``{"notes": [...], "nextCursor"}``."""
        params = page_params(limit, cursor)
        return self.call("GET", "/shares", params=params, failed="could not list your links").json_body

    def restore_note(self, note_id: str) -> dict[str, Any]:
        """POST /trash/{id}/restore: the note back among the notes (with its file), as it now is."""
        try:
            return self.call(
                "POST", trash_path(note_id) + "/restore", failed=f"note {note_id} was not restored"
            ).json_body
        except ApiError as error:
            raise not_in_trash(note_id, error) from error

    def purge_note(self, note_id: str) -> None:
        """DELETE /trash/{id}: the trashed note and its file deleted for good."""
        try:
            self.call(
                "DELETE", trash_path(note_id), expect=204, failed=f"note {note_id} was not deleted for good"
            )
        except ApiError as error:
            raise not_in_trash(note_id, error) from error

    def start_export(self) -> dict[str, Any]:
        """POST /exports: ``{"exportId", "status": "pending"}``; the export is made in the background."""
        return self.call("POST", "/exports", expect=202, failed="the export was not started").json_body

    def export_status(self, export_id: str) -> dict[str, Any]:
        """GET /exports/{id}: its ``status``, ``progress`` and, once ready, ``url`` and ``size``."""
        path = "/exports/" + quote(export_id, safe="")
        return self.call("GET", path, failed="could not follow the export").json_body

    def delete_account(self, email: str) -> None:
        """DELETE /me, confirmed by the account's ``email``: the account and everything in it are
        deleted in the background; from now on its tokens are refused."""
        self.call(
            "DELETE",
            "/me",
            headers={CONFIRM_DELETE_HEADER: email},
            expect=202,
            failed="the account was not deleted",
        )

    def start_upload(self, note_id: str, name: str, content_type: str, size: int) -> dict[str, Any]:
        """POST /notes/{id}/attachment: a presigned upload, ``{"uploadId", "url", "fields", "expiresAt"}``."""
        body = {"name": name, "contentType": content_type, "size": size}
        failed = f"the file was not attached to note {note_id}"
        return self.call(
            "POST", attachment_path(note_id), body=body, expect=201, failed=failed, note_id=note_id
        ).json_body

    def attach(self, note_id: str, upload_id: str) -> dict[str, Any]:
        """PUT /notes/{id}/attachment: the uploaded file becomes the note's attachment; the note."""
        failed = f"the file was not attached to note {note_id}"
        return self.call(
            "PUT", attachment_path(note_id), body={"uploadId": upload_id}, failed=failed, note_id=note_id
        ).json_body

    def download_link(self, note_id: str) -> dict[str, Any]:
        """GET /notes/{id}/attachment: ``{"url", "expiresAt", "name", "size", "contentType"}``."""
        try:
            return self.call(
                "GET", attachment_path(note_id), failed=f"could not download the file of note {note_id}"
            ).json_body
        except ApiError as error:
            raise self._no_file(note_id, error) from error

    def detach(self, note_id: str, etag: str | None = None) -> None:
        """DELETE /notes/{id}/attachment, if the note is still at ``etag`` when one is given."""
        failed = f"the file of note {note_id} was not removed"
        try:
            self.call("DELETE", attachment_path(note_id), etag=etag, expect=204, failed=failed)
        except ApiError as error:
            raise self._no_file(note_id, error) from error

    def _no_file(self, note_id: str, error: ApiError) -> ApiError:
        """A 404 of a note's file is either no note or a note without a file: the note tells which."""
        if error.status != 404:
            return error
        self.get_note(note_id)  # raises "you have no note ..." when it is the note that is missing
        return ApiError(
            error.status,
            error.code,
            error.detail,
            f"note {note_id} has no file: attach one with notes attach {note_id} FILE",
        )

    # The plumbing.

    def session(self) -> tuple[Session, bool]:
        """The stored session, refreshed first when it is about to expire, and whether it was."""
        session = self.store.get(self.api_url)
        if session is None:
            raise NotLoggedIn(self.login_command)
        if session.expires_within(REFRESH_MARGIN_SECONDS):
            return self._refresh(session), True
        return session, False

    def call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        expect: int = 200,
        failed: str = "the request failed",
        note_id: str | None = None,
        etag: str | None = None,
    ) -> Answer:
        """Send one request as the signed-in user; raises CliError unless the status is ``expect``.

        ``failed`` says what did not happen, and ``note_id`` names the note a 404 is about. With an
        ``etag``, the request is made only if the note is still at that version (``If-Match``).
        """
        if etag:
            headers = {**(headers or {}), "If-Match": etag}
        session, refreshed = self.session()
        response = self._send(method, path, session, body, params, headers)
        writes = method.upper() not in READ_METHODS
        if response.status_code == 401 and session.read_only and writes:
            # Renewing would not help: the read-only client's tokens never carry the write scope.
            raise CliError(
                f"{failed}: this session may only read (logged in with notes login --read-only); "
                "run notes login to sign in with write access"
            )
        if response.status_code == 401 and not refreshed:
            # The pool may have ended the session early, or the clocks disagree.
            session = self._refresh(session)
            response = self._send(method, path, session, body, params, headers)
        if response.status_code == 401:
            # Signed out elsewhere, or the account is being (or has been) deleted.
            self._unless_deleted(session)
            raise CliError(f"{failed}: your session was refused; run {session.login_command}")
        if response.status_code == 404 and note_id is not None:
            trashed = self.trashed_note(note_id)
            if trashed is not None:
                error = api_error(response, failed, note_id, self.api_url)
                raise ApiError(error.status, error.code, error.detail, in_trash(trashed, failed))
        if response.status_code != expect:
            raise api_error(response, failed, note_id, self.api_url)
        return Answer(response, self.api_url)

    def trashed_note(self, note_id: str) -> dict[str, Any] | None:
        """The note ``note_id`` as the trash lists it, or None when the trash does not hold it
        (or cannot be read: this only explains a 404, it never fails a command of its own)."""
        try:
            for note in every_listed(lambda cursor: self.list_trash(TRASH_PAGE, cursor), "trash"):
                if note.get("noteId") == note_id:
                    return note
        except CliError:
            return None
        return None

    def _refresh(self, session: Session) -> Session:
        try:
            renewed = self._refresher(session).refresh(session)
        except SessionExpired:
            self._unless_deleted(session)
            raise
        self.store.put(self.api_url, renewed)
        return renewed

    def _unless_deleted(self, session: Session) -> None:
        """Raise AccountDeleted, forgetting the session, when its account was deleted (the pool
        answers for the session's own user only, so nothing is told about any other account)."""
        if self._account_gone(session):
            self.store.mark_deleted(self.api_url, session.email)
            raise AccountDeleted(session.email)

    def _send(
        self,
        method: str,
        path: str,
        session: Session,
        body: dict[str, Any] | None,
        params: dict[str, str] | None,
        headers: dict[str, str] | None,
    ) -> requests.Response:
        url = self.api_url + path
        sent = {"Authorization": session.bearer, "Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            sent["Content-Type"] = "application/json"
        try:
            return self.http.request(
                method,
                url,
                params=params,
                data=data,
                headers=sent,
                timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
                allow_redirects=False,
            )
        except requests.exceptions.ConnectTimeout as error:
            raise CliError(unreachable(self.api_url, "the connection timed out")) from error
        except requests.exceptions.ConnectionError as error:
            raise CliError(unreachable(self.api_url, "connection refused or failed")) from error
        except requests.exceptions.Timeout as error:
            raise CliError(
                f"the API at {self.api_url} did not answer within {READ_TIMEOUT_SECONDS} s"
            ) from error
        except requests.exceptions.RequestException as error:
            raise CliError(f"cannot call the API at {self.api_url}: {error}") from error


class Answer:
    """A successful response: its JSON body and ETag."""

    def __init__(self, response: requests.Response, api_url: str) -> None:
        self.response = response
        self.etag: str | None = response.headers.get("ETag")
        self._api_url = api_url

    @cached_property
    def json_body(self) -> dict[str, Any]:
        """The body as a JSON object; raises CliError for anything else."""
        try:
            body = self.response.json()
        except ValueError as error:
            raise CliError(f"the API at {self._api_url} sent a response that is not JSON") from error
        if not isinstance(body, dict):
            raise CliError(f"the API at {self._api_url} sent JSON that is not an object")
        return body


def page_params(limit: int | None, cursor: str | None) -> dict[str, str]:
    """The query of one page of a listing: ``limit`` and ``cursor``, each when given."""
    params: dict[str, str] = {}
    if limit is not None:
        params["limit"] = str(limit)
    if cursor is not None:
        params["cursor"] = cursor
    return params


def note_path(note_id: str) -> str:
    """The path of one note, the id quoted so it can never leave ``/notes/``."""
    return "/notes/" + quote(note_id, safe="")


def version_path(note_id: str, version: int) -> str:
    """The path of one version of a note."""
    return f"{note_path(note_id)}/versions/{int(version)}"


def share_path(note_id: str) -> str:
    """The path of a note's link."""
    return f"{note_path(note_id)}/share"


def trash_path(note_id: str) -> str:
    """The path of one trashed note, the id quoted so it can never leave ``/trash/``."""
    return "/trash/" + quote(note_id, safe="")


def not_in_trash(note_id: str, error: ApiError) -> ApiError:
    """A 404 of a trash route is a note that is not in the trash: said so, naming the listing."""
    if error.status != 404:
        return error
    return ApiError(
        error.status,
        error.code,
        error.detail,
        f"there is no note {note_id} in your trash: check the id with notes trash",
    )


def every_listed(page_at: Callable[[str | None], dict[str, Any]], what: str) -> Iterator[dict[str, Any]]:
    """Every note of a listing, page after page: ``page_at(cursor)`` answers each page. Raises
    CliError for a page not shaped as the contract says, or one the listing sent before."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = page_at(cursor)
        yield from page_notes(page, what)
        cursor = page.get("nextCursor")
        if not cursor:
            return
        if cursor in seen:
            raise CliError(f"the listing of your {what} came back to a page it had sent; stopping there")
        seen.add(cursor)


def page_notes(page: dict[str, Any], what: str = "notes") -> list[dict[str, Any]]:
    """The notes of a listing page; raises CliError when the page is not shaped as the contract says."""
    notes = page.get("notes")
    if not isinstance(notes, list) or not all(isinstance(note, dict) for note in notes):
        raise CliError(
            f"could not list your {what}: the notes service sent a listing without a list of notes"
        )
    return notes


def in_trash(note: dict[str, Any], failed: str) -> str:
    """What ``failed`` because the note is in the trash, and how to bring it back."""
    note_id = note.get("noteId")
    purge_on = str(note.get("purgeAt") or "")[:10]
    until = f", until {purge_on}" if purge_on else ""
    return (
        f"{failed}: it is in the trash (moved there {note.get('deletedAt')}{until}); "
        f"notes restore {note_id} brings it back"
    )


def attachment_path(note_id: str) -> str:
    """The path of a note's attachment."""
    return note_path(note_id) + "/attachment"


def unreachable(api_url: str, why: str) -> str:
    """The message for an API that does not answer."""
    return f"cannot reach the API at {api_url} ({why}): is it running? start the local stack with make run"


def error_message(response: requests.Response) -> str:
    """The API's own message: ``Message`` (the app), ``message`` (the authorizer) or the status text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("Message", "message"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    text = one_line(response.text or "", 120)
    return text or str(response.reason or "no message")


def api_error(
    response: requests.Response, failed: str, note_id: str | None = None, api_url: str = "the API"
) -> ApiError:
    """The ApiError for an error response: a sentence saying what did not happen and why, in the
    words of the user's notes rather than the API's status and ``Code`` (both kept on the error)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    code = body.get("Code") if isinstance(body, dict) and isinstance(body.get("Code"), str) else None
    detail = error_message(response)
    return ApiError(response.status_code, code, detail, explain(response, failed, note_id, detail, api_url))


def explain(response: requests.Response, failed: str, note_id: str | None, detail: str, api_url: str) -> str:
    """What ``failed`` because of ``response``, as one sentence for the person whose note it is."""
    status = response.status_code
    if status == 404 and note_id is not None and detail.startswith("version "):
        return f"{failed}: the note keeps no such version; notes history {note_id} lists them"
    if status == 404 and note_id is not None and "no live link" in detail:
        return f"{failed}: note {note_id} has no live link (notes shares lists them)"
    if status == 404 and note_id is not None:
        return f"you have no note {note_id}: check the id with notes ls"
    if status == 400:
        return f"{failed}: {plain_words(detail)}"
    if status == 412:
        return f"{failed}: the note changed meanwhile"
    if status in (403, 404, 405):
        # No such route: the base URL is wrong (a deployed stage's ends in /api).
        return f"{failed}: {api_url} is not a notes API address: check --api (deployed, it ends in /api)"
    if status == 413:
        return f"{failed}: it is too large for the notes service"
    if status in (502, 503, 504):
        wait = response.headers.get("Retry-After", "")
        when = f"in {wait} seconds" if wait.isdigit() else "in a moment"
        return f"{failed}: the notes service is unavailable for now; try again {when}"
    if status >= 500:
        return f"{failed}: the notes service failed unexpectedly; try again, and report it if it goes on"
    return f"{failed}: the notes service refused it ({one_line(detail, 120)})"


# The fields the API's messages name, in the words the CLI uses for them.
FIELD_WORDS = {
    "title": "the title",
    "content": "the content",
    "tags": "the tags",
    "name": "the file's name",
    "size": "the file's size",
    "contentType": "the file's type",
    "uploadId": "the upload",
}
_FIELD = re.compile(r"field '([A-Za-z]+)(?:\[(\d+)\])?'")
# The query parameters of a listing the CLI sends from what it was given, in the same words.
PARAMETER_WORDS = {"q": "the search", "tag": "the tag", "sort": "the order", "limit": "the limit"}
_PARAMETER = re.compile(r"query parameter '([A-Za-z]+)'")


def plain_words(detail: str) -> str:
    """The API's message with ``field 'title'`` said as "the title", ``field 'tags[2]'`` as "tag 3",
    ``query parameter 'q'`` as "the search"."""

    def words(match: re.Match[str]) -> str:
        name, index = match.group(1), match.group(2)
        if index is not None and name == "tags":
            return f"tag {int(index) + 1}"
        return FIELD_WORDS.get(name, match.group(0))

    def parameter(match: re.Match[str]) -> str:
        return PARAMETER_WORDS.get(match.group(1), match.group(0))

    return _PARAMETER.sub(parameter, _FIELD.sub(words, detail))
