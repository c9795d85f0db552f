"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from a configured secret."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hitl_service.config import Settings

_INFO = b"hitl-service workforce secrets v1"


class SecretBox:
    """Encrypts and decrypts the workforce's client secret; the key never leaves the process."""

    def __init__(self, secret: str):
        # HKDF turns any configured string into a 32-byte key; `info` keeps this key distinct from
        # anything else derived from the same secret (the Flask session key uses it directly)
        raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(raw))

    @classmethod
    def from_settings(cls, settings: Settings) -> "SecretBox":
        """HITL_WORKFORCE_SECRET_KEY when set, else a key derived from HITL_SECRET_KEY."""
        return cls(settings.workforce_secret_key or settings.secret_key)

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, token: str) -> str:
        """The plaintext; ValueError when the key changed since the secret was stored."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("stored client secret cannot be decrypted with the configured key") from None
