"""The app's log lines as a person reads them: ``make run`` prints the API's output with them, and
``make logs`` a deployed stage's."""

from __future__ import annotations

import json
import re

# What chalice local and the app print at start that tells a person nothing.
QUIET = (
    re.compile(r"^Override settings for pynamo (not )?available"),
    re.compile(r"^Using Default settings value"),
    re.compile(r"^Serving on http://"),
    re.compile(r'"GET /health HTTP/1\.1" 200'),
    re.compile(r"^Found endpoint for \S+ via: "),
    re.compile(r"^Aborted!$"),
)
# chalice local's own line per request ("127.0.0.1 - - [date] "GET /notes HTTP/1.1" 200 -").
CHALICE_REQUEST_LINE = re.compile(r'^127\.0\.0\.1 - - \[[^]]*\] "')


def readable(line: str) -> str | None:
    """A line of the API's output as a person reads it, or None to leave it out."""
    if not line.strip() or any(pattern.search(line) for pattern in QUIET):
        return None
    if CHALICE_REQUEST_LINE.search(line):
        return None  # the app's own request line says it, and more
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
