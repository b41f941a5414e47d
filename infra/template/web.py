"""The web app's hosting as CloudFormation: a private bucket read only by a CloudFront
distribution, which serves the page over HTTPS with its security headers.

The distribution depends on none of the API, the function and the bucket (each of them allows
its origin): its content security policy names them, and the WebSocket API as the API is, by their
region's host patterns, not by reference, which would close a circle.
"""

from __future__ import annotations

from typing import Any

from infra import description
from infra.template.bucket import private_bucket

WEB_BUCKET = "WebBucket"
WEB_BUCKET_POLICY = "WebBucketPolicy"
WEB_ORIGIN_ACCESS = "WebOriginAccessControl"
WEB_HEADERS_POLICY = "WebResponseHeadersPolicy"
WEB_DISTRIBUTION = "WebDistribution"
WEB_ORIGIN_ID = "web-bucket"
# The web app's origin, the only one the API and the attachments bucket allow (for Fn::Sub).
WEB_ORIGIN = "https://${WebDistribution.DomainName}"
# CloudFront's managed cache policies.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


def resources(policy: dict[str, str]) -> dict[str, Any]:
    """The web bucket, its policy, the distribution's access to it, the headers (with ``policy``,
    the content security policy) and the distribution."""
    return {
        WEB_BUCKET: _web_bucket(),
        WEB_BUCKET_POLICY: _web_bucket_policy(),
        WEB_ORIGIN_ACCESS: _web_origin_access(),
        WEB_HEADERS_POLICY: _web_headers_policy(policy),
        WEB_DISTRIBUTION: _web_distribution(),
    }


def _web_bucket() -> dict[str, Any]:
    # Deleted with the stack: it holds only what make deploy uploads from web/, which make deploy
    # uploads again (make destroy empties it first, as CloudFormation deletes only empty buckets).
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": private_bucket(),
    }


def _web_bucket_policy() -> dict[str, Any]:
    """Only the stack's distribution reads the web bucket, through its origin access control;
    every request not over TLS is refused."""
    arn = {"Fn::GetAtt": [WEB_BUCKET, "Arn"]}
    document = description.bucket_policy(arn)
    document["Statement"].append(
        {
            "Sid": "OnlyTheDistributionReads",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": f"${{{WEB_BUCKET}.Arn}}/*"},
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Sub": f"arn:${{AWS::Partition}}:cloudfront::${{AWS::AccountId}}:"
                        f"distribution/${{{WEB_DISTRIBUTION}}}"
                    }
                }
            },
        }
    )
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {"Bucket": {"Ref": WEB_BUCKET}, "PolicyDocument": document},
    }


def _web_origin_access() -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::OriginAccessControl",
        "Properties": {
            "OriginAccessControlConfig": {
                # Names are unique in the account, across regions.
                "Name": {"Fn::Sub": "${AWS::StackName}-${AWS::Region}-web"},
                "Description": "The web app's distribution reads its bucket, signing every request",
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    }


def content_security_policy(
    auth_domain_url: str | None = None, user_pool_region: str | None = None
) -> dict[str, str]:
    """The deployed page's Content-Security-Policy, as ``Fn::Sub``.

    It names the API, the WebSocket API (the live endpoint, over ``wss`` only) and the attachments
    bucket by their region's host patterns, not by reference: the API and the bucket allow the
    distribution's origin, so naming them here would make the distribution depend on them and close
    a circle; the WebSocket API is named as the API is (its routes call the functions, which allow
    that origin too), and the distribution depends on none of them. ``auth_domain_url`` (scoped
    mode: the pool's sign-in domain, ``cognito.auth_domain``) is named exactly, by its prefix, not
    by reference; ``user_pool_region`` is an existing pool's region, when it is not the stack's.
    """
    suffix = "${AWS::Region}.${AWS::URLSuffix}"
    cognito = f"https://cognito-idp.{user_pool_region}.amazonaws.com" if user_pool_region else None
    policy = description.content_security_policy(
        f"https://*.execute-api.{suffix}",
        cognito or f"https://cognito-idp.{suffix}",
        ["https://*.s3.${AWS::URLSuffix}", f"https://*.s3.{suffix}"],
        auth_url=auth_domain_url,
        ws_url=f"wss://*.execute-api.{suffix}",
    )
    return {"Fn::Sub": policy}


def _security_headers(policy: dict[str, str]) -> dict[str, Any]:
    """``SecurityHeadersConfig``: the content security policy, HSTS, and the web app's security
    headers (``description.WEB_SECURITY_HEADERS``); a header it cannot render is an error."""
    config: dict[str, Any] = {
        "ContentSecurityPolicy": {"ContentSecurityPolicy": policy, "Override": True},
        "StrictTransportSecurity": {
            "AccessControlMaxAgeSec": description.HSTS_MAX_AGE_SECONDS,
            "IncludeSubdomains": True,
            "Preload": False,
            "Override": True,
        },
    }
    for header, value in description.WEB_SECURITY_HEADERS.items():
        if header == "X-Content-Type-Options" and value == "nosniff":
            config["ContentTypeOptions"] = {"Override": True}
        elif header == "X-Frame-Options":
            config["FrameOptions"] = {"FrameOption": value, "Override": True}
        elif header == "Referrer-Policy":
            config["ReferrerPolicy"] = {"ReferrerPolicy": value, "Override": True}
        else:
            raise ValueError(f"web security header {header}: {value!r}: no CloudFront setting for it")
    return config


def _web_headers_policy(policy: dict[str, str]) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::ResponseHeadersPolicy",
        "Properties": {
            "ResponseHeadersPolicyConfig": {
                "Name": {"Fn::Sub": "${AWS::StackName}-${AWS::Region}-web"},
                "Comment": "The web app's security headers",
                "SecurityHeadersConfig": _security_headers(policy),
            }
        },
    }


def _cache_behavior(cache_policy: str) -> dict[str, Any]:
    return {
        "TargetOriginId": WEB_ORIGIN_ID,
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": ["GET", "HEAD"],
        "CachedMethods": ["GET", "HEAD"],
        "Compress": True,
        "CachePolicyId": cache_policy,
        "ResponseHeadersPolicyId": {"Ref": WEB_HEADERS_POLICY},
    }


def _web_distribution() -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::Distribution",
        "Properties": {
            "DistributionConfig": {
                "Enabled": True,
                "Comment": {"Fn::Sub": "${AWS::StackName}: the web app"},
                "DefaultRootObject": description.WEB_INDEX,
                "HttpVersion": "http2and3",
                "IPV6Enabled": True,
                "PriceClass": "PriceClass_100",
                "Origins": [
                    {
                        "Id": WEB_ORIGIN_ID,
                        "DomainName": {"Fn::GetAtt": [WEB_BUCKET, "RegionalDomainName"]},
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                        "OriginAccessControlId": {"Fn::GetAtt": [WEB_ORIGIN_ACCESS, "Id"]},
                    }
                ],
                "DefaultCacheBehavior": _cache_behavior(CACHING_OPTIMIZED),
                # The stage's settings: never kept at the edge, so a deploy changes them at once.
                "CacheBehaviors": [
                    {"PathPattern": f"/{description.WEB_CONFIG}", **_cache_behavior(CACHING_DISABLED)}
                ],
            }
        },
    }
