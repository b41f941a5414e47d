"""The app's log lines as a person reads them: ``make logs`` prints a deployed stage's with them,
and ``make run`` the local API's (``local_stack.api`` first leaves out what Chalice's local server
prints of its own)."""

from __future__ import annotations

import json
import re

# What the app's libraries print at start that tells a person nothing.
QUIET = (
    re.compile(r"^Override settings for pynamo (not )?available"),
    re.compile(r"^Using Default settings value"),
)


def readable(line: str) -> str | None:
    """A line of the app's output as a person reads it, or None to leave it out: the app's JSON
    lines made readable (one per request; an error with its traceback), any other line as it is."""
    if not line.strip() or any(pattern.search(line) for pattern in QUIET):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict):
        return line
    if record.get("logger") == "notes.request":
        if record.get("route") == "/health" and record.get("status") == 200:
            return None  # readiness probes, ours and others'
        sub = record.get("sub") or "-"
        return (
            f"{record.get('method')} {record.get('route')} {record.get('status')}"
            f"  {record.get('latencyMs')} ms  DynamoDB {record.get('dynamodbCalls')}"
            f"  S3 {record.get('s3Calls')}  sub {sub[:8]}  [{record.get('requestId')}]\n"
        )
    text = f"{record.get('level', '')} {record.get('message', '')}  [{record.get('requestId', '-')}]\n"
    exception = record.get("exception")
    if isinstance(exception, dict):
        text += str(exception.get("traceback", ""))
    return text
