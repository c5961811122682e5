"""credential-declared: shared logins declare a credential; no value of the inventory looks
like a secret, wherever it is (each place its own pointer), by the documented thresholds."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import hypothesis
import hypothesis.strategies as st
import pytest

from govern.rules import credential_declared
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


# --- the fast scan against the plain definition -----------------------------------------------
# The rule's definition, one text at a time, as the rule was first written: a word of at least
# min_length characters that looks random, a password statement, a token or a URL with a
# password. The rule itself scans all texts at once with literal-anchored patterns.
_SPEC_TOKEN = re.compile(
    r"(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|xox[abposr]-[\w-]{10,}|EAA[A-Za-z0-9]{30,}"
    r"|AKIA[0-9A-Z]{16}|AIza[\w-]{30,}|hv[sbr]\.[\w-]{20,}|sk-[A-Za-z0-9_-]{20,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----|[a-z][a-z0-9+.-]*://[^/\s:@\x00]+:[^/\s@\x00]+@)"
)
_SPEC_PASSWORD = re.compile(r"(?i)\b(?:password|passwd|pwd|pw|passcode|pin)\b\s*(?:is|=|:)\s*\S")


def _spec_reasons(texts: list[str], params: credential_declared.Params) -> dict[int, str]:
    reasons: dict[int, str] = {}
    for index, text in enumerate(texts):
        for word in re.findall(rf"[^\s\x00]{{{params.min_length},}}", text):
            if credential_declared._random_looking(word, params):
                reasons[index] = "it contains a long random-looking string"
        if _SPEC_PASSWORD.search(text):
            reasons[index] = "it appears to state a password"
        if _SPEC_TOKEN.search(text):
            reasons[index] = "it contains an access token, key or URL with a password"
    return reasons


_PIECES = [
    "pw is x",
    "PASSWORD: y",
    "Pin=1",
    "apw: no",
    "passcode  is z",
    "PwD = q",
    "spin: a",
    "ghp_" + "a1B2" * 6,
    "github_pat_" + "x" * 22,
    "xoxb-1234567890",
    "EAA" + "Zz9" * 11,
    "AKIA" + "ABCD1234" * 2,
    "AIza" + "k-" * 16,
    "hvs." + "s" * 22,
    "sk-" + "Q_" * 11,
    "-----BEGIN RSA " + "PRIVATE KEY-----",  # split: no key-like text in the repository
    "https://u:p@h",
    "git+ssh://me:pw@host",
    "9://a:b@",
    "://a:b@",
    "HTTP://a:b@h",
    "x.y://a:b@",
    "Tr0ub4dor&3xK9q2LmZ7wq",
    "aB3$" * 6,
    "https://x.com/aB3$aB3$aB3$aB3$aB3$",
    "me@aB3$aB3$aB3$aB3$aB3$",
    " ",
    "\t",
    "\x00",
    "é",
    "\u017f",  # long s: equal to s when case is ignored
    "plain words",
    "https://u",
    "x:pw@host",
]


@hypothesis.given(
    texts=st.lists(
        st.lists(st.sampled_from(_PIECES), max_size=4).map("".join), min_size=1, max_size=6
    ),
    min_length=st.sampled_from([8, 12, 20]),
)
@hypothesis.settings(max_examples=400, deadline=None)
def test_scan_agrees_with_the_definition(texts: list[str], min_length: int) -> None:
    params = credential_declared.Params(min_length=min_length)
    assert credential_declared.secret_reasons(texts, params) == _spec_reasons(texts, params)


def test_a_url_password_is_not_pieced_together_from_two_values() -> None:
    """`https://user` in one value and `x:pw@host` in the next are two harmless values (the
    scan joins values with NUL and never matches across it)."""
    params = credential_declared.Params()
    assert credential_declared.secret_reasons(["see https://user", "x:pw@host"], params) == {}
    assert credential_declared.secret_reasons(["see https://user:pw@host"], params) != {}
