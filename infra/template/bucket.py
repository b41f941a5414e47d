"""The attachments bucket and its policy as CloudFormation, and what every bucket of the stack has.

``infra.description`` describes the bucket in the shapes of the S3 API calls that configure it
(what the local stack applies); the functions below rename those shapes to CloudFormation's
property names, and refuse any field they do not know rather than leave it out.
"""

from __future__ import annotations

from typing import Any

from infra import description

BUCKET = "AttachmentsBucket"
BUCKET_POLICY = "AttachmentsBucketPolicy"
# ACLs disabled: the bucket owns every object, whoever uploaded it.
OBJECT_OWNERSHIP = "BucketOwnerEnforced"


def resources(web_origin: Any) -> dict[str, Any]:
    """The attachments bucket, which allows ``web_origin`` only, and its policy."""
    return {BUCKET: _bucket(web_origin), BUCKET_POLICY: _bucket_policy()}


def private_bucket() -> dict[str, Any]:
    """What every bucket of the stack has: no public access, encryption, no ACLs."""
    return {
        "PublicAccessBlockConfiguration": dict(description.PUBLIC_ACCESS_BLOCK),
        "BucketEncryption": _bucket_encryption(),
        "OwnershipControls": {"Rules": [{"ObjectOwnership": OBJECT_OWNERSHIP}]},
    }


def _renamed(shape: dict[str, Any], names: dict[str, str], what: str) -> dict[str, Any]:
    """``shape`` with each key renamed by ``names``; a key ``names`` lacks is an error."""
    unknown = sorted(set(shape) - set(names))
    if unknown:
        raise ValueError(f"{what}: no CloudFormation property for {unknown}")
    return {names[key]: value for key, value in shape.items()}


def _bucket_encryption() -> dict[str, Any]:
    """``BucketEncryption``, from PutBucketEncryption's ServerSideEncryptionConfiguration."""
    names = {
        "ApplyServerSideEncryptionByDefault": "ServerSideEncryptionByDefault",
        "BucketKeyEnabled": "BucketKeyEnabled",
    }
    configuration = _renamed(description.BUCKET_ENCRYPTION, {"Rules": "Rules"}, "bucket encryption")
    rules = [_renamed(rule, names, "bucket encryption rule") for rule in configuration["Rules"]]
    return {"ServerSideEncryptionConfiguration": rules}


def _bucket_cors(origin: Any) -> dict[str, Any]:
    """``CorsConfiguration``, from PutBucketCors's CORSConfiguration for ``origin``."""
    names = {
        "ID": "Id",
        "AllowedOrigins": "AllowedOrigins",
        "AllowedMethods": "AllowedMethods",
        "AllowedHeaders": "AllowedHeaders",
        "ExposeHeaders": "ExposedHeaders",
        "MaxAgeSeconds": "MaxAge",
    }
    configuration = _renamed(description.bucket_cors([origin]), {"CORSRules": "CorsRules"}, "bucket CORS")
    return {"CorsRules": [_renamed(rule, names, "bucket CORS rule") for rule in configuration["CorsRules"]]}


def _bucket_lifecycle() -> dict[str, Any]:
    """``LifecycleConfiguration``, from PutBucketLifecycleConfiguration's LifecycleConfiguration.

    CloudFormation flattens the rule: ``Filter.Prefix`` is ``Prefix``, ``Expiration.Days`` is
    ``ExpirationInDays``.
    """
    names = {
        "ID": "Id",
        "Status": "Status",
        "AbortIncompleteMultipartUpload": "AbortIncompleteMultipartUpload",
    }
    rules = []
    for rule in _renamed(description.bucket_lifecycle(), {"Rules": "Rules"}, "bucket lifecycle")["Rules"]:
        rest = dict(rule)
        prefix = _renamed(rest.pop("Filter", {}), {"Prefix": "Prefix"}, "lifecycle rule filter")
        expiration = _renamed(
            rest.pop("Expiration", {}), {"Days": "ExpirationInDays"}, "lifecycle expiration"
        )
        rules.append({**_renamed(rest, names, "bucket lifecycle rule"), **prefix, **expiration})
    return {"Rules": rules}


def _bucket(web_origin: Any) -> dict[str, Any]:
    # No BucketName: bucket names are global, so CloudFormation makes one up for each stack.
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **private_bucket(),
            "CorsConfiguration": _bucket_cors(web_origin),
            "LifecycleConfiguration": _bucket_lifecycle(),
        },
    }


def _bucket_policy() -> dict[str, Any]:
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": BUCKET},
            "PolicyDocument": description.bucket_policy({"Fn::GetAtt": [BUCKET, "Arn"]}),
        },
    }
