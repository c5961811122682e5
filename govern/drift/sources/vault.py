"""Vault as a source of observed state (placeholder until `govern.vault` offers its API)."""

from __future__ import annotations

from collections.abc import Mapping

from govern.drift.compare import Drift
from govern.errors import UsageError
from govern.inventory.load import LoadedInventory
from govern.platforms import Catalog


def vault_drift(
    loaded: LoadedInventory, catalog: Catalog, *, env: Mapping[str, str]
) -> list[Drift]:
    raise UsageError(
        "Vault drift is not available in this version of govern",
        hint="run with --no-vault to compare snapshot files only",
    )
