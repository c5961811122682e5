"""Strong generated passwords that respect a platform's password rules.

The platform catalog carries `password: {min_length, max_length, symbols}` per platform and
hands a `PasswordPolicy` to `generate_password`. Randomness comes from `secrets` only.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from govern.errors import UsageError
from govern.platforms import Catalog, builtin_catalog

DEFAULT_LENGTH = 24
# Printable ASCII punctuation most sign-up forms accept; no quotes, backslash or space.
DEFAULT_SYMBOLS = "!#$%&()*+,-./:;<=>?@[]^_{|}~"
_ALLOWED_SYMBOLS = frozenset(string.punctuation)


@dataclass(frozen=True)
class PasswordPolicy:
    """What a platform accepts. `symbols` is the allowed symbol set (None: no symbols)."""

    min_length: int = 12
    max_length: int | None = 128
    symbols: str | None = DEFAULT_SYMBOLS
    require_lower: bool = True
    require_upper: bool = True
    require_digit: bool = True
    require_symbol: bool = True  # only when `symbols` is not None/empty

    def __post_init__(self) -> None:
        if self.min_length < 1:
            raise UsageError("password min_length must be at least 1")
        if self.max_length is not None and self.max_length < self.min_length:
            raise UsageError("password max_length is below min_length")
        if self.symbols is not None and not set(self.symbols) <= _ALLOWED_SYMBOLS:
            raise UsageError("password symbols must be ASCII punctuation (no spaces or letters)")
        if self.max_length is not None and self.max_length < len(self.required_classes()):
            raise UsageError(f"password max_length {self.max_length} is too short for the "
                             f"{len(self.required_classes())} required character classes")

    def classes(self) -> list[str]:
        """Every character class a password may draw from."""
        out = [string.ascii_lowercase, string.ascii_uppercase, string.digits]
        if self.symbols:
            out.append("".join(sorted(set(self.symbols))))
        return out

    def required_classes(self) -> list[str]:
        wanted = [(self.require_lower, string.ascii_lowercase),
                  (self.require_upper, string.ascii_uppercase),
                  (self.require_digit, string.digits),
                  (self.require_symbol and bool(self.symbols),
                   "".join(sorted(set(self.symbols or ""))))]
        return [chars for required, chars in wanted if required]

    def length_for(self, wanted: int | None = None) -> int:
        """`wanted` (default 24) clamped to the policy's bounds."""
        length = max(wanted or DEFAULT_LENGTH, self.min_length)
        return min(length, self.max_length) if self.max_length is not None else length

    def violations(self, password: str) -> list[str]:
        """Why `password` breaks the policy (never echoing it); empty when it complies."""
        problems: list[str] = []
        if len(password) < self.min_length:
            problems.append(f"shorter than {self.min_length} characters")
        if self.max_length is not None and len(password) > self.max_length:
            problems.append(f"longer than {self.max_length} characters")
        allowed = set("".join(self.classes()))
        if any(c not in allowed for c in password):
            problems.append("contains characters the platform does not accept")
        names = {string.ascii_lowercase: "a lowercase letter",
                 string.ascii_uppercase: "an uppercase letter", string.digits: "a digit"}
        for chars in self.required_classes():
            if not any(c in chars for c in password):
                problems.append(f"needs {names.get(chars, 'a symbol')}")
        return problems


def generate_password(policy: PasswordPolicy | None = None, length: int | None = None) -> str:
    """A random password: one character of each required class, the rest from all classes,
    shuffled with a CSPRNG."""
    policy = policy or PasswordPolicy()
    size = policy.length_for(length)
    alphabet = "".join(policy.classes())
    chars = [secrets.choice(chars) for chars in policy.required_classes()]
    chars += [secrets.choice(alphabet) for _ in range(size - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def password_policy_for(platform: str | None, catalog: Catalog | None = None) -> PasswordPolicy:
    """The platform's password rules from the catalog (`password:`), else the defaults."""
    spec = (catalog or builtin_catalog()).get(platform or "")
    rules = spec.password if spec is not None else None
    if rules is None:
        return PasswordPolicy()
    return PasswordPolicy(
        min_length=rules.min_length, max_length=rules.max_length, symbols=rules.symbols
    )
