"""Provisioning into an emulator that holds what an earlier run made."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import description, stages
from local_stack.emulator import EMULATOR_ENV
from local_stack.provisioning import provision


def test_oauth_clients_saved_with_other_scopes_are_made_again_with_the_ids_the_stage_names(
    monkeypatch: Any,
) -> None:
    for name, value in EMULATOR_ENV.items():
        monkeypatch.setenv(name, value)
    named = stages.environment("local")["COGNITO_APP_CLIENT_IDS"].split(",")
    region = stages.environment("local")["AWS_DEFAULT_REGION"]
    old_scopes = {"web": ["openid", "email", description.READ_SCOPE, description.WRITE_SCOPE]}
    with mock_aws():
        clients = [boto3.client(service, region_name=region) for service in ("cognito-idp", "dynamodb", "s3")]
        real = description.oauth_scopes
        with pytest.MonkeyPatch.context() as before:
            # Where description.oauth_client reads a client's scopes.
            before.setattr(
                description.cognito, "oauth_scopes", lambda kind: old_scopes.get(kind) or real(kind)
            )
            earlier = provision("local", *clients, oauth=True)
        assert earlier.oauth_clients["web"] not in named  # made from other settings: another id
        made = provision("local", *clients, oauth=True)
        assert list(made.client_ids) == named
        web = clients[0].describe_user_pool_client(
            UserPoolId=made.user_pool_id, ClientId=made.oauth_clients["web"]
        )
        assert set(web["UserPoolClient"]["AllowedOAuthScopes"]) == set(real("web"))
        listed = clients[0].list_user_pool_clients(UserPoolId=made.user_pool_id, MaxResults=60)[
            "UserPoolClients"
        ]
        assert len(listed) == len(named)  # the old client is gone, not left beside the new one
