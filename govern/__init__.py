"""govern: governance as code for an organization's social media accounts."""

# The single source of the version: pyproject.toml reads it (tool.setuptools.dynamic), so
# no command pays for importlib.metadata at start-up.
__version__ = "0.1.0"
