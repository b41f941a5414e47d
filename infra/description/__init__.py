"""The single description of a stage's infrastructure: user pool, app clients, tables, bucket, web app.

Each function returns the parameters of the AWS API call that creates the resource, so the local
stack provisions exactly what is described here, and the deploy template (``infra.template``) is
rendered from the same values. Its modules, each one part of the stage:

- ``names``: the stages, and what their resources are called;
- ``cognito``: the user pool and its clients (ID-token and scoped mode);
- ``auth_settings``: a stage's auth settings (its mode, an existing pool), read and checked;
- ``permissions``: the IAM actions each function's role allows;
- ``storage``: the tables' CreateTable parameters and the attachments bucket's configuration;
- ``web``: the web app's files, headers, content security policy and client rules;
- ``operations_settings``: a deployed stage's throttling and alarms.

Everything is read from here, as ``description.X``. The tables are declared in
``chalicelib.tables``, the scopes and password rules in ``contract``, and the stream functions'
filters in ``chalicelib.stream_consumers``; the scopes and the storage prefixes are re-exported
for the description's readers.
"""

from __future__ import annotations

from chalicelib.storage_layout import EXPORTS_PREFIX, FILES_PREFIX, SHARED_PREFIX
from contract.scopes import READ_SCOPE, WRITE_SCOPE
from infra.description.auth_settings import (
    AUTH_SETTINGS,
    EXISTING_POOL_CLIENTS,
    RESERVED_DOMAIN_WORDS,
    Auth,
    auth,
)
from infra.description.cognito import (
    AUTHORIZATION_CODE_SECONDS,
    CLI_CALLBACK_PORT,
    CLI_CALLBACK_URL,
    CLIENT_TOKENS,
    CODE_CHALLENGE_METHODS,
    MODES,
    OAUTH_CLIENTS,
    PASSWORD_POLICY,
    REFRESH_TOKEN_DAYS,
    TOKEN_MINUTES,
    oauth_client,
    oauth_client_name,
    oauth_scopes,
    resource_server,
    retained,
    user_pool,
    user_pool_client,
    web_oauth,
)
from infra.description.names import (
    APP_NAME,
    DEPLOYED_STAGES,
    STAGES,
    bucket_name,
    table_name,
    user_pool_client_name,
    user_pool_name,
)
from infra.description.operations_settings import (
    ALARM_PERIOD_SECONDS,
    API_5XX_RATE_THRESHOLD,
    INDEX_DELAY_SECONDS,
    OPERATIONS,
    Operations,
    operations,
)
from infra.description.permissions import (
    ACCOUNT_TABLE_ACTIONS,
    API_USER_POOL_ACTIONS,
    BUCKET_OBJECT_ACTIONS,
    CHANGES_TABLE_ACTIONS,
    CONNECT_ACCOUNT_ACTIONS,
    CONNECT_CONNECTIONS_ACTIONS,
    EXPORT_READ_ACTIONS,
    FOLLOW_ACCOUNT_ACTIONS,
    FOLLOW_CONNECTIONS_ACTIONS,
    FOLLOW_VERSIONS_ACTIONS,
    FOLLOW_WRITE_ACTIONS,
    INDEX_WRITE_ACTIONS,
    JOBS_BUCKET_ACTIONS,
    JOBS_DELETE_ACTIONS,
    JOBS_READ_ACTIONS,
    JOBS_TABLE_ACTIONS,
    JOBS_USER_POOL_ACTIONS,
    JOBS_WRITE_ACTIONS,
    MANAGE_CONNECTIONS_ACTIONS,
    PURGE_OBJECT_ACTIONS,
    PURGE_SHARES_ACTIONS,
    PURGE_VERSIONS_ACTIONS,
    SEARCH_TABLE_ACTIONS,
    SHARED_OBJECT_ACTIONS,
    SHARES_TABLE_ACTIONS,
    STREAM_ACTIONS,
    TABLE_ACTIONS,
    TRASH_TABLE_ACTIONS,
    VERSIONS_TABLE_ACTIONS,
)
from infra.description.storage import (
    BUCKET_ENCRYPTION,
    PUBLIC_ACCESS_BLOCK,
    bucket_cors,
    bucket_lifecycle,
    bucket_policy,
    create_table,
    object_prefixes,
    table_shape,
    time_to_live,
)
from infra.description.web import (
    HSTS_MAX_AGE_SECONDS,
    WEB_CONFIG,
    WEB_INDEX,
    WEB_SECURITY_HEADERS,
    client_rules,
    content_security_policy,
    password_rules_text,
)

__all__ = [
    "ACCOUNT_TABLE_ACTIONS",
    "ALARM_PERIOD_SECONDS",
    "API_5XX_RATE_THRESHOLD",
    "API_USER_POOL_ACTIONS",
    "APP_NAME",
    "AUTHORIZATION_CODE_SECONDS",
    "AUTH_SETTINGS",
    "BUCKET_ENCRYPTION",
    "BUCKET_OBJECT_ACTIONS",
    "CHANGES_TABLE_ACTIONS",
    "CLIENT_TOKENS",
    "CLI_CALLBACK_PORT",
    "CLI_CALLBACK_URL",
    "CODE_CHALLENGE_METHODS",
    "CONNECT_ACCOUNT_ACTIONS",
    "CONNECT_CONNECTIONS_ACTIONS",
    "DEPLOYED_STAGES",
    "EXISTING_POOL_CLIENTS",
    "EXPORTS_PREFIX",
    "EXPORT_READ_ACTIONS",
    "FILES_PREFIX",
    "FOLLOW_ACCOUNT_ACTIONS",
    "FOLLOW_CONNECTIONS_ACTIONS",
    "FOLLOW_VERSIONS_ACTIONS",
    "FOLLOW_WRITE_ACTIONS",
    "HSTS_MAX_AGE_SECONDS",
    "INDEX_DELAY_SECONDS",
    "INDEX_WRITE_ACTIONS",
    "JOBS_BUCKET_ACTIONS",
    "JOBS_DELETE_ACTIONS",
    "JOBS_READ_ACTIONS",
    "JOBS_TABLE_ACTIONS",
    "JOBS_USER_POOL_ACTIONS",
    "JOBS_WRITE_ACTIONS",
    "MANAGE_CONNECTIONS_ACTIONS",
    "MODES",
    "OAUTH_CLIENTS",
    "OPERATIONS",
    "PASSWORD_POLICY",
    "PUBLIC_ACCESS_BLOCK",
    "PURGE_OBJECT_ACTIONS",
    "PURGE_SHARES_ACTIONS",
    "PURGE_VERSIONS_ACTIONS",
    "READ_SCOPE",
    "REFRESH_TOKEN_DAYS",
    "RESERVED_DOMAIN_WORDS",
    "SEARCH_TABLE_ACTIONS",
    "SHARED_OBJECT_ACTIONS",
    "SHARED_PREFIX",
    "SHARES_TABLE_ACTIONS",
    "STAGES",
    "STREAM_ACTIONS",
    "TABLE_ACTIONS",
    "TOKEN_MINUTES",
    "TRASH_TABLE_ACTIONS",
    "VERSIONS_TABLE_ACTIONS",
    "WEB_CONFIG",
    "WEB_INDEX",
    "WEB_SECURITY_HEADERS",
    "WRITE_SCOPE",
    "Auth",
    "Operations",
    "auth",
    "bucket_cors",
    "bucket_lifecycle",
    "bucket_name",
    "bucket_policy",
    "client_rules",
    "content_security_policy",
    "create_table",
    "oauth_client",
    "oauth_client_name",
    "oauth_scopes",
    "object_prefixes",
    "operations",
    "password_rules_text",
    "resource_server",
    "retained",
    "table_name",
    "table_shape",
    "time_to_live",
    "user_pool",
    "user_pool_client",
    "user_pool_client_name",
    "user_pool_name",
    "web_oauth",
]
