"""The inventory: models, loading with positions, and round-trip edits.

The names below load on first use (PEP 562): a module that needs only a light part of the
package (`refs`, `source`, `textdiff`) does not pay for building the pydantic models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govern.inventory.load import LoadedInventory, load_inventory
    from govern.inventory.model import (
        Account,
        Credential,
        Entity,
        Grant,
        Inventory,
        Organization,
        Person,
    )

__all__ = [
    "Account",
    "Credential",
    "Entity",
    "Grant",
    "Inventory",
    "LoadedInventory",
    "Organization",
    "Person",
    "load_inventory",
]

_HOME = {"LoadedInventory": "load", "load_inventory": "load"}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME.get(name, 'model')}"), name)
