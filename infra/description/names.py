"""The stages, and what each stage's resources are called where the stage names them itself.

A deployed stack lets CloudFormation name its bucket; everything else a stage makes on the
emulator (``make run``, the tests) and in the template is named here, after the app and the stage.
"""

from __future__ import annotations

from chalicelib.tables import NOTES, Table

APP_NAME = "notes"
STAGES = ("test", "local", "dev", "prod")
DEPLOYED_STAGES = ("dev", "prod")


def check_stage(stage: str) -> str:
    """``stage`` when it is one of ``STAGES``; otherwise a ValueError naming them."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    return stage


def user_pool_name(stage: str) -> str:
    return f"{APP_NAME}-{check_stage(stage)}-users"


def user_pool_client_name(stage: str) -> str:
    return f"{APP_NAME}-{check_stage(stage)}-web"


def table_name(stage: str, table: Table = NOTES) -> str:
    """The name of the stage's ``table`` (by default the notes table, which the others are named beside)."""
    return table.name(f"{APP_NAME}-{check_stage(stage)}")


def bucket_name(stage: str) -> str:
    """The attachments bucket's name on the emulator; a deployed stack lets CloudFormation name it
    (bucket names are global)."""
    return f"{APP_NAME}-{check_stage(stage)}-attachments"
