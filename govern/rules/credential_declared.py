"""Shared logins are declared for custody, and no secret is written in the inventory.

Policy: login credentials must be secured against unauthorized access. Every account on a
shared-login platform (e.g. X) must declare a `credential` block, so that its password is
kept in the credential store (`govern creds set`). And the inventory, which is reviewed in
pull requests and lives in git, must contain no secret: no value may look like a password,
an access token (known prefixes such as `ghp_`, `xoxb-`, `EAA`, `AKIA`, `hvs.`), a private
key, a URL with an embedded password, or a long high-entropy string. The finding never
repeats the value.

Passes: an X account with `credential: {mfa: true, recovery_email: comms@diocese.org}`.
Fails: an X account without `credential`; a grant `note: "pw is Tr0ub4dor&3xK9q2LmZ7"`.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterator

from pydantic import Field

from govern.findings import Pointer, Severity, Violation
from govern.rules._base import Context, RuleParams, account_pointer

ID = "credential-declared"
SEVERITY = Severity.ERROR

# Each pattern starts with a literal, so `re` jumps from one occurrence of it to the next
# instead of trying the pattern at every character (one alternation of them all, or a
# case-insensitive pattern, is tried at every one: 30 times slower on 10,000 accounts).
_TOKENS = tuple(
    re.compile(pattern)
    for pattern in (
        r"gh[pousr]_[A-Za-z0-9]{20,}",
        r"github_pat_\w{20,}",
        r"xox[abposr]-[\w-]{10,}",
        r"EAA[A-Za-z0-9]{30,}",
        r"AKIA[0-9A-Z]{16}",
        r"AIza[\w-]{30,}",
        r"hv[sbr]\.[\w-]{20,}",
        r"sk-[A-Za-z0-9_-]{20,}",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    )
)
# A URL with a password (`scheme://user:password@`): found from its `://`; the scheme before
# it is checked by `_scheme_ends`.
_URL_PASSWORD = re.compile(r"://(?<=[a-z0-9+.-]://)[^/\s:@\x00]+:[^/\s@\x00]+@")
# `password is ...`, `PW: ...`: a word starting with p or P (not inside a longer word), the rest
# in any case.
_PASSWORD_WORDS = tuple(
    re.compile(rf"{p}(?<!\w{p})(?i:assword|asswd|wd|w|asscode|in)\b\s*(?i:is|=|:)\s*\S")
    for p in "pP"
)
_SCHEME = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")


def _scheme_ends(text: str, end: int) -> bool:
    """Whether a URL scheme (`[a-z][a-z0-9+.-]*`) ends at `end`: the run of scheme characters
    before it holds a lowercase letter."""
    start = end
    while start > 0 and text[start - 1] in _SCHEME:
        start -= 1
    return any("a" <= char <= "z" for char in text[start:end])


@functools.cache
def _candidate(min_length: int) -> re.Pattern[str]:
    """Words of at least `min_length` characters: those tested for entropy."""
    return re.compile(rf"[^\s\x00]{{{min_length},}}")


class Params(RuleParams):
    min_entropy: float = Field(
        default=4.0, ge=0, description="Bits per character above which a word looks random."
    )
    min_length: int = Field(default=20, ge=8, description="Shortest word tested for entropy.")


def _entropy(word: str) -> float:
    counts = Counter(word)
    n = len(word)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _random_looking(word: str, params: Params) -> bool:
    if len(word) < params.min_length or "/" in word or "@" in word:
        return False
    classes = sum(bool(re.search(p, word)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^\w]"))
    return classes >= 3 and _entropy(word) >= params.min_entropy


class _Joined:
    """Texts joined by NUL, so that one regex pass (C speed) covers them all. Which text a
    match is in is worked out only for the rare matches that count."""

    def __init__(self, texts: list[str], indices: list[int] | None = None) -> None:
        self._texts = texts
        self._indices = indices
        self.text = "\x00".join(texts if indices is None else [texts[i] for i in indices])
        self._starts: list[int] | None = None

    def owner(self, offset: int) -> int:
        """The index (in the list given) of the text at `offset` of the joined text."""
        if self._starts is None:
            texts, indices = self._texts, self._indices
            lengths = (
                (len(t) for t in texts) if indices is None else (len(texts[i]) for i in indices)
            )
            self._starts = list(itertools.accumulate((n + 1 for n in lengths), initial=0))
        n = bisect.bisect_right(self._starts, offset) - 1
        return n if self._indices is None else self._indices[n]


def secret_reasons(texts: list[str], params: Params) -> dict[int, str]:
    """index -> why texts[index] looks like a secret. The reasons never quote the text.

    A few regex passes over all values joined (C speed), instead of passes per value: an
    inventory of 10,000 accounts has some 50,000 free-text values."""
    reasons: dict[int, str] = {}
    # Only texts as long as the shortest word tested can hold one.
    long = _Joined(texts, [i for i, text in enumerate(texts) if len(text) >= params.min_length])
    for match in _candidate(params.min_length).finditer(long.text):
        if _random_looking(match.group(0), params):
            reasons[long.owner(match.start())] = "it contains a long random-looking string"
    every = _Joined(texts)
    for pattern in _PASSWORD_WORDS:
        for match in pattern.finditer(every.text):
            reasons[every.owner(match.start())] = "it appears to state a password"
    token = "it contains an access token, key or URL with a password"
    for pattern in _TOKENS:
        for match in pattern.finditer(every.text):
            reasons[every.owner(match.start())] = token
    for match in _URL_PASSWORD.finditer(every.text):
        if _scheme_ends(every.text, match.start()):
            reasons[every.owner(match.start())] = token
    return reasons


def _free_text(ctx: Context) -> Iterator[tuple[Pointer, str, str | None, str | None]]:
    """(pointer, text, account, person) for every free-text value of the inventory."""
    inventory = ctx.inventory
    yield ("organization", "name"), inventory.organization.name, None, None
    for i, person in enumerate(inventory.people):
        yield ("people", i, "name"), person.name, None, person.id
        for t, tag in enumerate(person.tags):
            yield ("people", i, "tags", t), tag, None, person.id
    for i, entity in enumerate(inventory.entities):
        yield ("entities", i, "name"), entity.name, None, None
    for i, account in enumerate(inventory.accounts):
        yield account_pointer(i, "handle"), account.handle, account.id, None
        if account.url:
            yield account_pointer(i, "url"), account.url, account.id, None
        for t, tag in enumerate(account.tags):
            yield account_pointer(i, "tags", t), tag, account.id, None
        if account.credential is not None and account.credential.ref:
            yield account_pointer(i, "credential", "ref"), account.credential.ref, account.id, None
        for g, grant in enumerate(account.access):
            if grant.note:
                yield account_pointer(i, "access", g, "note"), grant.note, account.id, grant.person


def _texts(ctx: Context) -> list[str]:
    """The values of `_free_text`, in the same order, without building a pointer for each
    (a clean inventory of 10,000 accounts has some 50,000 of them and no match)."""
    inventory = ctx.inventory
    texts = [inventory.organization.name]
    for person in inventory.people:
        texts.append(person.name)
        texts += person.tags
    texts += [entity.name for entity in inventory.entities]
    for account in inventory.accounts:
        texts.append(account.handle)
        if account.url:
            texts.append(account.url)
        texts += account.tags
        if account.credential is not None and account.credential.ref:
            texts.append(account.credential.ref)
        texts += [grant.note for grant in account.access if grant.note]
    return texts


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    for index, account in enumerate(ctx.inventory.accounts):
        platform = ctx.platform(account)
        if platform.shared and account.credential is None:
            yield Violation(
                f"{platform.name} uses a shared login, but the account declares no credential",
                account_pointer(index),
                account=account.id,
                entity=account.entity,
            )
    reasons = secret_reasons(_texts(ctx), params)
    if not reasons:
        return
    values = list(_free_text(ctx))
    for index in sorted(reasons):
        pointer, _, account_id, person_id = values[index]
        reason = reasons[index]
        if reason:
            yield Violation(
                f"value looks like a secret ({reason}); remove it from the inventory and rotate it",
                pointer,
                account=account_id,
                person=person_id,
            )
