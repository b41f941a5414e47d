"""A stand-in for a browser, run as ``BROWSER="python sign_in_browser.py %s"``: it signs in at the
sign-in page the address names, over HTTP, as a person would, and follows the page's answer back to
the loopback callback.

What it does comes from the environment:

    SIGN_IN_EMAIL, SIGN_IN_PASSWORD  what it types into the page's form
    SIGN_IN_ACT                      sign-in (the default); forged-first: before going back, send the
                                     callback answers with another state and with none, as another
                                     page could; nothing: open nothing, as a user who never signs in
    SIGN_IN_REPORT                   a file where it writes, as JSON, what it saw

Only the standard library and ``requests``: it runs as its own process, outside the tests.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

TIMEOUT = 30


def main(address: str) -> int:
    report: dict[str, Any] = {"address": address}
    try:
        act = os.environ.get("SIGN_IN_ACT", "sign-in")
        if act != "nothing":
            report.update(sign_in(address, forge=act == "forged-first"))
    except Exception as error:
        report["error"] = f"{type(error).__name__}: {error}"
    finally:
        if os.environ.get("SIGN_IN_REPORT"):
            Path(os.environ["SIGN_IN_REPORT"]).write_text(json.dumps(report))
    return 0


def sign_in(address: str, forge: bool) -> dict[str, Any]:
    browser = requests.Session()
    page = browser.get(address, timeout=TIMEOUT)
    seen: dict[str, Any] = {"pageStatus": page.status_code, "page": page.text}
    action = re.search(r'<form method="post" action="([^"]+)">', page.text)
    if page.status_code != 200 or action is None or '<label for="username">Email</label>' not in page.text:
        return seen
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    form = {name: html.unescape(value) for name, value in hidden}
    form["username"] = os.environ.get("SIGN_IN_EMAIL", "")
    form["password"] = os.environ.get("SIGN_IN_PASSWORD", "")
    answer = browser.post(
        urljoin(page.url, html.unescape(action.group(1))), data=form, allow_redirects=False, timeout=TIMEOUT
    )
    seen.update(signInStatus=answer.status_code)
    if answer.status_code != 302:
        seen.update(page=answer.text)
        return seen
    location = answer.headers["Location"]
    if forge:
        forged = [with_query(location, state="not-the-state-notes-login-sent"), without_query(location)]
        answers = [requests.get(url, timeout=TIMEOUT) for url in forged]
        seen.update(forgedStatus=[a.status_code for a in answers], forgedPages=[a.text for a in answers])
    callback = browser.get(location, timeout=TIMEOUT)
    seen.update(callback=location, callbackStatus=callback.status_code, callbackPage=callback.text)
    return seen


def without_query(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(query=""))


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
