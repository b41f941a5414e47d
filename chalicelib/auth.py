"""The caller's identity, read from the claims the authorizer put in the request context.

API Gateway (REST) hands every claim to the function as a string; a list claim
such as ``cognito:groups`` arrives as one comma- or space-separated string
(sometimes bracketed). The same claims may reach us with their JSON types from
other callers, so both forms are accepted here, and only here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from chalicelib.errors import Unauthenticated


class Caller(NamedTuple):
    """Who is calling: ``user_id`` is the token's ``sub``, the owner of every note."""

    user_id: str
    email: str | None
    groups: tuple[str, ...]

    def to_public(self) -> dict[str, Any]:
        return {"userId": self.user_id, "email": self.email, "groups": list(self.groups)}


def caller_from_context(context: Mapping[str, Any] | None) -> Caller:
    """The caller named by ``context['authorizer']['claims']``.

    Raises Unauthenticated when the claims or a usable ``sub`` are missing: a
    route reached without them means the authorizer is misconfigured, and no
    note may ever be stored under an empty owner.
    """
    authorizer = (context or {}).get("authorizer")
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    if not isinstance(claims, Mapping):
        raise Unauthenticated("no claims in the request context")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise Unauthenticated("no 'sub' claim in the request context")
    email = claims.get("email")
    return Caller(
        user_id=sub,
        email=email if isinstance(email, str) and email else None,
        groups=normalise_groups(claims.get("cognito:groups")),
    )


def normalise_groups(value: Any) -> tuple[str, ...]:
    """``cognito:groups`` as a tuple, from a list or a delimited string."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        items = [str(item).strip() for item in value]
    else:
        items = re.split(r"[\s,]+", str(value).strip().strip("[]"))
    return tuple(item for item in items if item)
