"""govern: governance as code for an organization's social media accounts."""

# The single source of the version: pyproject.toml reads it (tool.setuptools.dynamic), so
# no command pays for importlib.metadata at start-up.
__version__ = "0.1.0"
# The distribution name (pip install govern-social): the name `govern` on PyPI belongs to an
# unrelated project. The command and the import package are `govern`.
DISTRIBUTION = "govern-social"
