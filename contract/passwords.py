"""The user pool's password rules, defined once: what a new password must hold, and the words that say it.

``POOL_POLICY`` is the policy of every stage's pool: the deploy description makes the pool's
``PasswordPolicy`` of it (``cognito()``) and the web app's ``config.json`` publishes it
(``config()``). A client reads it back where it can: the CLI from that ``config.json``
(``from_config``: a public app client may not read the pool), the local sign-in page from the pool
it serves (``from_cognito``). Each then checks a password and says the rules with ``rules()``:

- ``listed``, as a list under a password field shows a rule: "A symbol, such as ! ? # - or _";
- ``brief``, as a sentence naming several rules says it: "a symbol";
- ``explained``, said alone, with its example: "a symbol (such as ! ? # - or _)".

A symbol is one of the characters Cognito counts as symbols (``SYMBOLS``), letters and digits are
those of the basic Latin alphabet, and the length counts characters, as Cognito checks them.

Part of ``contract``: it imports nothing of the product's.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

# The characters Cognito counts as symbols (the space among them).
SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
# Cognito's defaults, for what a pool's PasswordPolicy leaves out.
DEFAULT_MINIMUM_LENGTH = 8


@dataclass(frozen=True)
class Switch:
    """A rule a policy switches on or off: the kind of character it needs, and its words."""

    name: str  # the policy's field; Cognito's name is it in CamelCase ("require_symbols": RequireSymbols)
    brief: str
    characters: frozenset[str]
    example: str = ""  # what a character of the kind looks like, when its name does not tell
    short: str = ""  # one word, as make run's banner lists the rules

    @property
    def cognito_name(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def config_name(self) -> str:
        return self.cognito_name[0].lower() + self.cognito_name[1:]


# In the order the pool checks them (after the length).
SWITCHES = (
    Switch("require_uppercase", "an upper-case letter", frozenset(string.ascii_uppercase), short="upper"),
    Switch("require_lowercase", "a lower-case letter", frozenset(string.ascii_lowercase), short="lower"),
    Switch("require_numbers", "a digit", frozenset(string.digits), short="digit"),
    Switch("require_symbols", "a symbol", SYMBOLS, "such as ! ? # - or _", short="symbol"),
)


@dataclass(frozen=True)
class Rule:
    """One rule of a policy: what a password must hold, and its words."""

    brief: str
    example: str = ""
    length: int = 0  # the fewest characters, or
    characters: frozenset[str] = frozenset()  # one of them at least

    @property
    def listed(self) -> str:
        capitalised = self.brief[:1].upper() + self.brief[1:]
        return f"{capitalised}, {self.example}" if self.example else capitalised

    @property
    def explained(self) -> str:
        return f"{self.brief} ({self.example})" if self.example else self.brief

    def met(self, password: str) -> bool:
        if self.characters:
            return any(character in self.characters for character in password)
        return len(password) >= self.length


@dataclass(frozen=True)
class PasswordPolicy:
    """The rules a new password must follow: a length, and which kinds of character it needs."""

    minimum_length: int = DEFAULT_MINIMUM_LENGTH
    require_uppercase: bool = True
    require_lowercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True

    def rules(self) -> list[Rule]:
        """Each rule, in the order the pool checks them: the length first."""
        length = self.minimum_length
        characters = f"{length} character{'' if length == 1 else 's'}"
        found = [Rule(f"at least {characters}", length=length)]
        for switch in SWITCHES:
            if getattr(self, switch.name):
                found.append(Rule(switch.brief, switch.example, characters=switch.characters))
        return found

    def missing(self, password: str) -> list[Rule]:
        """The rules ``password`` does not follow, in order; [] when it follows them all."""
        return [rule for rule in self.rules() if not rule.met(password)]

    def sentence(self, *, explained: bool = False) -> str:
        """Every rule in one phrase: "at least 12 characters, with an upper-case letter, … and a symbol"
        (``explained``: each with its example)."""
        first, *others = [rule.explained if explained else rule.brief for rule in self.rules()]
        return f"{first}, with {listing(others)}" if others else first

    def abbreviated(self) -> str:
        """The rules in a few words: "12+ chars, upper, lower, digit, symbol"."""
        wanted = [switch.short for switch in SWITCHES if getattr(self, switch.name)]
        return ", ".join([f"{self.minimum_length}+ chars", *wanted])

    def cognito(self) -> dict[str, int | bool]:
        """The policy as a user pool's ``PasswordPolicy`` names it (``MinimumLength``, ``Require…``)."""
        return {
            "MinimumLength": self.minimum_length,
            **{switch.cognito_name: bool(getattr(self, switch.name)) for switch in SWITCHES},
        }

    def config(self) -> dict[str, int | bool]:
        """The policy as the web app's ``config.json`` publishes it (``passwordPolicy``)."""
        return {
            "minimumLength": self.minimum_length,
            **{switch.config_name: bool(getattr(self, switch.name)) for switch in SWITCHES},
        }

    @classmethod
    def from_cognito(cls, policy: Mapping[str, object]) -> PasswordPolicy:
        """The policy of a pool's ``PasswordPolicy``, Cognito's defaults for what it leaves out."""
        length = policy.get("MinimumLength")
        return cls(
            length if isinstance(length, int) else DEFAULT_MINIMUM_LENGTH,
            **{switch.name: bool(policy.get(switch.cognito_name, True)) for switch in SWITCHES},
        )

    @classmethod
    def from_config(cls, value: object) -> PasswordPolicy | None:
        """The policy of a ``config.json``'s ``passwordPolicy``, or None when it is not one."""
        if not isinstance(value, dict):
            return None
        length = value.get("minimumLength")
        if not isinstance(length, int) or isinstance(length, bool) or length < 1:
            return None
        flags = {switch.name: value.get(switch.config_name) for switch in SWITCHES}
        if not all(isinstance(flag, bool) for flag in flags.values()):
            return None
        return cls(length, **{name: bool(flag) for name, flag in flags.items()})


def listing(parts: list[str]) -> str:
    """Words joined as a sentence lists them: "a", "a and b", "a, b and c"."""
    return "".join(parts) if len(parts) <= 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


# The policy of every stage's pool (infra/description/ creates the pool with it).
POOL_POLICY = PasswordPolicy(
    minimum_length=12,
    require_uppercase=True,
    require_lowercase=True,
    require_numbers=True,
    require_symbols=True,
)
