"""The user pool's password rules, as the stage's web app publishes them, and a password checked
against them before it is sent.

The rules are not the CLI's to know: a public app client may not read the pool's policy
(``DescribeUserPool`` needs AWS credentials), so the CLI reads it where the web app does, from
the ``passwordPolicy`` of the stage's ``config.json`` (``WEB_URL/config.json``: the stack file's
``webUrl`` locally, ``--web-url`` deployed). The words are the web app's (web/config.js), so the
page and the command say the same. When no rules can be read, the pool's own refusal is told in
these words as far as it names a rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import requests

CONFIG_PATH = "/config.json"
TIMEOUT_SECONDS = (3, 5)
# Each switch of the policy, the rule's words, and what meets it (web/config.js, SWITCHED).
SWITCHES = (
    ("requireUppercase", "an upper-case letter", re.compile(r"[A-Z]")),
    ("requireLowercase", "a lower-case letter", re.compile(r"[a-z]")),
    ("requireNumbers", "a digit", re.compile(r"[0-9]")),
    ("requireSymbols", "a symbol (such as ! ? # - or _)", re.compile(r"[^A-Za-z0-9]")),
)
# What Cognito's InvalidPasswordException says of each rule, and the rule in the CLI's words.
POOL_WORDS = (
    ("not long enough", "more characters"),
    ("uppercase", "an upper-case letter"),
    ("lowercase", "a lower-case letter"),
    ("numeric", "a digit"),
    ("symbol", "a symbol"),
)


@dataclass(frozen=True)
class PasswordPolicy:
    """The rules a new password must follow: a length, and which kinds of character it needs."""

    minimum_length: int
    switches: tuple[str, ...]

    def rules(self) -> list[tuple[str, re.Pattern[str] | None]]:
        """Each rule's words and pattern (None: the length), in the order the page lists them."""
        length = f"at least {self.minimum_length} character{'s' if self.minimum_length != 1 else ''}"
        found: list[tuple[str, re.Pattern[str] | None]] = [(length, None)]
        found += [(words, pattern) for name, words, pattern in SWITCHES if name in self.switches]
        return found

    def missing(self, password: str) -> list[str]:
        """The words of the rules ``password`` does not follow, in order; [] when it follows them all."""
        return [
            words
            for words, pattern in self.rules()
            if (len(password) < self.minimum_length if pattern is None else not pattern.search(password))
        ]

    def sentence(self) -> str:
        """Every rule in one phrase: "at least 12 characters, with an upper-case letter, … and a digit"."""
        first, *others = [words for words, _ in self.rules()]
        if not others:
            return first
        listed = others[0] if len(others) == 1 else f"{', '.join(others[:-1])} and {others[-1]}"
        return f"{first}, with {listed}"


def parse_policy(value: object) -> PasswordPolicy | None:
    """The policy of a ``config.json``'s ``passwordPolicy``, or None when it is not one."""
    if not isinstance(value, dict):
        return None
    length = value.get("minimumLength")
    if not isinstance(length, int) or isinstance(length, bool) or length < 1:
        return None
    flags = [value.get(name) for name, _, _ in SWITCHES]
    if not all(isinstance(flag, bool) for flag in flags):
        return None
    return PasswordPolicy(length, tuple(name for name, _, _ in SWITCHES if value.get(name)))


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
    return parse_policy(config.get("passwordPolicy")) if isinstance(config, dict) else None


def pool_refusal(message: str) -> str:
    """The pool's InvalidPasswordException in words: the rule it names, if it names one."""
    lowered = message.lower()
    named = [words for clue, words in POOL_WORDS if clue in lowered]
    if named:
        return f"it needs {' and '.join(named)}, says the user pool"
    return "it does not follow the user pool's password rules, which the user pool does not name"
