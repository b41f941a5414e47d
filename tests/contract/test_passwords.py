"""The product's one definition of the password rules: what the pool is created with, what the web
app publishes, what the CLI and the sign-in page check and say."""

from __future__ import annotations

import pytest

from contract.passwords import POOL_POLICY, SYMBOLS, PasswordPolicy, listing
from infra import description

STRONG = "Correct-horse-7"


def test_the_pool_the_web_app_and_the_banner_have_the_one_policy() -> None:
    assert description.PASSWORD_POLICY == {
        "MinimumLength": 12,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 7,
    }
    assert description.user_pool("test")["Policies"]["PasswordPolicy"] == description.PASSWORD_POLICY
    published = description.client_rules(1)["passwordPolicy"]
    assert PasswordPolicy.from_config(published) == POOL_POLICY
    assert PasswordPolicy.from_cognito(description.PASSWORD_POLICY) == POOL_POLICY
    assert description.password_rules_text() == "12+ chars, upper, lower, digit, symbol"


def test_each_rule_in_its_three_wordings() -> None:
    rules = POOL_POLICY.rules()
    assert [rule.listed for rule in rules] == [
        "At least 12 characters",
        "An upper-case letter",
        "A lower-case letter",
        "A digit",
        "A symbol, such as ! ? # - or _",
    ]
    assert [rule.brief for rule in rules][-1] == "a symbol"
    assert [rule.explained for rule in rules][-1] == "a symbol (such as ! ? # - or _)"
    assert POOL_POLICY.sentence() == (
        "at least 12 characters, with an upper-case letter, a lower-case letter, a digit and a symbol"
    )
    assert POOL_POLICY.sentence(explained=True).endswith("a digit and a symbol (such as ! ? # - or _)")
    assert PasswordPolicy(1, False, False, False, False).sentence() == "at least 1 character"


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        (STRONG, []),
        ("short1!", ["at least 12 characters", "an upper-case letter"]),
        ("longenoughbutplain", ["an upper-case letter", "a digit", "a symbol"]),
        ("LONGENOUGH 1 SPACE", ["a lower-case letter"]),  # the space is one of Cognito's symbols
        ("Longenough1é€", ["a symbol"]),  # letters and signs outside Cognito's symbols are not
        ("Longenough١!", ["a digit"]),  # a digit of another script is not one either
    ],
)
def test_a_password_misses_the_rules_cognito_would_refuse_it_for(password: str, missing: list[str]) -> None:
    assert [rule.brief for rule in POOL_POLICY.missing(password)] == missing


def test_only_the_rules_a_policy_switches_on_are_asked() -> None:
    relaxed = PasswordPolicy(minimum_length=6, require_numbers=False, require_symbols=False)
    assert [rule.brief for rule in relaxed.rules()] == [
        "at least 6 characters",
        "an upper-case letter",
        "a lower-case letter",
    ]
    assert relaxed.missing("Abcdef") == []
    assert relaxed.abbreviated() == "6+ chars, upper, lower"
    assert relaxed.cognito() == {
        "MinimumLength": 6,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": False,
        "RequireSymbols": False,
    }
    assert PasswordPolicy.from_config(relaxed.config()) == relaxed


def test_a_pools_policy_leaving_rules_out_has_cognitos_defaults() -> None:
    assert PasswordPolicy.from_cognito({}) == PasswordPolicy(8, True, True, True, True)
    assert PasswordPolicy.from_cognito({"MinimumLength": 10, "RequireSymbols": False}) == PasswordPolicy(
        10, True, True, True, False
    )


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        {},
        {**POOL_POLICY.config(), "minimumLength": 0},
        {**POOL_POLICY.config(), "minimumLength": True},
        {**POOL_POLICY.config(), "minimumLength": "12"},
        {**POOL_POLICY.config(), "requireSymbols": "yes"},
        {key: value for key, value in POOL_POLICY.config().items() if key != "requireNumbers"},
    ],
)
def test_a_published_policy_that_is_not_one_is_none(value: object) -> None:
    assert PasswordPolicy.from_config(value) is None


def test_cognitos_symbols_and_the_words_of_a_list() -> None:
    assert set("!?#-_ ") <= SYMBOLS and not set("é€a1") & SYMBOLS
    assert [listing([]), listing(["a"]), listing(["a", "b"]), listing(["a", "b", "c"])] == [
        "",
        "a",
        "a and b",
        "a, b and c",
    ]
