"""The local stage's user pool, app client, table and bucket, provisioned into the emulator.

What is made comes from the infrastructure description (``infra/description.py``) through the
same ``provision`` the tests use; the local stage of ``.chalice/config.json`` must name it.
"""

from __future__ import annotations

from typing import Any

from infra import stages
from infra.provision import Provisioned, provision
from local_stack import HOST, STAGE, LaunchError


def web_origins(web_port: int) -> tuple[str, ...]:
    """The origins of the local web app, as a browser on this machine names them."""
    return (f"http://{HOST}:{web_port}", f"http://localhost:{web_port}")


def provision_local(endpoint: str, web_origins: tuple[str, ...]) -> Provisioned:
    """Provision the local stage into the emulator at ``endpoint`` (reusing what it holds).

    Raises LaunchError when ``.chalice/config.json`` names something else than was made.
    """
    import boto3

    stage_env = stages.environment(STAGE)
    region = stage_env["AWS_DEFAULT_REGION"]

    def client(service: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    made = provision(STAGE, client("cognito-idp"), client("dynamodb"), client("s3"), web_origins)
    named = (
        stage_env["COGNITO_USER_POOL_ARN"],
        stage_env["COGNITO_APP_CLIENT_IDS"],
        stage_env["NOTES_TABLE_NAME"],
        stage_env["NOTES_BUCKET_NAME"],
    )
    if (made.user_pool_arn, made.user_pool_client_id, made.table_name, made.bucket_name) != named:
        raise LaunchError(
            "the local stage in .chalice/config.json does not name what infra/description.py provisions: "
            f"set COGNITO_USER_POOL_ARN={made.user_pool_arn}, "
            f"COGNITO_APP_CLIENT_IDS={made.user_pool_client_id}, "
            f"NOTES_TABLE_NAME={made.table_name}, "
            f"NOTES_BUCKET_NAME={made.bucket_name}"
        )
    return made
