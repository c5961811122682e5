"""credential-declared: shared logins declare a credential; no value of the inventory looks
like a secret, wherever it is (each place its own pointer), by the documented thresholds."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import BASE, at, brief, run_audit

TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
RULE = "credential-declared"


@pytest.mark.parametrize(
    ("old", "new", "line", "needle", "account", "person"),
    [
        ("name: Test Diocese", f"name: Test Diocese {TOKEN}", 3, "Test", None, None),
        ("name: Fr Head,", f"name: Fr Head {TOKEN},", 6, "Fr Head", None, "head"),
        ("level: A,", f"level: A, tags: [clergy, {TOKEN}],", 6, "ghp_", None, "head"),
        ("name: St Test Parish,", f"name: St Test Parish {TOKEN},", 11, "St Test", None, None),
        ("handle: sttest\n", f"handle: sttest-{TOKEN}\n", 16, "sttest", "fb", None),
        (
            "handle: sttest\n",
            f"handle: sttest\n    url: https://x.example/?t={TOKEN}\n",
            17,
            "https",
            "fb",
            None,
        ),
        (
            "handle: sttest\n",
            f"handle: sttest\n    tags: [parish, {TOKEN}]\n",
            17,
            "ghp_",
            "fb",
            None,
        ),
        ("{mfa: true,", f"{{mfa: true, ref: {TOKEN},", 36, "ghp_", "xacct", None),
        (
            "{person: mgr, role: editor}",
            f"{{person: mgr, role: editor, note: {TOKEN}}}",
            20,
            "ghp_",
            "fb",
            "mgr",
        ),
    ],
)
def test_a_secret_is_reported_where_it_is(
    tmp_path: Path,
    old: str,
    new: str,
    line: int,
    needle: str,
    account: str | None,
    person: str | None,
) -> None:
    text = BASE.replace(old, new, 1)
    findings = run_audit(tmp_path, text, rule=RULE)
    assert brief(findings) == [(RULE, *at(text, line, needle))]
    assert (findings[0].account, findings[0].person) == (account, person)
    assert findings[0].message == (
        "value looks like a secret (it contains an access token, key or URL with a password); "
        "remove it from the inventory and rotate it"
    )
    assert TOKEN not in findings[0].message


def test_a_shared_login_without_credential(tmp_path: Path) -> None:
    text = BASE.replace("    credential: {mfa: true, recovery_email: office@diocese.test}\n", "")
    findings = run_audit(tmp_path, text, rule=RULE)
    assert brief(findings) == [(RULE, *at(text, 29, "id: xacct"))]
    assert (
        findings[0].message
        == "X (Twitter) account uses a shared login, but the account declares no credential"
    )
    assert (findings[0].account, findings[0].entity) == ("xacct", "parish")


def note(value: str, policies: dict[str, str] | None = None, tmp_path: Path = Path()) -> list[str]:
    text = BASE.replace(
        "{person: mgr, role: editor}", f'{{person: mgr, role: editor, note: "{value}"}}'
    )
    return [f.message for f in run_audit(tmp_path, text, rule=RULE, policies=policies)]


RANDOM = "flagged: value looks like a secret (it contains a long random-looking string)"


def entropy(word: str) -> float:
    n = len(word)
    return -sum(c / n * math.log2(c / n) for c in Counter(word).values())


# Three character classes (lower, upper, digit), entropy well above 4 bits.
WORD_20 = "Kq7vRm2XpL9sTz4WbN8c"


@pytest.mark.parametrize(
    ("value", "flagged"),
    [
        (WORD_20, True),  # exactly min_length (20)
        (WORD_20[:19], False),  # one short
        ("kq7vrm2xpl9stz4wbn8cj5", False),  # two classes: lower and digits
        ("Kq7vRm2Xp/L9sTz4WbN8c", False),  # a path
        ("Kq7vRm2Xp@L9sTz4WbN8c", False),  # an address
        ("Kq7vRm2XpL9sTz4WbN8c-", True),  # four classes
    ],
)
def test_random_looking_words(tmp_path: Path, value: str, flagged: bool) -> None:
    assert entropy(WORD_20) > 4
    messages = note(value, tmp_path=tmp_path)
    assert bool(messages) is flagged, value
    if flagged:
        assert messages[0].startswith(RANDOM.removeprefix("flagged: "))


def test_the_entropy_threshold_is_inclusive(tmp_path: Path) -> None:
    # A word whose entropy is exactly min_entropy is flagged; a hair above it is not.
    exact = entropy(WORD_20)
    at_threshold = {"rules.yaml": f"rules:\n  {RULE}:\n    params: {{min_entropy: {exact!r}}}\n"}
    assert note(WORD_20, at_threshold, tmp_path)
    above = {"rules.yaml": f"rules:\n  {RULE}:\n    params: {{min_entropy: {exact + 1e-9!r}}}\n"}
    assert note(WORD_20, above, tmp_path) == []


def test_min_length(tmp_path: Path) -> None:
    longer = {"rules.yaml": f"rules:\n  {RULE}:\n    params: {{min_length: 21}}\n"}
    assert note(WORD_20, longer, tmp_path) == []
    # Shorter than the default 20: a 12-character random word is tested too.
    shorter = {
        "rules.yaml": f"rules:\n  {RULE}:\n    params: {{min_length: 12, min_entropy: 3.5}}\n"
    }
    assert note(WORD_20[:12], shorter, tmp_path)
    assert note(WORD_20[:11], shorter, tmp_path) == []


def test_a_stated_password(tmp_path: Path) -> None:
    assert note("the pw: hunter2", tmp_path=tmp_path) == [
        "value looks like a secret (it appears to state a password); remove it from the "
        "inventory and rotate it"
    ]
