"""The user pool's password rules, as the stage's web app publishes them, and a password checked
against them before it is sent.

The rules are not the CLI's to know: a public app client may not read the pool's policy
(``DescribeUserPool`` needs AWS credentials), so the CLI reads it where the web app does, from
the ``passwordPolicy`` of the stage's ``config.json`` (``WEB_URL/config.json``: the stack file's
``webUrl`` locally, ``--web-url`` deployed). What each rule asks and its words are the product's
one definition (``contract.passwords``), which the local sign-in page uses too. When no rules can be
read, the pool's own refusal is told in these words as far as it names a rule.
"""

from __future__ import annotations

import requests

from contract.passwords import SWITCHES, PasswordPolicy

__all__ = ["PasswordPolicy", "fetch_policy", "pool_refusal"]

CONFIG_PATH = "/config.json"
TIMEOUT_SECONDS = (3, 5)
# What Cognito's InvalidPasswordException says of each rule, and the rule in the CLI's words.
POOL_WORDS = (
    ("not long enough", "more characters"),
    *zip(("uppercase", "lowercase", "numeric", "symbol"), (switch.brief for switch in SWITCHES), strict=True),
)


def fetch_policy(web_url: str | None, http: requests.Session | None = None) -> PasswordPolicy | None:
    """The pool's password policy from the web app at ``web_url``; None when it cannot be read."""
    if not web_url:
        return None
    try:
        answer = (http or requests.Session()).get(
            web_url.rstrip("/") + CONFIG_PATH, timeout=TIMEOUT_SECONDS, allow_redirects=False
        )
        if answer.status_code != 200:
            return None
        config = answer.json()
    except (requests.exceptions.RequestException, ValueError):
        return None
    return PasswordPolicy.from_config(config.get("passwordPolicy")) if isinstance(config, dict) else None


def pool_refusal(message: str) -> str:
    """The pool's InvalidPasswordException in words: the rule it names, if it names one."""
    lowered = message.lower()
    named = [words for clue, words in POOL_WORDS if clue in lowered]
    if named:
        return f"it needs {' and '.join(named)}, says the user pool"
    return "it does not follow the user pool's password rules, which the user pool does not name"
