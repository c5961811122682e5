"""govern: governance as code for an organization's social media accounts."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("govern")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
