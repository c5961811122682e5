"""The kinds of drift: one rule id each, with a default severity and an explanation.

Drift findings are findings like any other (`govern.findings.Finding`); these descriptors are
what reports carry about them (SARIF rule descriptors, `govern explain RULE`). The
first line of each explanation is its summary.
"""

from __future__ import annotations

from govern.findings import RuleInfo, Severity

UNEXPECTED_HOLDER = "drift-unexpected-holder"
MISSING_HOLDER = "drift-missing-holder"
ROLE_MISMATCH = "drift-role-mismatch"
UNKNOWN_ACCOUNT = "drift-unknown-account"
VAULT_MEMBERSHIP = "drift-vault-membership"
VAULT_POLICY = "drift-vault-policy"
VAULT_ENTITY = "drift-vault-entity"
MISSING_CREDENTIAL = "drift-missing-credential"
FOREIGN_OBJECT = "drift-foreign-object"
UNVERIFIABLE = "drift-unverifiable"
PENDING_INVITATION = "drift-pending-invitation"
HEAD_WITHOUT_ADMIN = "drift-head-without-admin"
DEPARTED_HOLDER = "drift-departed-holder"

_EXPLANATIONS: dict[str, tuple[Severity, str]] = {
    UNEXPECTED_HOLDER: (
        Severity.ERROR,
        """Someone holds a role on a platform that the inventory does not grant.

A snapshot of the platform's admin page lists a person (by person id or email) with a role on
an account, and the inventory has no current grant for that person on that account: a
volunteer who left but kept the page, a role added by hand, a grant that expired. This is the
dangerous kind of drift: access nobody reviewed. The finding points at the snapshot row.

Fix: remove the person on the platform, or declare the grant in inventory.yaml (reviewed in a
pull request). An email that matches nobody in `people` is reported as written.

Passes: the snapshot of st-mary-linkedin lists exactly the inventory's holders.
Fails: the snapshot lists old.volunteer@gmail.com as Super admin of st-mary-linkedin.""",
    ),
    MISSING_HOLDER: (
        Severity.WARNING,
        """A declared holder does not appear in the platform's snapshot.

The inventory grants a person a role on an account, and the snapshot of that account does
not list them: the invitation was never sent or accepted, or someone removed them by hand.
The finding points at the grant in the inventory. Accounts without any snapshot are not
observed and never produce this finding.

Fix: add the person on the platform (or have them accept the invitation), or remove the
grant from the inventory.""",
    ),
    ROLE_MISMATCH: (
        Severity.ERROR,
        """A holder's role on the platform differs from the declared role.

The snapshot lists a declared holder with another role than the inventory grants. It is an
error when the observed role is more privileged than the declared one (administrative where
the inventory says it is not, or able to remove more roles, like a YouTube Owner declared as
Manager), and a warning otherwise. Roles in snapshots are mapped to the inventory vocabulary
through the platform catalog's labels (LinkedIn "Super admin" is `admin`, YouTube "Manager"
is `admin`); see docs/snapshots.md. The finding points at the grant's role.

Fix: change the role on the platform, or the grant in the inventory.""",
    ),
    UNKNOWN_ACCOUNT: (
        Severity.WARNING,
        """A snapshot covers an account that the inventory does not declare.

A snapshot row names an account id, or a platform and handle, that matches no account in
inventory.yaml: an account nobody declared (so nobody governs it), a renamed handle, or a
typo. The finding points at the first snapshot row of that account.

Fix: declare the account in the inventory, or correct the snapshot.""",
    ),
    VAULT_MEMBERSHIP: (
        Severity.ERROR,
        """A govern group in Vault has other members than the inventory's holders.

Each shared-login account has one identity group whose members are the entities of the
people who may read its credential (holders, entity head, entity IT). A member added by hand
can read a credential the inventory does not grant (error); a member missing cannot read
one it does grant (warning). `govern plan` proposes the repair and `govern apply` makes it.""",
    ),
    VAULT_POLICY: (
        Severity.ERROR,
        """A govern ACL policy in Vault differs from what the inventory implies.

Each shared-login account has one policy granting `read` on its secret. A policy edited by
hand may grant more than that, or nothing; a missing policy locks the holders out. Repair
with `govern apply`.""",
    ),
    VAULT_ENTITY: (
        Severity.ERROR,
        """A person's identity entity (or its login alias) in Vault differs from the inventory.

The most serious case is an entity enabled again by hand for a person marked departed: their
login works again. Also reported: missing entities or aliases, changed metadata. Repair with
`govern apply`.""",
    ),
    MISSING_CREDENTIAL: (
        Severity.ERROR,
        """A shared-login account has no credential in the store.

The inventory declares a credential for the account, but the credential store (Vault) has
none under its reference: the password lives somewhere outside custody, or was deleted. Store
it with `govern creds set ACCOUNT`.""",
    ),
    FOREIGN_OBJECT: (
        Severity.WARNING,
        """Vault holds an object with govern's name prefix that govern did not create.

An entity, group or policy named like govern's own but without `managed-by: govern` metadata
(or a govern object no inventory entry explains). govern never changes or deletes objects it
did not create; someone must look at it and either remove it or rename it.""",
    ),
    UNVERIFIABLE: (
        Severity.WARNING,
        """An account could not be observed, so govern cannot say whether it drifted.

`govern drift --live` puts every account in one of three states: clean, drift or
unverifiable. An account is unverifiable when its platform has no admin API (YouTube, X,
Threads) and no snapshot covers it, when no token is configured for its platform, when the
platform refused the token or lacks permission, when the account was not found, or when its
`platform_id` is missing. The finding says which. Nothing is silently skipped: the coverage
line at the end of the report counts these accounts.

Fix: what the message says (set GOVERN_<PLATFORM>_TOKEN or `govern creds set
connector-<platform>`, add `platform_id`, export a snapshot for platforms without an API).""",
    ),
    PENDING_INVITATION: (
        Severity.INFO,
        """A platform shows an invitation that has not been accepted yet.

Pending invitations (GitHub organization invitations, Google Business Profile
`pendingInvitation`, LinkedIn REQUESTED) are not access: they are reported on their own and
never counted as holding a role. A declared holder whose invitation is pending is also
reported as missing until they accept.

Fix: have the person accept the invitation, or cancel it on the platform.""",
    ),
    HEAD_WITHOUT_ADMIN: (
        Severity.ERROR,
        """The entity head was observed on the platform without an administrative role.

The policy requires the head of the owning entity to keep Administrative Access to every
account. The inventory may say so, but the platform shows the head with a lesser role, or
not at all. This is observed access that breaks the policy, hence an error.

Fix: give the head an administrative role on the platform (Facebook full control, GitHub
owner, Google Business Profile owner).""",
    ),
    DEPARTED_HOLDER: (
        Severity.ERROR,
        """A person marked departed still holds access on the platform.

The inventory says the person left, and the platform still lists them with a role: the
volunteer who left still holds the page. Fix: `govern revoke PERSON` (it removes them
through the platform's API where one exists), or remove them on the platform by hand.""",
    ),
}

RULES: dict[str, RuleInfo] = {
    rule_id: RuleInfo(
        id=rule_id,
        severity=severity,
        summary=text.strip().splitlines()[0],
        explanation=text.strip(),
    )
    for rule_id, (severity, text) in _EXPLANATIONS.items()
}

__all__ = [
    "DEPARTED_HOLDER",
    "FOREIGN_OBJECT",
    "HEAD_WITHOUT_ADMIN",
    "MISSING_CREDENTIAL",
    "MISSING_HOLDER",
    "PENDING_INVITATION",
    "ROLE_MISMATCH",
    "RULES",
    "UNEXPECTED_HOLDER",
    "UNKNOWN_ACCOUNT",
    "UNVERIFIABLE",
    "VAULT_ENTITY",
    "VAULT_MEMBERSHIP",
    "VAULT_POLICY",
]
