"""Hashing of passwords and tokens, and encryption of secrets stored in the database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


def password_hasher(memory_kib: int, time_cost: int) -> PasswordHash:
    return PasswordHash((Argon2Hasher(memory_cost=memory_kib, time_cost=time_cost),))


def token_hash(token: str) -> str:
    """Tokens we mint carry 256 bits of randomness, so a fast hash is enough to make a leak useless."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    left = a.encode() if isinstance(a, str) else a
    right = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(left, right)


class SecretBox:
    """Fernet with a key derived from the installation's secret, for credentials kept at rest."""

    def __init__(self, master_key: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"frontdesk-secrets").derive(
            master_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with this installation's key") from exc
