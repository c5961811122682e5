"""The form of a credential store key (`credential.ref` in the inventory).

A file key and one Vault path segment: no slash, no leading dot, no glob. The inventory
model and the stores check the same pattern, so `govern validate` refuses what a store
would. It lives here, not in `govern.credentials`, so that loading an inventory does not
import the stores.
"""

REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
