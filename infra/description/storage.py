"""Where the stage keeps its data: its tables' CreateTable parameters and the attachments bucket's
configuration, in the shapes of the S3 calls that apply it (what the local stack applies; the
template renames them to CloudFormation's properties).

The stage's tables are declared once (chalicelib.tables): each one's model (its keys and
indexes), its name beside the notes table, its stream and its time to live. The trash keeps a
note 30 days: DynamoDB's TTL deletes it some time after its purgeAtEpoch, and the trash's stream
hands that removal to the purge function, which deletes the note's file. The account table keeps
the account's tombstone (item "deleted", kept), its exports ("export#<exportId>", dropped a day
after they are ready) and a deleted account's "sweep" item; which of their records start which
function is declared in chalicelib.stream_consumers.
"""

from __future__ import annotations

import inspect
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.indexes import GlobalSecondaryIndex, Index, LocalSecondaryIndex

from chalicelib.storage_layout import (
    EXPORT_EXPIRY_DAYS,
    EXPORTS_PREFIX,
    FILES_PREFIX,
    SHARED_COPY_EXPIRY_DAYS,
    SHARED_PREFIX,
    UPLOAD_EXPIRY_DAYS,
    UPLOADS_PREFIX,
)
from chalicelib.tables import Table
from infra.description.names import table_name


def create_table(stage: str, table: Table) -> dict[str, Any]:
    """CreateTable parameters of the stage's ``table``; its TTL is UpdateTimeToLive's
    (``time_to_live``)."""
    return table_shape(table, table_name(stage, table))


# Every stream carries the item before and after each change.
STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"


def table_shape(table: Table, name: str) -> dict[str, Any]:
    """CreateTable's parameters for ``table`` named ``name``: the model's keys and its local and
    global secondary indexes, billed per request, with its stream when it has one. Its TTL is
    UpdateTimeToLive's (``time_to_live``)."""
    keys = _keys(table.model.get_attributes().values())
    indexes = [index for _, index in inspect.getmembers(table.model, lambda value: isinstance(value, Index))]
    defined = {attribute.attr_name: attribute.attr_type for attribute, _ in keys}
    for index in indexes:
        defined.update(
            {
                attribute.attr_name: attribute.attr_type
                for attribute, _ in _keys(index.Meta.attributes.values())
            }
        )
    answer: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": key, "AttributeType": kind} for key, kind in defined.items()
        ],
        "KeySchema": _key_schema(keys),
    }
    for kind, parameter in (
        (LocalSecondaryIndex, "LocalSecondaryIndexes"),
        (GlobalSecondaryIndex, "GlobalSecondaryIndexes"),
    ):
        of_kind = [index for index in indexes if isinstance(index, kind)]
        if of_kind:
            answer[parameter] = [
                {
                    "IndexName": index.Meta.index_name,
                    "KeySchema": _key_schema(_keys(index.Meta.attributes.values())),
                    "Projection": {"ProjectionType": index.Meta.projection.projection_type},
                }
                for index in of_kind
            ]
    answer["BillingMode"] = "PAY_PER_REQUEST"
    if table.stream:
        answer["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE}
    return answer


def time_to_live(attribute: str) -> dict[str, Any]:
    """UpdateTimeToLive's TimeToLiveSpecification (and the template's): ``attribute`` in epoch seconds."""
    return {"Enabled": True, "AttributeName": attribute}


def _keys(attributes: Any) -> list[tuple[Attribute[Any], str]]:
    """The key attributes among ``attributes``, the hash key first, each with its KeyType."""
    found = [(attribute, "HASH") for attribute in attributes if attribute.is_hash_key]
    return found + [(attribute, "RANGE") for attribute in attributes if attribute.is_range_key]


def _key_schema(keys: list[tuple[Attribute[Any], str]]) -> list[dict[str, str]]:
    return [{"AttributeName": attribute.attr_name, "KeyType": kind} for attribute, kind in keys]


# Every kind of public access blocked: objects are reached with presigned URLs only.
PUBLIC_ACCESS_BLOCK: dict[str, bool] = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
BUCKET_ENCRYPTION: dict[str, Any] = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]
}


def bucket_cors(origins: list[str]) -> dict[str, Any]:
    """PutBucketCors's CORSConfiguration: the web app's origin uploads (POST) and downloads (GET)."""
    return {
        "CORSRules": [
            {
                "AllowedOrigins": list(origins),
                "AllowedMethods": ["GET", "POST"],
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag"],
                "MaxAgeSeconds": 600,
            }
        ]
    }


def bucket_lifecycle() -> dict[str, Any]:
    """PutBucketLifecycleConfiguration's LifecycleConfiguration: uploads never attached expire,
    and so do exports and shared notes' copied files a day after they were written."""
    return {
        "Rules": [
            {
                "ID": "expire-uploads-never-attached",
                "Status": "Enabled",
                "Filter": {"Prefix": UPLOADS_PREFIX},
                "Expiration": {"Days": UPLOAD_EXPIRY_DAYS},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": UPLOAD_EXPIRY_DAYS},
            },
            {
                "ID": "expire-exports",
                "Status": "Enabled",
                "Filter": {"Prefix": EXPORTS_PREFIX},
                "Expiration": {"Days": EXPORT_EXPIRY_DAYS},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": EXPORT_EXPIRY_DAYS},
            },
            {
                "ID": "expire-shared-copies",
                "Status": "Enabled",
                "Filter": {"Prefix": SHARED_PREFIX},
                "Expiration": {"Days": SHARED_COPY_EXPIRY_DAYS},
            },
        ]
    }


def bucket_policy(bucket_arn: Any) -> dict[str, Any]:
    """The bucket's policy: every request over anything but TLS is refused."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TLSOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, _objects(bucket_arn)],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def object_prefixes() -> tuple[str, str]:
    """The two key prefixes of attachments (see chalicelib/storage_layout.py); exports live under
    ``EXPORTS_PREFIX``."""
    return UPLOADS_PREFIX, FILES_PREFIX


def _objects(bucket_arn: Any) -> Any:
    if isinstance(bucket_arn, str):
        return f"{bucket_arn}/*"
    return {"Fn::Join": ["", [bucket_arn, "/*"]]}
