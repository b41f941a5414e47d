"""The local stack: what stands in for AWS on a developer's machine, never in the Lambda package.

``make run`` (``python -m local_stack``) starts it on 127.0.0.1 only; ``chalice local`` and the
chalice test client check tokens with ``gateway_auth``. One job per module:

- ``__main__``      make run: its arguments and the order things start and stop
- ``ports``         the three ports, checked before anything starts
- ``emulator``      the AWS emulator (Cognito, DynamoDB, S3), one request at a time
- ``credentials``   the pair of keys each make run makes, the only one the emulator takes
- ``guard``         what AWS refuses, refused in front of the emulator (signatures, presigned URLs)
- ``signatures``    Signature Version 4 checked with botocore's signer
- ``post_policy``   a presigned POST's policy, signature and conditions, checked as S3 does
- ``cors``          the emulator's CORS, for the web app's origin only
- ``lifecycle``     the bucket's lifecycle rule, applied by the stack itself
- ``state_file``    the saved data's format: snapshot, atomic save, load
- ``keeper``        saves the emulator's data while it changes, and at the end
- ``provisioning``  the local stage's pool, client, table and bucket, from the infrastructure description
- ``web_server``    the web app's files and its config.json
- ``api``           ``chalice local``, supervised, restarted when the app's code changes
- ``chalice_local`` Chalice's ``chalice local`` command, its app checking tokens with ``gateway_auth``
- ``banner``        what make run prints once the stack is up
- ``gateway_auth``  tokens checked as API Gateway checks them, for chalice local and the test client
- ``gateway_http``  chalice local's HTTP as API Gateway's: JSON errors, quiet disconnects, both origins

This module holds only what they share, and imports nothing heavy: the API's process
(``chalice_local``) imports ``gateway_auth`` at every start.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
STAGE = "local"


class LaunchError(Exception):
    """The stack cannot start; the message says why and what to do."""


def shown(path: Path) -> str:
    """A path as a person in the project folder would type it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)
