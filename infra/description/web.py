"""The web app's hosting: its files' names, the headers every answer carries, its content security
policy and what a client checks before it asks (config.json's rules, make run's password rules).

Static files behind CloudFront when deployed, served from web/ by make run locally; the page's
config.json is built by ``infra.web_config``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.validation import (
    FILE_NAME_FORBIDDEN_PATTERN,
    MAX_FILE_NAME_CHARS,
    MAX_TITLE_CHARS,
    MEDIA_TYPE_PATTERN,
)
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
# The schemes a source of connect-src may have: the API's, Cognito's and the bucket's; the live
# endpoint's (a WebSocket). Plain http and ws are make run's, on 127.0.0.1.
_HTTP_SCHEMES = ("https", "http")
_WEBSOCKET_SCHEMES = ("wss", "ws")


def client_rules(max_attachment_bytes: int) -> dict[str, Any]:
    """What a client checks before it asks, in the web app's ``config.json``: the pool's password
    policy, the longest title (a conflict copy's title is cut to it) and the API's rules for a file
    (its size, its name's length, its media type's form)."""
    return {
        "maxAttachmentBytes": max_attachment_bytes,
        "passwordPolicy": POOL_POLICY.config(),
        "titleMaxChars": MAX_TITLE_CHARS,
        "fileNameMaxChars": MAX_FILE_NAME_CHARS,
        "fileNameForbiddenPattern": FILE_NAME_FORBIDDEN_PATTERN,
        "mediaTypePattern": MEDIA_TYPE_PATTERN,
    }


def password_rules_text() -> str:
    """The password policy in a few words, as ``make run`` prints it."""
    return POOL_POLICY.abbreviated()


def content_security_policy(
    api_url: str,
    cognito_url: str,
    bucket_urls: Sequence[str],
    *,
    auth_url: str | None = None,
    ws_url: str | None = None,
) -> str:
    """The web app's Content-Security-Policy: its own files only, no inline script or style, its
    own service worker, and connections to itself, the API, the stage's live endpoint (``ws_url``,
    where the page follows changes over a WebSocket), Cognito (and, in scoped mode, ``auth_url``:
    the pool's sign-in domain, whose token endpoint the page calls) and the attachments bucket,
    nowhere else. Images come from the page itself and from the attachments bucket (an attached
    image is shown in the note, from its download URL), no other site.

    Each URL becomes a source of ``connect-src``: ``ws_url`` a ``wss`` or ``ws`` one, each other an
    ``https`` or ``http`` one. A source with a path matches below it, so an HTTP URL's path gets its
    trailing slash; the live endpoint's path is kept as it is, as the page connects to exactly that
    URL. A URL that could end the source or the directive, or of another scheme, is refused.
    """
    sources: list[str] = ["'self'"]
    urls = [(api_url, _HTTP_SCHEMES), *([(ws_url, _WEBSOCKET_SCHEMES)] if ws_url else [])]
    urls += [(url, _HTTP_SCHEMES) for url in (cognito_url, *([auth_url] if auth_url else []), *bucket_urls)]
    for url, schemes in urls:
        source = _connect_source(url, schemes)
        if source not in sources:
            sources.append(source)
    images = ["'self'", "data:"]
    for url in bucket_urls:
        source = _connect_source(url, _HTTP_SCHEMES)
        if source not in images:
            images.append(source)
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src " + " ".join(images),
            "connect-src " + " ".join(sources),
            "worker-src 'self'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "manifest-src 'self'",
        ]
    )


def _connect_source(url: str, schemes: tuple[str, ...]) -> str:
    scheme, separator, rest = url.partition("://")
    if (
        not separator
        or scheme not in schemes
        or not rest
        or any(character.isspace() or character in ";,'\"" for character in url)
    ):
        raise ValueError(f"not a URL a content security policy can name: {url!r}")
    host, _, path = rest.partition("/")
    if not path:
        return f"{scheme}://{host}"
    if scheme in _WEBSOCKET_SCHEMES or path.endswith("/"):
        return url
    return f"{scheme}://{host}/{path}/"
