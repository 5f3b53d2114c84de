"""Password hashing with Argon2id (memory-hard), off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 8


class Passwords:
    """Hash and verify passwords; parameters are argon2-cffi's RFC 9106 low-memory profile."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, stored, password)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify_dummy(self) -> None:
        """Spend the time a real verification takes, so unknown user names cannot be told
        apart from wrong passwords by timing."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("culturecast-dummy")
        await asyncio.to_thread(self._verify, self._dummy_hash, "not the password")
