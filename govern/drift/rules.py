"""The kinds of drift, by rule id: their descriptors live with every other rule in
`govern.rules.drift` (one registry); this module keeps the names drift code imports."""

from govern.rules.drift import *  # noqa: F403
from govern.rules.drift import __all__ as __all__
