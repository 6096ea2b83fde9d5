"""Secrets the citizen or a shop holds: voucher codes, PINs, tokens, public ids.

Everything comes from `secrets`; nothing is derived from a row id or a timestamp, so
knowing one ticket or code tells nothing about the next. PINs are stored as argon2
hashes only; tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: codes are read aloud and typed from paper.
UNAMBIGUOUS = "ACDEFGHJKMNPQRTUVWXY34679"

_hasher = PasswordHasher()


def random_chars(length: int, alphabet: str = UNAMBIGUOUS) -> str:
    """`length` characters drawn uniformly from `alphabet` with the OS's CSPRNG."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_token() -> str:
    """An unguessable URL-safe token (192 bits) for tickets and merchant pages."""
    return secrets.token_urlsafe(24)


def new_public_id(prefix: str, length: int = 8) -> str:
    """A short id a person can read out (`T-7KXM4QPA`, `B-3MF9QX`)."""
    return f"{prefix}-{random_chars(length)}"


def hash_pin(pin: str) -> str:
    """The argon2 hash stored instead of the PIN."""
    return _hasher.hash(pin)


def verify_pin(pin_hash: str, pin: str) -> bool:
    """Whether `pin` matches; a corrupt hash counts as no match."""
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


def same_token(expected: str, given: str | None) -> bool:
    """Constant-time comparison so response times leak nothing about the token."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
