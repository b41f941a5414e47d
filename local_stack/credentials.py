"""The local stack's AWS credentials: one pair made afresh by every ``make run``.

The emulator accepts a signed request only when it is signed with this pair; the API
(``chalice local``) is given it, and ``.local/stack.json`` names it (``awsAccessKeyId``,
``awsSecretAccessKey``) for every other client. It exists only while the stack runs and
opens nothing but the emulator on 127.0.0.1: never a real AWS credential, and never written
into the repository.

Only the standard library is imported here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

# As AWS's: 20 upper-case letters and digits, the first ones saying what the key is.
_KEY_ID_PREFIX = "LOCAL"
_KEY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class Keys:
    """An access key id and its secret (left out of ``repr``)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)

    def environment(self) -> dict[str, str]:
        """The variables botocore reads them from."""
        return {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}


def new_keys() -> Keys:
    """A pair nobody has seen before."""
    tail = "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(20 - len(_KEY_ID_PREFIX)))
    return Keys(access_key_id=_KEY_ID_PREFIX + tail, secret_access_key=secrets.token_urlsafe(30))
