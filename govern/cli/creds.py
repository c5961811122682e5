"""`govern creds`, `govern login`, `govern store`: the credential commands.

Passwords never come from argv (shell history): a no-echo prompt on a terminal, or standard
input with --password-stdin, or --from-json. Secret values are printed only by
`creds show --reveal`; never in messages, errors or other JSON output.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from govern.cli._common import DEFAULT_INVENTORY, inventory_option, log_option, store_option
from govern.cli.main import ErrorBoundary
from govern.credentials import (
    CredentialMetadata,
    CredentialNotFound,
    CredentialStore,
    Secret,
    actor,
    format_time,
    open_store,
    validate_ref,
)
from govern.credentials.passwords import generate_password, password_policy_for
from govern.errors import StoreError, UsageError
from govern.platforms import Catalog
from govern.textsafe import printable

F = TypeVar("F", bound=Callable[..., Any])

MIN_PASSPHRASE = 12
FORMATS = click.Choice(["text", "json"])


class BoundaryGroup(ErrorBoundary, click.Group):
    pass


class BoundaryCommand(ErrorBoundary, click.Command):
    pass


# -- options and inputs -----------------------------------------------------------------------


def store_options(func: F) -> F:
    """--inventory (where the default credentials.enc lives; ACCOUNT must be declared there)
    and --store."""
    return inventory_option(store_option(func))


@dataclass
class Session:
    """What a command works with: the store and (when present) the inventory's accounts."""

    store: CredentialStore
    inventory: Path
    accounts: dict[str, dict[str, str]] | None  # None: no inventory file to check against
    env: Mapping[str, str]
    refs: dict[str, str] = field(default_factory=dict)  # account id -> credential ref
    catalog: Catalog | None = None

    def ref(self, account: str) -> str:
        """The store key of ACCOUNT's login: the inventory's `credential.ref`, else the id."""
        return self.refs.get(account, account)

    def account_meta(self, account: str) -> dict[str, str]:
        """entity/platform of a declared account; refuses accounts the inventory lacks."""
        validate_ref(account)
        if self.accounts is None:
            return {}
        if account not in self.accounts:
            raise UsageError(
                f"account {account!r} is not declared in {self.inventory}",
                hint="add it to the inventory first, or check the spelling",
            )
        return dict(self.accounts[account])


def _read_inventory(path: Path) -> tuple[dict[str, dict[str, str]], dict[str, str], Catalog]:
    """(account id -> {entity, platform}, account id -> credential ref, catalog) from the
    inventory, fully validated: a broken inventory is reported with positions (exit 2)."""
    from govern.cli._common import load

    loaded, policy = load(str(path), None)
    accounts = {
        a.id: {"entity": a.entity, "platform": a.platform} for a in loaded.inventory.accounts
    }
    refs = {a.id: a.credential_ref for a in loaded.inventory.accounts}
    return accounts, refs, policy.catalog


def open_session(store_spec: str | None, inventory: str | None) -> Session:
    path = Path(inventory or DEFAULT_INVENTORY)
    accounts: dict[str, dict[str, str]] | None = None
    refs: dict[str, str] = {}
    catalog: Catalog | None = None
    if path.exists():
        accounts, refs, catalog = _read_inventory(path)
    elif inventory is not None:
        raise UsageError(f"inventory {path} does not exist")
    env = os.environ
    store = open_store(store_spec, inventory_dir=path.absolute().parent, env=env)
    return Session(
        store=store, inventory=path, accounts=accounts, env=env, refs=refs, catalog=catalog
    )


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def read_stdin_secret(what: str) -> str:
    """A secret from standard input: the whole input less its trailing newline."""
    text = sys.stdin.read().rstrip("\r\n")
    if not text:
        raise UsageError(f"standard input is empty: expected the {what}")
    return text


def prompt_secret(label: str, *, confirm: bool, missing_hint: str) -> str:
    if not _stdin_is_tty():
        raise UsageError(f"no {label.lower()} given and no terminal to prompt", hint=missing_hint)
    value: str = click.prompt(label, hide_input=True, confirmation_prompt=confirm, err=True)
    if not value:
        raise UsageError(f"the {label.lower()} must not be empty")
    return value


def _parse_json_secret(text: str) -> dict[str, str]:
    try:
        doc = json.loads(text)
    except ValueError as exc:  # the message gives a position, never content
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "invalid JSON"
        raise UsageError(f"--from-json: not valid JSON ({msg})") from None
    if not isinstance(doc, dict):
        raise UsageError(
            "--from-json: expected a JSON object such as "
            '{"username": ..., "password": ..., "totp_seed": ..., "notes": ...}'
        )
    flat: dict[str, str] = {}
    nested = doc.pop("fields", {})
    if not isinstance(nested, dict):
        raise UsageError('--from-json: "fields" must be an object')
    for key, value in [*doc.items(), *nested.items()]:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "\n".join(value)  # e.g. recovery codes
        if not isinstance(value, str):
            raise UsageError(f"--from-json: {key!r} must be text")
        flat[str(key)] = value
    return flat


def _metadata_lines(store: CredentialStore, meta: CredentialMetadata) -> list[str]:
    rows = [
        ("account", meta.ref),
        ("store", store.describe()),
        ("version", f"{meta.current_version} ({meta.versions} kept)"),
        ("created", format_time(meta.created_at)),
        ("updated", format_time(meta.updated_at)),
        ("rotated by", meta.rotated_by or "(written outside govern)"),
        ("reason", meta.reason or "-"),
    ]
    rows += [(k, v) for k, v in sorted(meta.meta.items()) if k != "account"]
    return [f"{k + ':':<12} {printable(v)}" for k, v in rows]


# -- creds ------------------------------------------------------------------------------------


@click.group(cls=BoundaryGroup)
def creds() -> None:
    """Shared logins in the credential store (encrypted file or Vault/OpenBao).

    \b
    Examples:
      govern creds set chancery-x --username stbrendan      # prompts for the password
      printf '%s' "$PW" | govern creds set chancery-x --password-stdin
      govern creds show chancery-x                          # metadata only, no key needed
      govern creds rotate chancery-x --generate --reason "jdoe left"
      govern creds import logins.csv
    """


@creds.command("set", cls=BoundaryCommand)
@click.argument("account")
@click.option("--username", "-u", default=None, help="Login name (not secret).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--from-json",
    "from_json",
    type=click.File("r"),
    default=None,
    metavar="FILE",
    help="Read username, password and further fields from a JSON object ('-' for standard input).",
)
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="NAME",
    help="Also prompt (no echo) for this field, e.g. totp_seed, recovery_codes.",
)
@click.option("--reason", default="set", show_default=True, help="Why (kept in metadata).")
@store_options
def set_command(
    account: str,
    username: str | None,
    password_stdin: bool,
    from_json: Any,
    fields: tuple[str, ...],
    reason: str,
    store_spec: str | None,
    inventory: str | None,
) -> None:
    """Store a new version of ACCOUNT's login (password by prompt or standard input).

    The password never comes from the command line (shell history).

    \b
    Examples:
      govern creds set st-mary-x --username stmarysb          # no-echo prompt
      printf '%s' "$PW" | govern creds set st-mary-x --password-stdin
      govern creds set st-mary-x --field totp_seed            # also prompt for a TOTP seed
      govern creds set st-mary-x --from-json - < login.json
    """
    if password_stdin and from_json is not None and from_json.name == "<stdin>":
        raise UsageError("--password-stdin and --from-json - both read standard input")
    session = open_session(store_spec, inventory)
    meta = session.account_meta(account)
    values = _parse_json_secret(from_json.read()) if from_json is not None else {}
    if username is not None:
        values["username"] = username
    if password_stdin:
        if "password" in values:
            raise UsageError("the password is given twice (--password-stdin and --from-json)")
        values["password"] = read_stdin_secret("password")
    for name in fields:
        if name not in values:
            values[name] = prompt_secret(
                f"{name} for {account}", confirm=False, missing_hint="use --from-json"
            )
    if "password" not in values:
        values["password"] = prompt_secret(
            f"Password for {account}",
            confirm=True,
            missing_hint="use --password-stdin or --from-json",
        )
    secret = Secret.from_payload(values)
    stored = session.store.put(
        session.ref(account), secret, meta=meta, rotated_by=actor(session.env), reason=reason
    )
    click.echo(
        f"stored version {stored.current_version} of {account} in {session.store.describe()}"
    )


@creds.command("show", cls=BoundaryCommand)
@click.argument("account")
@click.option("--reveal", is_flag=True, help="Also print the secret (needs the key).")
@click.option(
    "--version",
    "version",
    type=click.IntRange(min=1),
    default=None,
    help="With --reveal: an older version (for recovery).",
)
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@store_options
def show_command(
    account: str,
    reveal: bool,
    version: int | None,
    fmt: str,
    store_spec: str | None,
    inventory: str | None,
) -> None:
    """ACCOUNT's credential metadata; the secret only with --reveal.

    \b
    Examples:
      govern creds show st-mary-x                 # versions, who rotated it and why
      govern creds show st-mary-x --reveal        # needs the key
      govern creds show st-mary-x --reveal --version 1 --format json
    """
    if version is not None and not reveal:
        raise UsageError("--version needs --reveal")
    session = open_session(store_spec, inventory)
    validate_ref(account)
    meta = session.store.metadata(session.ref(account))
    if meta is None:
        raise CredentialNotFound(
            f"no credential for {account!r} in {session.store.describe()}",
            hint=f"store one with `govern creds set {account}`",
        )
    secret = session.store.get(session.ref(account), version) if reveal else None
    if fmt == "json":
        doc: dict[str, Any] = {"store": session.store.describe(), **meta.to_json()}
        if secret is not None:
            doc["secret"] = {"version": version or meta.current_version, **secret.to_payload()}
        click.echo(json.dumps(doc, indent=2))
        return
    lines = _metadata_lines(session.store, meta)
    if secret is not None:
        lines.append(f"{'revealed:':<12} version {version or meta.current_version}")
        lines += [f"{k + ':':<12} {v}" for k, v in sorted(secret.to_payload().items())]
    click.echo("\n".join(lines))


@creds.command("rotate", cls=BoundaryCommand)
@click.argument("account")
@click.option(
    "--generate",
    is_flag=True,
    help="Generate a strong password within the platform's password rules.",
)
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@click.option(
    "--length",
    type=click.IntRange(min=8, max=256),
    default=None,
    help="With --generate: length (default 24, at least 16, within the platform's limits).",
)
@click.option(
    "--reason",
    default="rotation",
    show_default=True,
    help='Why (kept in metadata), e.g. "jdoe left".',
)
@store_options
def rotate_command(
    account: str,
    generate: bool,
    password_stdin: bool,
    length: int | None,
    reason: str,
    store_spec: str | None,
    inventory: str | None,
) -> None:
    """Store a new password for ACCOUNT and print the steps to change it on the platform.

    \b
    Examples:
      govern creds rotate st-mary-x --generate --reason "quarterly rotation"
      printf '%s' "$NEW" | govern creds rotate st-mary-x --password-stdin
    """
    if generate and password_stdin:
        raise UsageError("choose one of --generate and --password-stdin")
    session = open_session(store_spec, inventory)
    meta = session.account_meta(account)
    old_meta = session.store.metadata(session.ref(account))
    if old_meta is None:
        raise CredentialNotFound(
            f"no credential for {account!r} in {session.store.describe()}",
            hint=f"store the current login first with `govern creds set {account}`",
        )
    current = session.store.get(session.ref(account))
    merged = {k: v for k, v in old_meta.meta.items() if k != "account"} | meta
    platform = merged.get("platform")
    if generate:
        policy = password_policy_for(platform, session.catalog)
        note = policy.length_warning(length)
        if note:
            click.echo(f"warning: {note}", err=True)
        new_password = generate_password(policy, length)
    elif password_stdin:
        new_password = read_stdin_secret("new password")
    else:
        new_password = prompt_secret(
            f"New password for {account}",
            confirm=True,
            missing_hint="use --generate or --password-stdin",
        )
    if new_password == current.password:
        raise UsageError("the new password is the same as the current one; nothing was changed")
    stored = session.store.put(
        session.ref(account),
        current.replace_password(new_password),
        meta=merged,
        rotated_by=actor(session.env),
        reason=reason,
    )
    click.echo(rotation_steps(account, platform, stored.current_version, session.store.describe()))


def rotation_steps(account: str, platform: str | None, version: int, where: str) -> str:
    """What to do on the platform after a rotation (generic for now)."""
    site = platform or "the platform"
    previous = version - 1
    return "\n".join(
        [
            f"Stored the new password of {account} as version {version} in {where}; version "
            f"{previous} (the password in use until you change it) stays readable.",
            f"Now change it on {site}:",
            f"  1. Show the new password:      govern creds show {account} --reveal",
            f"  2. Sign in to {site} with the current one:",
            f"                                 govern creds show {account} --reveal "
            f"--version {previous}",
            "  3. In the account's security settings, change the password to the new one.",
            "  4. Sign out other sessions and check that two-step verification is still on.",
            "  5. Tell the people who use this login (see `govern who`) that it changed.",
            f"If the change on {site} fails, nothing else needs undoing: the old password is "
            f"version {previous}; run `govern creds rotate {account}` again when ready.",
        ]
    )


@creds.command("list", cls=BoundaryCommand)
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@store_options
def list_command(fmt: str, store_spec: str | None, inventory: str | None) -> None:
    """Every credential's metadata (no key needed, no secret shown).

    \b
    Examples:
      govern creds list
      govern creds list --format json --store vault
    """
    session = open_session(store_spec, inventory)
    items = session.store.list()
    warn_skipped(getattr(session.store, "skipped", []), session.store.describe())
    if fmt == "json":
        click.echo(
            json.dumps(
                {"store": session.store.describe(), "credentials": [m.to_json() for m in items]},
                indent=2,
            )
        )
        return
    if not items:
        click.echo(f"no credentials in {session.store.describe()}")
        return
    width = max(len("ACCOUNT"), *(len(m.ref) for m in items))
    click.echo(f"{'ACCOUNT':<{width}}  VERSION  UPDATED               ROTATED BY  REASON")
    for m in items:
        click.echo(
            f"{m.ref:<{width}}  {m.current_version:>7}  {format_time(m.updated_at):<20}"
            f"  {printable(m.rotated_by or '?'):<10}  {printable(m.reason or '-')}"
        )


def warn_skipped(keys: list[str], where: str) -> None:
    """One warning on stderr naming the keys of the store govern does not manage."""
    if keys:
        shown = ", ".join(repr(k) for k in keys[:10]) + (" ..." if len(keys) > 10 else "")
        click.echo(
            f"warning: skipped {len(keys)} key{'s' if len(keys) != 1 else ''} in {where} "
            f"that govern does not manage: {shown}",
            err=True,
        )


@creds.command("import", cls=BoundaryCommand)
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--replace",
    is_flag=True,
    help="Store a new version for accounts that already have a credential.",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid rows even if some are refused (default: all or nothing).",
)
@click.option("--reason", default=None, help="Why (kept in metadata)  [default: import from FILE]")
@store_options
def import_command(
    csv_file: Path,
    replace: bool,
    skip_invalid: bool,
    reason: str | None,
    store_spec: str | None,
    inventory: str | None,
) -> None:
    """Import logins from a spreadsheet export: columns account,username,password[,notes].

    Every row is checked first (account declared in the inventory, password present, no
    duplicates, not already stored); refused rows are listed with their line numbers and
    nothing is imported unless --skip-invalid.

    \b
    Examples:
      govern creds import logins.csv
      govern creds import logins.csv --skip-invalid && shred -u logins.csv
    """
    from govern.credentials.csvimport import import_rows, read_import

    session = open_session(store_spec, inventory)
    rows = read_import(
        csv_file,
        session,
        lambda: set() if replace else {m.ref for m in session.store.list()},
    )
    if rows.ignored:
        click.echo(f"note: ignored column(s) {', '.join(rows.ignored)}", err=True)
    for r in rows.refused:
        label = f" ({r.account})" if r.account else ""
        click.echo(f"{csv_file}:{r.line}: refused{label}: {r.why}", err=True)
    stored = import_rows(
        session.store,
        csv_file,
        rows,
        skip_invalid=skip_invalid,
        actor=actor(session.env),
        reason=reason,
    )
    click.echo(
        f"imported {stored} credential(s) into {session.store.describe()}"
        + (f"; refused {len(rows.refused)} row(s)" if rows.refused else "")
    )
    if stored:
        click.echo(f"{csv_file} holds passwords in clear text: delete it securely.", err=True)


# -- login and store --------------------------------------------------------------------------


@click.command("login", cls=BoundaryCommand)
@click.option("--address", metavar="URL", default=None, help="Vault address [default: $VAULT_ADDR]")
@click.option("--token-stdin", is_flag=True, help="Read the token from standard input.")
def login(address: str | None, token_stdin: bool) -> None:
    """Save a Vault/OpenBao token in the OS keyring (service govern) for later commands.

    \b
    Examples:
      govern login --address https://vault.example.org:8200   # no-echo prompt for the token
      bao print token | govern login --token-stdin
    """
    from govern.credentials.vaultstore import login as save_token

    env = os.environ
    token = (
        read_stdin_secret("token")
        if token_stdin
        else prompt_secret("Vault token", confirm=False, missing_hint="use --token-stdin")
    )
    where = save_token(env, token, addr=address)
    click.echo(f"saved the token for {where} in the OS keyring (service govern)")


@click.group("store", cls=BoundaryGroup)
def store() -> None:
    """Create and check the credential store."""


@store.command("init", cls=BoundaryCommand)
@click.option(
    "--keyring/--no-keyring",
    "use_keyring",
    default=False,
    help="File store: also keep the data key in the OS keyring (service govern).",
)
@click.option(
    "--create-mount/--no-create-mount",
    default=True,
    show_default=True,
    help="Vault store: create the KV v2 mount if it is missing.",
)
@store_options
def store_init(
    use_keyring: bool, create_mount: bool, store_spec: str | None, inventory: str | None
) -> None:
    """Create the store: the encrypted file (passphrase from GOVERN_PASSPHRASE or a prompt),
    or the Vault KV v2 mount.

    \b
    Examples:
      govern store init                          # credentials.enc beside inventory.yaml
      govern store init --keyring                # also keep the key in the OS keyring
      VAULT_ADDR=https://vault:8200 govern store init --store vault:govern
    """
    from govern.credentials.filestore import PASSPHRASE_ENV, FileStore
    from govern.credentials.vaultstore import VaultStore

    session = open_session(store_spec, inventory)
    target = session.store
    if isinstance(target, VaultStore):
        created = target.ensure_mount(create=create_mount)
        click.echo(("created" if created else "found") + f" {target.describe()}")
        return
    if not isinstance(target, FileStore):  # pragma: no cover - only two kinds today
        raise StoreError(f"cannot initialize {target.describe()}")
    if target.path.exists():
        raise StoreError(f"{target.path} already exists; nothing was changed")
    passphrase = session.env.get(PASSPHRASE_ENV) or None
    if passphrase is None and (_stdin_is_tty() or not use_keyring):
        passphrase = prompt_secret(
            "New passphrase", confirm=True, missing_hint=f"set {PASSPHRASE_ENV} or use --keyring"
        )
    if passphrase is not None and len(passphrase) < MIN_PASSPHRASE:
        raise UsageError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    FileStore.create(target.path, env=session.env, passphrase=passphrase, use_keyring=use_keyring)
    sources = [s for s, on in (("passphrase", passphrase), ("OS keyring", use_keyring)) if on]
    click.echo(f"created {target.describe()} (key: {' and '.join(sources)})")
    click.echo("It is safe to commit; keep the passphrase elsewhere (a password manager).")


@store.command("verify", cls=BoundaryCommand)
@store_options
def store_verify(store_spec: str | None, inventory: str | None) -> None:
    """Check the store with the key: file integrity, metadata signature and every version
    (file store), or access to every credential's metadata (Vault). With the key, it also
    prints the file store's public key for GOVERN_STORE_PUBLIC_KEY; without the key but with
    that variable, it checks the metadata signature only.

    \b
    Examples:
      GOVERN_PASSPHRASE=... govern store verify
      GOVERN_STORE_PUBLIC_KEY=ed25519:... govern store verify   # in CI, no secret
    """
    from govern.credentials.filestore import PASSPHRASE_ENV, PUBLIC_KEY_ENV, FileStore

    session = open_session(store_spec, inventory)
    target = session.store
    if not isinstance(target, FileStore):
        click.echo(f"ok: {len(target.list())} credential(s) in {target.describe()}")
        return
    if session.env.get(PUBLIC_KEY_ENV) and not session.env.get(PASSPHRASE_ENV):
        count = target.verify_metadata()
        click.echo(
            f"ok: {count} credential(s) in {target.describe()}; metadata signature "
            f"verified with {PUBLIC_KEY_ENV} (secrets not checked: no key)"
        )
        return
    count = target.verify()
    click.echo(f"ok: {count} credential(s) in {target.describe()}")
    click.echo(
        "Keyless readers (govern audit in CI) authenticate the metadata with this key; "
        "set it as a CI variable:"
    )
    click.echo(f"{PUBLIC_KEY_ENV}={target.public_key()}")


@store.command("migrate", cls=BoundaryCommand)
@click.option(
    "--to",
    "target_spec",
    metavar="SPEC",
    required=True,
    help="The store to copy into: vault, vault:MOUNT or file:PATH.",
)
@store_options
def store_migrate(target_spec: str, store_spec: str | None, inventory: str | None) -> None:
    """Copy every credential, with all its versions and metadata, into another store, and
    check the copy. No secret is printed. The source is left as it is: switch to the new
    store (GOVERN_STORE or --store), then remove the old one yourself.

    A Vault target's mount is created if missing; a file target must exist first
    (`govern store init --store file:PATH`). The target must not hold any of the
    credentials yet.

    \b
    Examples:
      VAULT_ADDR=https://vault:8200 govern store migrate --store file:credentials.enc --to vault
      govern store migrate --store vault:govern --to file:backup.enc
    """
    from govern.credentials.migrate import migrate, open_target

    session = open_session(store_spec, inventory)
    target = open_target(
        target_spec, inventory_dir=session.inventory.absolute().parent, env=session.env
    )
    copied = migrate(session.store, target, actor=actor(session.env), progress=click.echo)
    versions = sum(c.versions for c in copied)
    click.echo(
        f"ok: {len(copied)} credential(s), {versions} version(s) copied to "
        f"{target.describe()} and checked"
    )
    for c in copied:
        if c.missing:
            click.echo(
                f"note: {c.ref}: version(s) {', '.join(map(str, c.missing))} could not be read "
                "in the source (destroyed or deleted) and were not copied"
            )


@creds.command("confirm", cls=BoundaryCommand)
@click.argument("account")
@click.option(
    "--version",
    "version",
    type=int,
    default=None,
    help="The version whose change was made on the platform  [default: the current one]",
)
@log_option
@store_options
def creds_confirm(
    account: str,
    version: int | None,
    log_file: str | None,
    store_spec: str | None,
    inventory: str | None,
) -> None:
    """Record that the password change of ACCOUNT was done on the platform too: who
    (GOVERN_ACTOR, else the OS user) and when, in the audit log. Needs no key.

    `govern creds rotate` and `govern revoke` store a new password; until someone changes
    it on the platform, the old one still opens the account. This closes that step.

    \b
    Examples:
      govern creds confirm chancery-x
      GOVERN_ACTOR=it-hpatel govern creds confirm st-mary-x --version 3
    """
    from govern import auditlog
    from govern.cli._common import audit_log
    from govern.credentials.confirm import confirm_rotation

    session = open_session(store_spec, inventory)
    session.account_meta(account)
    who = actor(session.env)
    record = confirm_rotation(
        session.store,
        account,
        session.ref(account),
        version=version,
        log_path=audit_log(log_file, session.inventory),
        actor=who,
        key=auditlog.key_from_env(session.env),
    )
    number = record["details"]["version"]
    click.echo(
        f"recorded: version {number} of {account} is in use on the platform "
        f"(confirmed by {who}, log record {record['seq']})"
    )
