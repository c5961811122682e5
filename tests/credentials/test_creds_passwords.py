"""Generated passwords respect the platform's rules."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.credentials.passwords import DEFAULT_SYMBOLS, PasswordPolicy, generate_password
from govern.errors import UsageError


def test_default_is_24_characters_of_every_class() -> None:
    password = generate_password()
    assert len(password) == 24
    assert PasswordPolicy().violations(password) == []
    assert any(c in DEFAULT_SYMBOLS for c in password)
    assert len({generate_password() for _ in range(50)}) == 50


def test_platform_limits_clamp_the_length() -> None:
    assert len(generate_password(PasswordPolicy(min_length=8, max_length=20))) == 20
    assert len(generate_password(PasswordPolicy(min_length=32, max_length=64))) == 32
    assert len(generate_password(PasswordPolicy(), length=40)) == 40


def test_no_symbols_when_the_platform_allows_none() -> None:
    policy = PasswordPolicy(symbols=None)
    for _ in range(50):
        password = generate_password(policy)
        assert password.isalnum() and policy.violations(password) == []


@settings(max_examples=200, deadline=None)
@given(
    min_length=st.integers(4, 40),
    extra=st.integers(0, 40),
    symbols=st.one_of(st.none(), st.text(alphabet="!#$%&*+-=?@^_~", min_size=1, max_size=5)),
)
def test_generated_passwords_always_comply(
    min_length: int, extra: int, symbols: str | None
) -> None:
    policy = PasswordPolicy(min_length=min_length, max_length=min_length + extra, symbols=symbols)
    password = generate_password(policy)
    assert policy.violations(password) == []
    allowed = set(string.ascii_letters + string.digits + (symbols or ""))
    assert set(password) <= allowed


def test_violations_name_the_rule_not_the_password() -> None:
    policy = PasswordPolicy(min_length=12, max_length=16, symbols="!")
    problems = policy.violations("short pass")
    assert problems == [
        "shorter than 12 characters",
        "contains characters the platform does not accept",
        "needs an uppercase letter",
        "needs a digit",
        "needs a symbol",
    ]
    assert not any("short pass" in p for p in problems)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_length": 0},
        {"min_length": 10, "max_length": 5},
        {"symbols": "ab"},
        {"symbols": " !"},
        {"min_length": 1, "max_length": 3},
    ],
)
def test_impossible_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        PasswordPolicy(**kwargs)  # type: ignore[arg-type]
