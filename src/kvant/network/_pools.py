"""Per-link key pools holding real key bytes, and seeded link key streams.

A :class:`KeyPool` is what the key managers at the two ends of a link hold, identically: a
first-in first-out store of key blocks (packed ``uint8`` arrays, each with the id of the block
it came from, e.g. a post-processing ``KeyBlock``) with a capacity. Key that arrives at a full
pool is dropped and counted as overflow. Withdrawals take the oldest key first and report which
blocks (and byte ranges) the key came from.

A :class:`LinkKeyStream` stands in for a link's post-processed key when no real QKD pipeline
feeds the pool: bit ``i`` of the stream is the ``i``-th bit of key stored in that link's pool,
drawn from a counter-based generator (Philox) so any range can be produced on request without
generating what precedes it. The time-stepped simulation tracks pool *amounts*; with the
streams any relayed key can be materialised byte for byte afterwards.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError, NetworkError

__all__ = ["KeyMaterial", "KeyPool", "LinkKeyStream"]

Bytes = NDArray[np.uint8]


def as_key_bytes(key: bytes | bytearray | memoryview | NDArray[np.uint8]) -> Bytes:
    """Key material as a 1-D ``uint8`` array (a copy for bytes, a view of a 1-D array)."""
    if isinstance(key, bytes | bytearray | memoryview):
        return np.frombuffer(bytes(key), dtype=np.uint8).copy()
    arr = np.asarray(key)
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise ConfigError(f"key material must be bytes or a 1-D uint8 array, got {arr.dtype}")
    return arr


@dataclass(frozen=True)
class KeyMaterial:
    """Key withdrawn from a pool.

    Attributes:
        data: The key bytes (packed bits).
        sources: (block id, byte offset in the block, length) of each piece, oldest first.
    """

    data: Bytes
    sources: tuple[tuple[str, int, int], ...]

    def __len__(self) -> int:
        return int(self.data.size)


class KeyPool:
    """A bounded FIFO of key bytes with block ids, as held at both ends of one link.

    Args:
        capacity_bytes: Most key the pool holds.

    >>> pool = KeyPool(4)
    >>> pool.deposit("b0", bytes([1, 2, 3]))
    3
    >>> pool.deposit("b1", bytes([4, 5, 6]))   # only one byte fits
    1
    >>> got = pool.withdraw(2)
    >>> got.data.tolist(), got.sources, pool.level_bytes, pool.overflow_bytes
    ([1, 2], (('b0', 0, 2),), 2, 2)
    """

    def __init__(self, capacity_bytes: int) -> None:
        if not isinstance(capacity_bytes, int) or capacity_bytes < 1:
            raise ConfigError(f"capacity_bytes must be an int >= 1, got {capacity_bytes!r}")
        self.capacity_bytes = capacity_bytes
        self._blocks: deque[tuple[str, int, Bytes]] = deque()  # (id, offset used, bytes)
        self.level_bytes = 0
        self.deposited_bytes = 0
        self.overflow_bytes = 0
        self.withdrawn_bytes = 0
        self.discarded_bytes = 0

    def deposit(self, block_id: str, key: bytes | NDArray[np.uint8]) -> int:
        """Add a key block; what does not fit is dropped (overflow).

        Args:
            block_id: Id of the block (unique per link, e.g. a KeyBlock's id).
            key: The key bytes.

        Returns:
            Bytes stored.
        """
        data = as_key_bytes(key)
        room = self.capacity_bytes - self.level_bytes
        stored = min(room, int(data.size))
        self.deposited_bytes += int(data.size)
        self.overflow_bytes += int(data.size) - stored
        if stored:
            self._blocks.append((str(block_id), 0, data[:stored].copy()))
            self.level_bytes += stored
        return stored

    def withdraw(self, n_bytes: int) -> KeyMaterial:
        """Take the oldest ``n_bytes`` of key.

        Raises:
            NetworkError: if the pool holds fewer bytes.
        """
        if not isinstance(n_bytes, int) or n_bytes < 0:
            raise ConfigError(f"n_bytes must be an int >= 0, got {n_bytes!r}")
        if n_bytes > self.level_bytes:
            raise NetworkError(f"the pool holds {self.level_bytes} bytes; {n_bytes} were asked for")
        pieces, sources, need = [], [], n_bytes
        while need:
            block_id, offset, data = self._blocks[0]
            take = min(need, int(data.size) - offset)
            pieces.append(data[offset : offset + take])
            sources.append((block_id, offset, take))
            need -= take
            if offset + take == data.size:
                self._blocks.popleft()
            else:
                self._blocks[0] = (block_id, offset + take, data)
        self.level_bytes -= n_bytes
        self.withdrawn_bytes += n_bytes
        out = np.concatenate(pieces) if pieces else np.zeros(0, np.uint8)
        return KeyMaterial(out, tuple(sources))

    def discard(self) -> int:
        """Throw away all key held (e.g. after a node compromise); returns the bytes discarded."""
        gone = self.level_bytes
        self._blocks.clear()
        self.level_bytes = 0
        self.discarded_bytes += gone
        return gone


class LinkKeyStream:
    """The key stored in one link's pool, as a reproducible bit stream.

    Args:
        seed: Seed of the network's key material.
        link_index: Which link (streams of different links are independent).

    >>> stream = LinkKeyStream(1, 0)
    >>> whole = np.unpackbits(stream.bits(0, 64))
    >>> bool((np.unpackbits(stream.bits(3, 40))[:40] == whole[3:43]).all())
    True
    """

    def __init__(self, seed: int, link_index: int) -> None:
        if seed < 0 or link_index < 0:
            raise ConfigError("seed and link_index must be >= 0")
        self._key = (int(seed), int(link_index))

    def bits(self, start_bit: int, n_bits: int) -> Bytes:
        """Stream bits ``[start_bit, start_bit + n_bits)`` packed MSB first into bytes
        (the last byte zero-padded).

        Raises:
            ConfigError: for a negative start or length.
        """
        if start_bit < 0 or n_bits < 0:
            raise ConfigError("start_bit and n_bits must be >= 0")
        if n_bits == 0:
            return np.zeros(0, np.uint8)
        first_word, last_word = start_bit // 64, (start_bit + n_bits - 1) // 64
        gen = np.random.Philox(key=np.array(self._key, dtype=np.uint64))
        gen.advance(first_word // 4)  # Philox4x64 advances in blocks of 4 words
        skip = first_word % 4
        words = gen.random_raw(skip + last_word - first_word + 1)[skip:]
        stream = np.unpackbits(words.astype(">u8").view(np.uint8))
        lo = start_bit - first_word * 64
        return np.packbits(stream[lo : lo + n_bits])
