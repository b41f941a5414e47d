"""Files to and from the stage's bucket, through the presigned URLs the API hands out.

Neither direction carries the user's token: a presigned URL is its own permission, and it is
never shown in a message (its query string is a signature). Both directions stream: an upload
is read from disk as it is sent, a download written as it arrives, and each reports its
progress in bytes as it goes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests_toolbelt.multipart.encoder import MultipartEncoder, MultipartEncoderMonitor

from notes_cli.errors import CliError, one_line

CONNECT_TIMEOUT_SECONDS = 5
# How long S3 may stay silent between two pieces of a transfer, not how long the transfer takes.
IDLE_TIMEOUT_SECONDS = 60
CHUNK_BYTES = 64 * 1024
# An error answer is a short XML document; more than this is not read.
MAX_ERROR_BYTES = 64 * 1024
# The file's form field; S3 takes it last, after every field of the presigned form.
FILE_FIELD = "file"

Progress = Callable[[int], None]
"""Told the number of bytes moved since it was last called."""

_XML_ELEMENT = re.compile(r"<(Code|Message)>([^<]*)</\1>")


class Upload:
    """A presigned POST of one file: the form's fields, then the file, as multipart/form-data."""

    def __init__(self, form: dict[str, Any], file: BinaryIO, name: str, content_type: str) -> None:
        url, fields = form.get("url"), form.get("fields")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise CliError("the API sent an upload without a URL to send the file to")
        if not isinstance(fields, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in fields.items()
        ):
            raise CliError("the API sent an upload whose form fields are not text")
        if FILE_FIELD in fields:
            raise CliError(f"the API sent an upload form that already has a field named {FILE_FIELD!r}")
        self.url = url
        self._encoder = MultipartEncoder(fields=[*fields.items(), (FILE_FIELD, (name, file, content_type))])

    @property
    def length(self) -> int:
        """The bytes of the whole request body: the fields, then the file."""
        return int(self._encoder.len)

    def send(self, http: requests.Session, progress: Progress) -> None:
        """POST the form to S3, reading the file as it goes; raises CliError unless S3 stores it."""
        sent = 0

        def report(monitor: Any) -> None:
            nonlocal sent
            progress(monitor.bytes_read - sent)
            sent = monitor.bytes_read

        body = MultipartEncoderMonitor(self._encoder, report)
        try:
            response = http.post(
                self.url,
                data=body,
                headers={"Content-Type": body.content_type},
                timeout=(CONNECT_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS),
                allow_redirects=False,
            )
        except requests.exceptions.RequestException as error:
            raise transfer_failed("upload", self.url, error, sent, self.length) from error
        if not 200 <= response.status_code < 300:
            raise refused("upload", response)


def download(http: requests.Session, url: str, file: BinaryIO, progress: Progress) -> int:
    """GET ``url`` into ``file`` as the bytes arrive (exactly as stored); the number of bytes written.

    Raises CliError when S3 refuses, cannot be reached or breaks off.
    """
    written = 0
    try:
        with http.get(
            url,
            stream=True,
            timeout=(CONNECT_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS),
            allow_redirects=False,
        ) as response:
            if response.status_code != 200:
                raise refused("download", response)
            # The raw stream: the stored bytes, never decoded from a Content-Encoding.
            for chunk in response.raw.stream(CHUNK_BYTES, decode_content=False):
                file.write(chunk)
                written += len(chunk)
                progress(len(chunk))
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as error:
        raise transfer_failed("download", url, error, written, None) from error
    return written


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: where it goes, without the signature it carries."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def refused(what: str, response: requests.Response) -> CliError:
    """S3's error answer as one line: its status, and the XML ``Code`` and ``Message`` if any."""
    body = next(response.iter_content(MAX_ERROR_BYTES), b"")
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    found = {name: html.unescape(value).strip() for name, value in _XML_ELEMENT.findall(text)}
    code = found.get("Code") or response.reason or ""
    status = f"{response.status_code} {code}".strip()
    message = found.get("Message")
    return CliError(f"S3 refused the {what} ({status})" + (f": {one_line(message)}" if message else ""))


def transfer_failed(what: str, url: str, error: Exception, done: int, total: int | None) -> CliError:
    """The CliError for a transfer that S3 never answered, or that broke off."""
    where = origin(url)
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return CliError(f"cannot reach S3 at {where} (the connection timed out)")
    if isinstance(error, (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError)):
        return CliError(f"the {what} stopped: S3 at {where} was silent for {IDLE_TIMEOUT_SECONDS} s")
    if done == 0 and isinstance(error, requests.exceptions.ConnectionError):
        return CliError(f"cannot reach S3 at {where} (connection refused or failed)")
    of = f" of {total:,}" if total is not None else ""
    # Not str(error): it quotes the URL, signature and all.
    return CliError(
        f"the {what} broke off after {done:,}{of} bytes: the connection to S3 at {where} failed "
        f"({type(error).__name__})"
    )
