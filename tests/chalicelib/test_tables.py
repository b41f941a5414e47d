"""The stage's tables, declared once (chalicelib.tables): each one's name."""

from __future__ import annotations

import pytest

from chalicelib import tables
from chalicelib.settings import Settings, SettingsError

BASE = {
    "AWS_REGION": "eu-west-1",
    "NOTES_TABLE_NAME": "notes-dev",
    "NOTES_BUCKET_NAME": "b",
    "COGNITO_USER_POOL_ARN": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc",
    "COGNITO_APP_CLIENT_IDS": "c",
}


def test_each_table_is_named_beside_the_notes_table_unless_its_variable_names_it() -> None:
    settings = Settings.from_env({**BASE, "NOTES_TRASH_TABLE_NAME": "old-trash"})
    names = {table.key: settings.name_of(table) for table in tables.TABLES}
    assert names == {
        "notes": "notes-dev",
        "search": "notes-dev-search",
        "trash": "old-trash",
        "account": "notes-dev-account",
        "changes": "notes-dev-changes",
        "connections": "notes-dev-connections",
        "versions": "notes-dev-versions",
        "shares": "notes-dev-shares",
    }
    assert settings.account_table_name == "notes-dev-account"


def test_the_notes_table_must_be_named() -> None:
    with pytest.raises(SettingsError, match="missing environment variable NOTES_TABLE_NAME"):
        Settings.from_env({name: value for name, value in BASE.items() if name != "NOTES_TABLE_NAME"})
