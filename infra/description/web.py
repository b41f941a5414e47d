"""The web app's hosting: its files' names, the headers every answer carries, its content security
policy and what a client checks before it asks (config.json's rules, make run's password rules).

Static files behind CloudFront when deployed, served from web/ by make run locally; the page's
config.json is built by ``infra.web_config``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.validation import FILE_NAME_FORBIDDEN_PATTERN, MAX_FILE_NAME_CHARS, MEDIA_TYPE_PATTERN
from contract.passwords import POOL_POLICY

WEB_INDEX = "index.html"
WEB_CONFIG = "config.json"
# What every answer of the web app carries besides its content security policy, deployed and
# locally. Strict-Transport-Security is deployed only: over make run's plain HTTP it means nothing.
WEB_SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
HSTS_MAX_AGE_SECONDS = 2 * 365 * 24 * 60 * 60


def client_rules(max_attachment_bytes: int) -> dict[str, Any]:
    """What a client checks before it asks, in the web app's ``config.json``: the pool's password
    policy and the API's rules for a file (its size, its name's length, its media type's form)."""
    return {
        "maxAttachmentBytes": max_attachment_bytes,
        "passwordPolicy": POOL_POLICY.config(),
        "fileNameMaxChars": MAX_FILE_NAME_CHARS,
        "fileNameForbiddenPattern": FILE_NAME_FORBIDDEN_PATTERN,
        "mediaTypePattern": MEDIA_TYPE_PATTERN,
    }


def password_rules_text() -> str:
    """The password policy in a few words, as ``make run`` prints it."""
    return POOL_POLICY.abbreviated()


def content_security_policy(
    api_url: str, cognito_url: str, bucket_urls: Sequence[str], *, auth_url: str | None = None
) -> str:
    """The web app's Content-Security-Policy: its own files only, no inline script or style, and
    connections to itself, the API, Cognito (and, in scoped mode, ``auth_url``: the pool's sign-in
    domain, whose token endpoint the page calls) and the attachments bucket, nowhere else.

    Each URL becomes a source of ``connect-src`` (a source with a path matches below it, so a path
    gets its trailing slash); a URL that could end the source or the directive is refused.
    """
    sources: list[str] = ["'self'"]
    for url in (api_url, cognito_url, *([auth_url] if auth_url else []), *bucket_urls):
        source = _connect_source(url)
        if source not in sources:
            sources.append(source)
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src " + " ".join(sources),
            "form-action 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "manifest-src 'self'",
        ]
    )


def _connect_source(url: str) -> str:
    scheme, separator, rest = url.partition("://")
    if (
        not separator
        or scheme not in ("https", "http")
        or not rest
        or any(character.isspace() or character in ";,'\"" for character in url)
    ):
        raise ValueError(f"not a URL a content security policy can name: {url!r}")
    host, slash, path = rest.partition("/")
    if slash and path and not path.endswith("/"):
        return f"{scheme}://{host}/{path}/"
    return f"{scheme}://{host}" if not path else url
