"""The settings object: read once from the stage's environment, failing fast by name."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chalicelib.settings import Settings, SettingsError
from tests.conftest import ROOT, STAGE_ENV

VALID = {
    "AWS_REGION": "eu-west-1",
    "NOTES_TABLE_NAME": "notes-dev",
    "COGNITO_USER_POOL_ARN": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123",
    "COGNITO_APP_CLIENT_IDS": "client1, client2",
    "NOTES_BUCKET_NAME": "notes-dev-attachments-1a2b3c",
}


def test_reads_every_setting():
    settings = Settings.from_env(
        {**VALID, "COGNITO_READ_SCOPES": "notes/notes.read", "COGNITO_WRITE_SCOPES": "notes/notes.write"}
    )
    assert settings.region == "eu-west-1"
    assert settings.table_name == "notes-dev"
    assert settings.user_pool_id == "eu-west-1_AbC123"
    assert settings.app_client_ids == ("client1", "client2")
    assert settings.bucket_name == "notes-dev-attachments-1a2b3c"
    assert settings.attachment_max_bytes == 10 * 1024 * 1024
    assert settings.read_scopes == ("notes/notes.read",)
    assert settings.scoped
    assert not Settings.from_env(VALID).scoped


def test_region_falls_back_to_aws_default_region():
    env = {**VALID, "AWS_DEFAULT_REGION": "us-west-2"}
    del env["AWS_REGION"]
    assert Settings.from_env(env).region == "us-west-2"


@pytest.mark.parametrize("name", sorted(VALID))
def test_a_missing_variable_is_named(name):
    env = {key: value for key, value in VALID.items() if key != name}
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env)


@pytest.mark.parametrize("value", ["", "   ", "changeme", "<your table>", "TODO", "{table}"])
def test_empty_or_placeholder_values_are_refused(value):
    with pytest.raises(SettingsError, match="NOTES_TABLE_NAME"):
        Settings.from_env({**VALID, "NOTES_TABLE_NAME": value})


@pytest.mark.parametrize(
    "arn",
    [
        "us-east-1_AbC123",
        "arn:aws:cognito-idp:eu-west-1:123:userpool/eu-west-1_AbC123",
        "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/us-east-1_AbC123",
    ],
)
def test_a_malformed_pool_arn_is_refused(arn):
    with pytest.raises(SettingsError, match="COGNITO_USER_POOL_ARN"):
        Settings.from_env({**VALID, "COGNITO_USER_POOL_ARN": arn})


def test_the_largest_attachment_is_a_stage_setting():
    assert Settings.from_env({**VALID, "ATTACHMENT_MAX_BYTES": "1048576"}).attachment_max_bytes == 1048576
    assert Settings.from_env({**VALID, "ATTACHMENT_MAX_BYTES": ""}).attachment_max_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize("value", ["0", "-1", "10MiB", "1.5", str(5 * 1024**3 + 1)])
def test_a_bad_attachment_limit_is_refused(value):
    with pytest.raises(SettingsError, match="ATTACHMENT_MAX_BYTES"):
        Settings.from_env({**VALID, "ATTACHMENT_MAX_BYTES": value})


def test_scopes_come_in_pairs():
    with pytest.raises(SettingsError, match="COGNITO_WRITE_SCOPES"):
        Settings.from_env({**VALID, "COGNITO_READ_SCOPES": "notes/notes.read"})


def test_importing_the_app_without_its_settings_fails_with_the_name():
    env = {k: v for k, v in os.environ.items() if k not in STAGE_ENV}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    result = subprocess.run(
        [sys.executable, "-c", "import app"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "missing environment variable COGNITO_USER_POOL_ARN" in result.stderr
