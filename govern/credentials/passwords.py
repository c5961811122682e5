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
# No generated password is shorter, whatever the policy pack or --length says, unless the
# platform itself (the built-in catalog) accepts no more.
MIN_GENERATED_LENGTH = 16
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
    floor: int = MIN_GENERATED_LENGTH  # the shortest password `generate_password` makes
    warning: str | None = None  # why the policy pack's rules were not followed

    def __post_init__(self) -> None:
        if self.min_length < 1:
            raise UsageError("password min_length must be at least 1")
        if self.max_length is not None and self.max_length < self.min_length:
            raise UsageError("password max_length is below min_length")
        if self.symbols is not None and not set(self.symbols) <= _ALLOWED_SYMBOLS:
            raise UsageError("password symbols must be ASCII punctuation (no spaces or letters)")
        if self.max_length is not None and self.max_length < len(self.required_classes()):
            raise UsageError(
                f"password max_length {self.max_length} is too short for the "
                f"{len(self.required_classes())} required character classes"
            )

    def classes(self) -> list[str]:
        """Every character class a password may draw from."""
        out = [string.ascii_lowercase, string.ascii_uppercase, string.digits]
        if self.symbols:
            out.append("".join(sorted(set(self.symbols))))
        return out

    def required_classes(self) -> list[str]:
        wanted = [
            (self.require_lower, string.ascii_lowercase),
            (self.require_upper, string.ascii_uppercase),
            (self.require_digit, string.digits),
            (self.require_symbol and bool(self.symbols), "".join(sorted(set(self.symbols or "")))),
        ]
        return [chars for required, chars in wanted if required]

    def length_for(self, wanted: int | None = None) -> int:
        """`wanted` (default 24) clamped to the policy's bounds, never below the floor."""
        length = max(wanted or DEFAULT_LENGTH, self.min_length, self.floor)
        return min(length, self.max_length) if self.max_length is not None else length

    def length_warning(self, wanted: int | None) -> str | None:
        """What to tell the user when the generated length differs from what was asked."""
        notes = [self.warning] if self.warning else []
        if wanted is not None and wanted < self.floor:
            notes.append(
                f"--length {wanted} is below the floor of {self.floor} characters for "
                f"generated passwords; using {self.length_for(wanted)}"
            )
        return "; ".join(notes) or None

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
        names = {
            string.ascii_lowercase: "a lowercase letter",
            string.ascii_uppercase: "an uppercase letter",
            string.digits: "a digit",
        }
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
    # The platform's real maximum comes from the built-in catalog; a policy pack may only
    # lower it for a platform govern does not know.
    builtin = builtin_catalog().get(platform or "")
    known = builtin.password if builtin is not None else None
    platform_max = known.max_length if known is not None else rules.max_length
    floor = min(MIN_GENERATED_LENGTH, platform_max)
    max_length, warning = rules.max_length, None
    if max_length < floor:
        warning = (
            f"the policy pack sets password max_length {max_length} for {platform}, below the "
            f"floor of {floor} characters for generated passwords; generating {floor} or more "
            f"(the platform accepts up to {platform_max})"
        )
        max_length = platform_max
    elif floor < MIN_GENERATED_LENGTH:
        warning = (
            f"{platform} accepts passwords of at most {floor} characters: generated passwords "
            f"are shorter than {MIN_GENERATED_LENGTH}"
        )
    return PasswordPolicy(
        min_length=min(rules.min_length, max_length),
        max_length=max_length,
        symbols=rules.symbols,
        floor=floor,
        warning=warning,
    )
