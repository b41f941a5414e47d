"""Where the CLI connects: the stack file, the options and environment, and endpoints that are down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from notes_cli import stack as stack_module
from notes_cli.credentials import config_dir
from notes_cli.main import cli
from notes_cli.stack import resolve
from tests.conftest import PASSWORD
from tests.notes_cli.helpers import (
    HOST,
    Notes,
    assert_one_line_error,
    new_email,
    write_session,
    write_stack_file,
)
from tests.stack import Stack, free_port


def test_an_api_that_is_not_running(notes: Notes, local_stack: Stack, tmp_path: Path) -> None:
    dead_url = f"http://{HOST}:{free_port()}"
    write_stack_file(notes.stack_file, {**local_stack.facts.to_json(), "apiUrl": dead_url})
    write_session(notes.config, dead_url)
    assert_one_line_error(notes("ls"), f"cannot reach the API at {dead_url}", "make run")


def test_an_emulator_that_is_not_running(notes: Notes, local_stack: Stack) -> None:
    dead_endpoint = f"http://{HOST}:{free_port()}"
    write_stack_file(notes.stack_file, {**local_stack.facts.to_json(), "awsEndpoint": dead_endpoint})
    assert_one_line_error(
        notes("signup", new_email(), input=f"{PASSWORD}\n{PASSWORD}\n"),
        f"cannot reach Cognito at {dead_endpoint}",
    )


def test_without_a_stack_file_or_options_it_says_how_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack_module, "REPOSITORY_ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    env = {"NOTES_CONFIG_DIR": str(tmp_path / "config"), "NOTES_STACK_FILE": None}
    for command in (["ls"], ["login", "me@example.com"], ["signup", "me@example.com"]):
        result = CliRunner().invoke(cli, command, env=env, catch_exceptions=False)
        assert_one_line_error(result, "make run", "--api")


def test_a_deployed_stage_needs_the_emailed_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack_module, "REPOSITORY_ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    options = ["--api", "https://notes.example.com", "--user-pool-id", "eu-west-1_abc", "--client-id", "abc"]
    result = CliRunner().invoke(cli, [*options, "confirm", "me@example.com"], catch_exceptions=False)
    assert_one_line_error(result, "confirmation code is needed", "--code")


def test_stack_file_lookup_and_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside"
    outside.mkdir()
    monkeypatch.setattr(stack_module, "REPOSITORY_ROOT", outside)
    facts = {
        "apiUrl": "http://127.0.0.1:8000/",
        "awsEndpoint": "http://127.0.0.1:8001",
        "region": "us-east-1",
        "userPoolId": "us-east-1_local",
        "userPoolClientId": "local-client",
    }
    (project / ".local").mkdir(parents=True)
    write_stack_file(project / ".local" / "stack.json", facts)
    nested = project / "a" / "b"
    nested.mkdir(parents=True)
    none: dict[str, Any] = {"api": None, "region": None, "user_pool_id": None, "client_id": None}

    found = resolve(**none, stack_file=None, cwd=nested)
    assert (found.api_url, found.aws_endpoint, found.client_id, found.local) == (
        "http://127.0.0.1:8000",
        "http://127.0.0.1:8001",
        "local-client",
        True,
    )
    assert resolve(**{**none, "api": "http://127.0.0.1:9000"}, stack_file=None, cwd=nested).api_url == (
        "http://127.0.0.1:9000"
    )
    # Another pool is not in the emulator: its facts come from the options, its endpoint is AWS's.
    deployed = resolve(
        **{**none, "api": "https://x.example.com", "user_pool_id": "eu-west-1_abc", "client_id": "c"},
        stack_file=None,
        cwd=nested,
    )
    assert (deployed.region, deployed.aws_endpoint, deployed.local) == ("eu-west-1", None, False)
    assert resolve(**none, stack_file=None, cwd=outside).api_url is None
    # Else the repository's own stack file.
    monkeypatch.setattr(stack_module, "REPOSITORY_ROOT", project)
    assert resolve(**none, stack_file=None, cwd=outside).api_url == "http://127.0.0.1:8000"


def test_config_dir_follows_the_environment(tmp_path: Path) -> None:
    assert config_dir({"NOTES_CONFIG_DIR": str(tmp_path)}) == tmp_path
    assert config_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "notes"
    assert config_dir({"XDG_CONFIG_HOME": "relative"}) == Path.home() / ".config" / "notes"
    assert config_dir({}) == Path.home() / ".config" / "notes"
