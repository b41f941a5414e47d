"""The stage's attachments bucket: presigned uploads and downloads, and the few calls the app makes.

Presigning is computed locally from the function's credentials: issuing an upload form or a
download URL costs no S3 request. The S3 calls the app does make (HeadObject, CopyObject,
DeleteObjects) have short timeouts, and throttling or an unreachable bucket becomes
``StorageUnavailable`` (503 + Retry-After), as for DynamoDB.

No endpoint is set here: botocore's ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` decide where
requests go and what presigned URLs point at. The client is made on first use, so a cold start
that serves no attachment route never pays for it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from chalicelib.errors import StorageUnavailable

log = logging.getLogger(__name__)

# Like the table's: a stalled bucket answers well inside API Gateway's 29 seconds.
S3_CONFIG = Config(
    signature_version="s3v4",
    connect_timeout=1,
    read_timeout=5,
    retries={"max_attempts": 2, "mode": "standard"},
)
RETRYABLE_CODES = frozenset(
    {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling", "ThrottlingException"}
)
# Object metadata set by the upload form (x-amz-meta-*): what the client declared.
# The most keys S3's DeleteObjects takes in one request.
DELETE_KEYS_PER_REQUEST = 1000
NAME_METADATA = "name"
SIZE_METADATA = "size"
# RFC 8187 attr-char: what may stay unescaped in filename*=UTF-8''…
_ATTR_CHARS = "!#$&+-.^_`|~"


class StoredObject(NamedTuple):
    """What HeadObject says of an upload: its real size and type, and the name it was stored with."""

    size: int
    content_type: str
    etag: str
    declared_name: str | None


class FileStore:
    """One bucket's objects, reached with this function's credentials."""

    def __init__(self, bucket: str, region: str) -> None:
        self.bucket = bucket
        self._region = region
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import botocore.session

            self._client = botocore.session.get_session().create_client(
                "s3", region_name=self._region, config=S3_CONFIG
            )
        return self._client

    def upload_form(
        self, key: str, name: str, content_type: str, size: int, expires_in: int
    ) -> dict[str, Any]:
        """A presigned POST for exactly this key, type and size: ``{"url", "fields"}``. No S3 call."""
        fields = {
            "Content-Type": content_type,
            f"x-amz-meta-{NAME_METADATA}": quote(name, safe=""),
            f"x-amz-meta-{SIZE_METADATA}": str(size),
        }
        conditions: list[Any] = [{name: value} for name, value in fields.items()]
        conditions.append(["content-length-range", size, size])
        form: dict[str, Any] = self.client.generate_presigned_post(
            Bucket=self.bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
        )
        return form

    def download_url(self, key: str, name: str, content_type: str, expires_in: int) -> str:
        """A presigned GET that saves the file under ``name``. No S3 call."""
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": content_disposition(name),
                "ResponseContentType": content_type,
            },
            ExpiresIn=expires_in,
        )
        return url

    def head(self, key: str) -> StoredObject | None:
        """The object at ``key``, or None. Raises StorageUnavailable."""
        try:
            with _s3():
                found = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        metadata = found.get("Metadata") or {}
        return StoredObject(
            size=int(found["ContentLength"]),
            content_type=found.get("ContentType") or "",
            etag=found["ETag"],
            declared_name=unquote(metadata[NAME_METADATA]) if NAME_METADATA in metadata else None,
        )

    def copy(self, source: str, target: str, etag: str | None = None) -> bool:
        """Copy ``source`` to ``target`` (with ``etag``, if it is still the object HeadObject saw).

        Returns False when it changed or vanished since. Raises StorageUnavailable.
        """
        condition = {"CopySourceIfMatch": etag} if etag is not None else {}
        try:
            with _s3():
                self.client.copy_object(
                    Bucket=self.bucket,
                    Key=target,
                    CopySource={"Bucket": self.bucket, "Key": source},
                    MetadataDirective="COPY",
                    **condition,
                )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "NoSuchKey", "404"):
                return False
            raise
        return True

    def delete(self, *keys: str) -> None:
        """Delete these objects, up to 1,000 a request (S3's most). Raises StorageUnavailable."""
        for start in range(0, len(keys), DELETE_KEYS_PER_REQUEST):
            self._delete(keys[start : start + DELETE_KEYS_PER_REQUEST])

    def _delete(self, keys: tuple[str, ...]) -> None:
        with _s3():
            answer = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
            )
        errors = answer.get("Errors") or []
        if errors:
            codes = sorted({error.get("Code", "?") for error in errors})
            if set(codes) & RETRYABLE_CODES:
                raise StorageUnavailable("file store")
            raise RuntimeError(f"S3 refused to delete {len(errors)} object(s): {', '.join(codes)}")

    def keys_under(self, prefix: str) -> Iterator[list[str]]:
        """The keys under ``prefix``, a page (up to 1,000) at a time. Raises StorageUnavailable."""
        token: str | None = None
        while True:
            with _s3():
                answer = self.client.list_objects_v2(
                    Bucket=self.bucket, Prefix=prefix, **({"ContinuationToken": token} if token else {})
                )
            keys = [item["Key"] for item in answer.get("Contents") or []]
            if keys:
                yield keys
            token = answer.get("NextContinuationToken")
            if not answer.get("IsTruncated") or not token:
                return

    def delete_under(self, prefix: str) -> int:
        """Delete every object under ``prefix``; how many there were. Raises StorageUnavailable."""
        deleted = 0
        for keys in self.keys_under(prefix):
            self.delete(*keys)
            deleted += len(keys)
        return deleted

    def read(self, key: str) -> Any:
        """The object's body, to be read in chunks (``iter_chunks``), or None when it is gone.
        Raises StorageUnavailable."""
        try:
            with _s3():
                return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def multipart(self, key: str, content_type: str) -> MultipartUpload:
        """A multipart upload to ``key``, started. Raises StorageUnavailable."""
        with _s3():
            started = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type
            )
        return MultipartUpload(self, key, started["UploadId"])

    def delete_quietly(self, *keys: str) -> bool:
        """Delete, logging instead of raising: for files no note points at any more.

        What is left when this fails is an orphan (never a note without its file); its key is
        logged so that it can be found.
        """
        try:
            self.delete(*keys)
        except Exception:  # the change the caller asked for has been made: never undo it
            log.warning(
                "could not delete %s from %s; left behind", ", ".join(keys), self.bucket, exc_info=True
            )
            return False
        return True


class MultipartUpload:
    """One multipart upload: its parts sent as they are given, in order, then completed or aborted."""

    def __init__(self, store: FileStore, key: str, upload_id: str) -> None:
        self._store = store
        self.key = key
        self.upload_id = upload_id
        self._parts: list[dict[str, Any]] = []

    def send(self, number: int, data: bytes) -> None:
        with _s3():
            answer = self._store.client.upload_part(
                Bucket=self._store.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data
            )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def complete(self) -> None:
        with _s3():
            self._store.client.complete_multipart_upload(
                Bucket=self._store.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": sorted(self._parts, key=lambda part: part["PartNumber"])},
            )

    def abort(self) -> None:
        """Give up: nothing of it is kept (logged, never raised: the bucket's rule aborts it later)."""
        try:
            with _s3():
                self._store.client.abort_multipart_upload(
                    Bucket=self._store.bucket, Key=self.key, UploadId=self.upload_id
                )
        except Exception:
            log.warning("could not abort the upload of %s; the lifecycle rule will", self.key, exc_info=True)


def content_disposition(name: str) -> str:
    """``attachment`` with a quoted ASCII fallback and the exact name as RFC 8187 UTF-8.

    The fallback keeps printable ASCII other than quotes, backslashes, ``%`` and ``;``;
    a name with no such character, or of dots only, falls back to ``download``.
    """
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%;' else "_" for c in name).strip()
    if not fallback.strip("._ "):
        fallback = "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"


@contextmanager
def _s3() -> Iterator[None]:
    """Throttling and an unreachable bucket (after botocore's retries) become StorageUnavailable."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in RETRYABLE_CODES or status in (500, 503):
            log.warning("S3 unavailable: %s", error)
            raise StorageUnavailable("file store") from error
        raise
    except (HTTPClientError, BotocoreConnectionError) as error:
        log.warning("S3 unreachable: %s", error)
        raise StorageUnavailable("file store") from error
