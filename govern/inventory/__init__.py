"""The inventory: models, loading with positions, and (later) round-trip edits."""

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
