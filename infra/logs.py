"""``make logs STAGE=dev``: follow a deployed stage's function logs, as ``make run`` prints them.

Finds the function of stack ``notes-<stage>`` (its ``FunctionName`` output), reads its log group
from a few minutes back, and then every two seconds what is new, until Ctrl-C. The app's JSON
lines are printed readably (one line per request; an error with its traceback), Lambda's own
lines (START, END, REPORT) as they are; ``--json`` prints the JSON lines untouched, for piping.
Credentials and region come from the standard AWS configuration, as for ``make deploy``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from infra.deploy import DeployError, required_outputs
from infra.log_lines import readable

POLL_SECONDS = 2.0
BACK_SECONDS = 10 * 60


def log_group(cloudformation: Any, stage: str) -> str:
    """The function's log group, from the stack's ``FunctionName`` output. Raises DeployError."""
    outputs = required_outputs(cloudformation, stage, "FunctionName", "FunctionName output")
    return f"/aws/lambda/{outputs['FunctionName']}"


def events(logs: Any, group: str, since_ms: int) -> Iterator[dict[str, Any]]:
    """Every event of ``group`` from ``since_ms`` on, oldest first, one page after another."""
    token: str | None = None
    while True:
        page = logs.filter_log_events(
            logGroupName=group, startTime=since_ms, **({"nextToken": token} if token else {})
        )
        yield from page.get("events", [])
        token = page.get("nextToken")
        if not token:
            return


def follow(
    logs: Any,
    group: str,
    show: Callable[[str], None],
    *,
    since_ms: int,
    pretty: bool = True,
    rounds: int | None = None,
) -> None:
    """Print what ``group`` holds from ``since_ms``, then what comes, every POLL_SECONDS.

    ``rounds`` bounds the reads (for tests); None follows until interrupted.
    """
    seen: set[str] = set()
    done = 0
    while rounds is None or done < rounds:
        newest = since_ms
        for event in events(logs, group, since_ms):
            if event["eventId"] in seen:
                continue
            seen.add(event["eventId"])
            newest = max(newest, int(event["timestamp"]))
            message = str(event["message"])
            line = readable(message) if pretty else message
            if line:
                show(line if line.endswith("\n") else line + "\n")
        # Events can arrive late and out of order: read the last seconds again, skip what was seen.
        since_ms = max(since_ms, newest - 5_000)
        done += 1
        if rounds is None or done < rounds:
            time.sleep(POLL_SECONDS)


def _show(line: str) -> None:
    sys.stdout.write(line)
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make logs", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--json", action="store_true", help="the JSON lines as they are")
    args = parser.parse_args(argv)
    import boto3

    session = boto3.session.Session()
    try:
        group = log_group(session.client("cloudformation"), args.stage)
        print(f"following {group} (Ctrl-C stops)", file=sys.stderr, flush=True)
        follow(
            session.client("logs"),
            group,
            _show,
            since_ms=int((time.time() - BACK_SECONDS) * 1000),
            pretty=not args.json,
        )
    except KeyboardInterrupt:
        return 0
    except DeployError as error:
        print(f"make logs: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # credentials, network: one line, no traceback
        print(f"make logs: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
