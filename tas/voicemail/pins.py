"""Mailbox PINs: the format rule and the key derivation (scrypt, RFC 7914).

A PIN is 4-8 decimal digits (:func:`check_pin`, the one rule for the phone menu and the CLI).
It is stored as ``scrypt$<log2 N>$<r>$<p>$<salt b64>$<key b64>`` (:func:`hash_pin`): a random
16-byte salt and scrypt with N=2^14, r=8, p=1 (16 MiB and some 50-200 ms of CPU), so a stolen
table costs an attacker that much per guess of each mailbox. :func:`pin_matches` recomputes
the key with the stored parameters and compares in constant time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

__all__ = ["PIN_MAX", "PIN_MIN", "check_pin", "hash_pin", "is_valid_pin", "pin_matches"]

PIN_MIN, PIN_MAX = 4, 8
_LOG2_N, _R, _P, _SALT, _KEY = 14, 8, 1, 16, 32
_MAX_LOG2_N = 20  # refuse a stored hash that would make one check cost more than 1 GiB


def is_valid_pin(pin: str) -> bool:
    """4-8 ASCII digits."""
    return PIN_MIN <= len(pin) <= PIN_MAX and pin.isascii() and pin.isdigit()


def check_pin(pin: str) -> str:
    """``pin`` when valid, else :class:`ValueError` saying what a PIN is."""
    if not is_valid_pin(pin):
        raise ValueError(f"a PIN has {PIN_MIN} to {PIN_MAX} digits (0-9)")
    return pin


def _scrypt(pin: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        pin.encode(),
        salt=salt,
        n=1 << log2_n,
        r=r,
        p=p,
        maxmem=(256 << log2_n) * r + (1 << 20),
        dklen=_KEY,
    )


def hash_pin(pin: str) -> str:
    """The stored form of a valid ``pin`` (a fresh salt each time)."""
    salt = os.urandom(_SALT)
    key = _scrypt(check_pin(pin), salt, _LOG2_N, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${_LOG2_N}${_R}${_P}${b64(salt).decode()}${b64(key).decode()}"


def pin_matches(pin: str, stored: str) -> bool:
    """Whether ``pin`` is the one ``stored`` was made from; a malformed ``stored`` never
    matches. An invalid ``pin`` is still hashed, so timing does not tell the two apart."""
    try:
        scheme, log2_n, r, p, salt, key = stored.split("$")
        params = int(log2_n), int(r), int(p)
        raw_salt, raw_key = base64.b64decode(salt), base64.b64decode(key)
    except ValueError:
        return False
    if scheme != "scrypt" or not (1 <= params[0] <= _MAX_LOG2_N and 1 <= params[1] <= 32
                                  and 1 <= params[2] <= 16):  # fmt: skip
        return False
    candidate = _scrypt(pin[: PIN_MAX * 2], raw_salt, *params)
    return hmac.compare_digest(candidate, raw_key) and is_valid_pin(pin)
