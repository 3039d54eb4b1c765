"""Deterministic bodies: the app streams them, the client checks them, nobody stores them.

A payload of ``size`` bytes is ``BLOCK`` repeated and cut at ``size``. Both the
app and the client generate it block by block, so a 50 MB body never sits in
memory on either side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Final

__all__ = ["BLOCK", "BLOCK_SIZE", "blocks", "sha256_of"]

BLOCK_SIZE: Final = 64 * 1024
#: Not a run of one byte value, so a dropped or repeated chunk changes the hash.
BLOCK: Final = bytes((i * 131 + (i >> 8) * 7 + 3) % 256 for i in range(BLOCK_SIZE))


def blocks(size: int, block_size: int = BLOCK_SIZE) -> Iterator[bytes]:
    """The payload of ``size`` bytes as chunks of at most ``block_size`` bytes."""
    if block_size > BLOCK_SIZE:
        raise ValueError(f"block_size={block_size} is over {BLOCK_SIZE}")
    offset = 0
    while offset < size:
        n = min(block_size, size - offset)
        start = offset % BLOCK_SIZE
        if start + n <= BLOCK_SIZE:
            yield BLOCK[start : start + n]
        else:
            yield BLOCK[start:] + BLOCK[: n - (BLOCK_SIZE - start)]
        offset += n


def sha256_of(size: int) -> str:
    """Hex SHA-256 of the payload of ``size`` bytes."""
    digest = hashlib.sha256()
    for chunk in blocks(size):
        digest.update(chunk)
    return digest.hexdigest()
