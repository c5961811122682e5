"""Access enforcement in Vault/OpenBao: who may read each shared login, from the inventory.

    desired = desired_state(inventory, catalog, auth_mount="userpass", alias_field="id")
    client = connect(os.environ)                 # BackendUnavailable (exit 3) when it cannot
    plan = make_plan(desired, observe(client, auth_mount="userpass"))
    result = apply_plan(client, plan)            # errors collected, not raised

The model: an identity entity `govern-person-<id>` per person (disabled when departed), an
optional login alias on an auth mount, and for every account whose login is shared (or that
declares a credential) an ACL policy `govern-account-<id>` granting `read` on its KV v2 secret
and an internal group of the same name whose members are the account's readers (holders,
entity head, entity IT). Every object carries `managed-by: govern` (policies: a first line
`# managed-by: govern`); govern never changes or deletes an object it did not create, and
lists such conflicts in `Plan.foreign`.
"""

from govern.vault._apply import apply_plan
from govern.vault._desired import (
    AliasField,
    account_object_name,
    desired_state,
    entity_name,
    policy_hcl,
)
from govern.vault._observe import observe
from govern.vault._plan import make_plan
from govern.vault._types import (
    MANAGED_BY,
    POLICY_MARKER,
    PREFIX,
    ApplyResult,
    Change,
    DesiredState,
    EntitySpec,
    GroupSpec,
    ObservedState,
    Plan,
)
from govern.vault.client import VaultClient, connect

__all__ = [
    "MANAGED_BY",
    "POLICY_MARKER",
    "PREFIX",
    "AliasField",
    "ApplyResult",
    "Change",
    "DesiredState",
    "EntitySpec",
    "GroupSpec",
    "ObservedState",
    "Plan",
    "VaultClient",
    "account_object_name",
    "apply_plan",
    "connect",
    "desired_state",
    "entity_name",
    "make_plan",
    "observe",
    "policy_hcl",
]
