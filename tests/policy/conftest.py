"""Fixtures shared by the policy tests: `org`, a directory with a clean inventory."""

from tests.cli.test_cli import org

__all__ = ["org"]
