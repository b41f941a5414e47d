"""The document ``chalice package --merge-template`` merges for a deployed stage, put together from
the parts of the stack (each module of ``infra.template`` renders one)."""

from __future__ import annotations

from typing import Any

from infra import description
from infra.template import alarms, api, bucket, cognito, functions, outputs, roles, tables, web


def merge_template(
    stage: str, operations: description.Operations | None = None, auth: description.Auth | None = None
) -> dict[str, Any]:
    """The document ``chalice package --merge-template`` merges for ``stage``; ``operations``
    defaults to the stage's defaults, ``auth`` to ID-token mode with a pool of the stack's own."""
    if stage not in description.DEPLOYED_STAGES:
        raise ValueError(f"stage {stage!r} is not deployed; deployed stages: {description.DEPLOYED_STAGES}")
    operations = operations or description.operations(stage)
    auth = auth or description.Auth()
    policy = web.content_security_policy(cognito.auth_domain(stage, auth), auth.user_pool_region)
    return {
        "Resources": {
            alarms.ALARM_TOPIC: alarms.alarm_topic(operations.alarm_email),
            **functions.log_groups(),
            **alarms.alarms(stage),
            **cognito.resources(stage, auth),
            **tables.resources(stage),
            **bucket.resources({"Fn::Sub": web.WEB_ORIGIN}),
            **web.resources(policy),
            functions.FUNCTION: functions.api_function(auth),
            roles.ROLE: roles.api_role(auth),
            functions.INDEXER: functions.indexer(auth),
            roles.INDEXER_ROLE: roles.indexer_role(),
            functions.FOLLOWER: functions.follower(auth),
            roles.FOLLOWER_ROLE: roles.follower_role(),
            functions.WS_CONNECT: functions.websocket_function(auth),
            roles.WS_CONNECT_ROLE: roles.ws_connect_role(),
            functions.WS_MESSAGE: functions.websocket_function(auth),
            roles.WS_MESSAGE_ROLE: roles.ws_message_role(),
            functions.PURGER: functions.purger(auth),
            roles.PURGER_ROLE: roles.purger_role(),
            functions.JOBS: functions.jobs(auth),
            roles.JOBS_ROLE: roles.jobs_role(auth),
            api.API: api.rest_api(stage, operations, auth),
        },
        "Outputs": outputs.outputs(stage, auth),
    }
