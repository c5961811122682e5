"""The OS keyring (Secret Service, macOS Keychain, Windows Credential Manager) for the few
secrets govern keeps there: the Vault token `govern login` saves, the file store's data key.
Never a secret in a message: failures name the backend's exception type only."""

from __future__ import annotations

from govern.errors import StoreError


def keyring_get(service: str, username: str) -> tuple[str | None, str]:
    """(value, why): the OS keyring entry, or None and a reason without any secret.

    Headless systems often have no backend (`NoKeyringError`); any backend failure (D-Bus,
    a locked keychain) counts as "not available" rather than a crash.
    """
    try:
        import keyring
        from keyring.errors import NoKeyringError
    except ImportError:
        return None, "the keyring package is not installed"
    try:
        value = keyring.get_password(service, username)
    except NoKeyringError:
        return None, "no OS keyring backend is available"
    except Exception as exc:  # any backend failure; the type name carries no secret
        return None, f"the OS keyring failed ({type(exc).__name__})"
    if value is None:
        return None, f"no entry for service {service!r}, user {username!r}"
    return str(value), "found"


def keyring_set(service: str, username: str, value: str) -> None:
    """Save a secret in the OS keyring, or raise `StoreError` saying why it cannot."""
    try:
        import keyring
        from keyring.errors import NoKeyringError

        keyring.set_password(service, username, value)
    except ImportError:
        raise StoreError("the keyring package is not installed") from None
    except NoKeyringError:
        raise StoreError(
            "no OS keyring backend is available",
            hint="install and unlock a keyring (Secret Service, macOS Keychain) "
            "or use an environment variable instead",
        ) from None
    except Exception as exc:  # any backend failure
        raise StoreError(f"the OS keyring failed ({type(exc).__name__})") from None
