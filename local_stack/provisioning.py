"""A stage's user pool, app client, table and bucket, provisioned through the AWS APIs into an
emulator: the local stage for ``make run``, the test stage for the in-process tests. Idempotent.

What is made comes from the infrastructure description (``infra/description/``), the same that
the deploy template is rendered from; the stage in ``.chalice/config.json`` must name it. Deployed,
CloudFormation makes the same from the template: nothing here runs against AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.settings import PoolArn
from chalicelib.tables import NOTES, SEARCH, TABLES, Table
from infra import description, stages
from local_stack import HOST, STAGE, LaunchError


def web_origins(web_port: int) -> tuple[str, ...]:
    """The origins of the local web app, as a browser on this machine names them."""
    return (f"http://{HOST}:{web_port}", f"http://localhost:{web_port}")


def provision_local(endpoint: str, web_origins: tuple[str, ...], *, scoped: bool = False) -> Provisioned:
    """Provision the local stage into the emulator at ``endpoint`` (reusing what it holds); with
    ``scoped``, scoped mode's resource server and OAuth clients too.

    Raises LaunchError when ``.chalice/config.json`` names something else than was made.
    """
    import boto3

    stage_env = stages.environment(STAGE)
    region = stage_env["AWS_DEFAULT_REGION"]

    def client(service: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    made = provision(
        STAGE, client("cognito-idp"), client("dynamodb"), client("s3"), web_origins, oauth=scoped
    )
    named = (
        stage_env["COGNITO_USER_POOL_ARN"],
        stage_env["COGNITO_APP_CLIENT_IDS"],
        stage_env["NOTES_TABLE_NAME"],
        stage_env["NOTES_BUCKET_NAME"],
    )
    # The stage names all four clients; without scoped mode only the first one is made (the
    # emulator derives each id from its settings, so the others are the same whenever made).
    client_ids = ",".join(made.client_ids)
    if not scoped:
        client_ids = ",".join([client_ids, *named[1].split(",")[1:]])
    if (made.user_pool_arn, client_ids, made.table_name, made.bucket_name) != named:
        # The message names every client the stage must list: all four are made for it.
        made = provision(
            STAGE, client("cognito-idp"), client("dynamodb"), client("s3"), web_origins, oauth=True
        )
        raise LaunchError(
            "the local stage in .chalice/config.json does not name what infra/description/ provisions: "
            f"set COGNITO_USER_POOL_ARN={made.user_pool_arn}, "
            f"COGNITO_APP_CLIENT_IDS={','.join(made.client_ids)}, "
            f"NOTES_TABLE_NAME={made.table_name}, "
            f"NOTES_BUCKET_NAME={made.bucket_name}"
        )
    return made


@dataclass(frozen=True)
class Provisioned:
    region: str
    user_pool_id: str
    user_pool_arn: str
    user_pool_client_id: str  # the password client (ID-token mode)
    table_name: str
    bucket_name: str
    # Scoped mode's OAuth clients: kind (description.OAUTH_CLIENTS) -> client id.
    oauth_clients: dict[str, str] = field(default_factory=dict)
    search_table_name: str = ""
    trash_table_name: str = ""
    account_table_name: str = ""
    changes_table_name: str = ""
    connections_table_name: str = ""
    versions_table_name: str = ""
    shares_table_name: str = ""
    index_behind: bool = False  # the table holds notes the index may lack: rebuild it

    def name_of(self, table: Table) -> str:
        """The local stage's name of ``table``."""
        name: str = getattr(self, table.setting)
        return name

    @property
    def account(self) -> str:
        """The account the emulator keeps the pool in (its ARN's)."""
        pool = PoolArn.parse(self.user_pool_arn)
        if pool is None:
            raise ValueError(f"not a user pool's ARN: {self.user_pool_arn!r}")
        return pool.account

    @property
    def client_ids(self) -> tuple[str, ...]:
        """Every app client of the stage, the password client first (COGNITO_APP_CLIENT_IDS)."""
        return (self.user_pool_client_id, *self.oauth_clients.values())


def provision(
    stage: str,
    cognito: Any,
    dynamodb: Any,
    s3: Any,
    web_origins: tuple[str, ...] = (),
    *,
    oauth: bool = False,
) -> Provisioned:
    """Create what the stage describes, reusing what already exists (matched by name).

    ``web_origins`` are the origins whose pages may upload to and download from the bucket (and,
    with ``oauth``, return to from the pool's sign-in page). ``oauth``: scoped mode's resource
    server and OAuth clients too.
    """
    pool = _find_pool(cognito, description.user_pool_name(stage))
    if pool is None:
        pool = cognito.create_user_pool(**description.user_pool(stage))["UserPool"]
    clients = _clients(cognito, pool["Id"])
    client_id = clients.get(description.user_pool_client_name(stage))
    wanted = description.user_pool_client(stage)
    if client_id is not None and _auth_flows(cognito, pool["Id"], client_id) != set(
        wanted["ExplicitAuthFlows"]
    ):
        # Saved by a run before the client's flows changed: made again, it gets the id the stage
        # names (the emulator derives it from the first settings).
        cognito.delete_user_pool_client(UserPoolId=pool["Id"], ClientId=client_id)
        client_id = None
    if client_id is None:
        client = cognito.create_user_pool_client(UserPoolId=pool["Id"], **wanted)
        client_id = client["UserPoolClient"]["ClientId"]
    oauth_clients = _oauth_clients(stage, cognito, pool["Id"], web_origins, clients) if oauth else {}
    kept = {table.key: _table(dynamodb, table, stage) for table in TABLES}
    bucket = _bucket(stage, s3, web_origins)
    return Provisioned(
        region=cognito.meta.region_name,
        user_pool_id=pool["Id"],
        user_pool_arn=pool["Arn"],
        user_pool_client_id=client_id,
        bucket_name=bucket,
        oauth_clients=oauth_clients,
        **{table.setting: description.table_name(stage, table) for table in TABLES},
        # Notes kept from before the index or its stream existed are in no index yet.
        index_behind=not (kept[SEARCH.key] and kept[NOTES.key]),
    )


def _table(dynamodb: Any, table: Table, stage: str) -> bool:
    """Make the stage's ``table`` unless it exists (with its time to live), and give it its stream if
    it has none: whether it existed with its stream (False for a table made or given its stream now)."""
    shape = description.create_table(stage, table)
    name = shape["TableName"]
    try:
        found = dynamodb.describe_table(TableName=name)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        dynamodb.create_table(**shape)
        dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        if table.ttl_attribute is not None:
            ttl = description.time_to_live(table.ttl_attribute)
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        return False
    stream = shape.get("StreamSpecification")
    if stream and not (found.get("StreamSpecification") or {}).get("StreamEnabled"):
        dynamodb.update_table(TableName=name, StreamSpecification=stream)
        return False
    return True


def redirect_uris(kind: str, web_origins: tuple[str, ...]) -> list[str]:
    """Where the ``kind`` OAuth client's sign-in may return: the page, or the CLI's loopback callback."""
    return [f"{origin}/" for origin in web_origins] if kind == "web" else [description.CLI_CALLBACK_URL]


def _oauth_clients(
    stage: str, cognito: Any, pool_id: str, web_origins: tuple[str, ...], clients: dict[str, str]
) -> dict[str, str]:
    """Scoped mode's resource server and OAuth clients, their callbacks set to this run's web app.

    Each client is created without callbacks, then given them: the emulator derives a client's id
    from its first settings, and the web app's port may differ from one run to the next.
    """
    server = description.resource_server(stage)
    try:
        cognito.describe_resource_server(UserPoolId=pool_id, Identifier=server["Identifier"])
    except cognito.exceptions.ResourceNotFoundException:
        cognito.create_resource_server(UserPoolId=pool_id, **server)
    made = {}
    for kind in description.OAUTH_CLIENTS:
        callbacks = redirect_uris(kind, web_origins)
        client_id = clients.get(description.oauth_client_name(stage, kind))
        scopes = set(description.oauth_scopes(kind))
        if client_id is not None and _scopes(cognito, pool_id, client_id) != scopes:
            # Saved by a run before the client's scopes changed: made again, it gets the id the stage
            # names (the emulator derives it from the first settings).
            cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
            client_id = None
        if client_id is None:
            created = cognito.create_user_pool_client(
                UserPoolId=pool_id, **description.oauth_client(stage, kind, [], [])
            )
            client_id = str(created["UserPoolClient"]["ClientId"])
        settings = description.oauth_client(stage, kind, callbacks, callbacks)
        settings.pop("GenerateSecret")
        cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, **settings)
        made[kind] = client_id
    return made


def _auth_flows(cognito: Any, pool_id: str, client_id: str) -> set[str]:
    found = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    return set(found.get("ExplicitAuthFlows") or [])


def _scopes(cognito: Any, pool_id: str, client_id: str) -> set[str]:
    found = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    return set(found.get("AllowedOAuthScopes") or [])


def _bucket(stage: str, s3: Any, web_origins: tuple[str, ...]) -> str:
    """The stage's attachments bucket, with its settings applied again (they may have changed)."""
    name = description.bucket_name(stage)
    try:
        s3.head_bucket(Bucket=name)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=name)
    s3.put_public_access_block(
        Bucket=name, PublicAccessBlockConfiguration=dict(description.PUBLIC_ACCESS_BLOCK)
    )
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=description.BUCKET_ENCRYPTION)
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration=description.bucket_lifecycle())
    if web_origins:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration=description.bucket_cors(list(web_origins)))
    else:
        s3.delete_bucket_cors(Bucket=name)
    # No bucket policy here: the deployed one refuses every request not made over TLS, and the
    # emulator speaks plain HTTP on loopback (it would refuse everything).
    return name


def _find_pool(cognito: Any, name: str) -> dict[str, Any] | None:
    for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                found: dict[str, Any] = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
                return found
    return None


def _clients(cognito: Any, pool_id: str) -> dict[str, str]:
    """The pool's app clients, name -> id."""
    found = {}
    for page in cognito.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60):
        for client in page["UserPoolClients"]:
            found[str(client["ClientName"])] = str(client["ClientId"])
    return found
