"""Polynomial hashing over GF(2^64): the universal hash of verification and authentication.

A message is cut into L little-endian 64-bit blocks m_1..m_L (zero-padded), followed by one
block holding its length in bits, and hashed by Horner's rule in GF(2^64) with the key k::

    h_k(m) = m_1 k^(L+1) + m_2 k^L + ... + m_L k^2 + len(m) k        (arithmetic in GF(2^64))

For two different messages the difference h_k(m) - h_k(m') is a non-zero polynomial in k of
degree at most L + 1 with no constant term, so for any fixed delta it has at most L + 1 roots:
over a uniform key, Pr[h_k(m) + h_k(m') = delta] <= (L + 1) / 2^64. The family is therefore
(L + 1)/2^64-almost-XOR-universal (Wegman & Carter, J. Comput. Syst. Sci. 22, 265 (1981),
Sec. 3; the polynomial construction as in den Boer 1993 and Bierbrauer et al. 1994), which is
what both error verification (delta = 0) and Wegman-Carter authentication need.

The field is GF(2)[x] / (x^64 + x^4 + x^3 + x + 1) (an irreducible pentanomial). Multiplication
by the fixed key uses eight 256-entry tables of k x^(8j) v, so one block costs eight lookups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "GF64_MODULUS_LOW",
    "collision_bound",
    "gf64_multiply_reference",
    "poly_hash",
    "poly_hash_parts",
    "poly_hash_reference",
]

GF64_MODULUS_LOW = 0x1B
"""x^4 + x^3 + x + 1: the low part of the modulus x^64 + x^4 + x^3 + x + 1."""

_MASK64 = (1 << 64) - 1


@numba.njit(cache=True)
def _tables(key: np.uint64) -> NDArray[np.uint64]:  # pragma: no cover - compiled
    powers = np.empty(64, dtype=np.uint64)
    value = key
    low = np.uint64(GF64_MODULUS_LOW)
    for i in range(64):
        powers[i] = value
        top = value >> np.uint64(63)
        value = (value << np.uint64(1)) ^ (low * top)
    tables = np.zeros((8, 256), dtype=np.uint64)
    for j in range(8):
        for v in range(1, 256):
            low_bit = v & -v
            bit = 0
            while (1 << bit) != low_bit:
                bit += 1
            tables[j, v] = tables[j, v ^ low_bit] ^ powers[8 * j + bit]
    return tables


@numba.njit(cache=True)
def _horner(
    words: NDArray[np.uint64], start: np.uint64, tables: NDArray[np.uint64]
) -> np.uint64:  # pragma: no cover - compiled
    byte = np.uint64(0xFF)
    h = np.uint64(start)
    for i in range(words.size):
        x = h ^ words[i]
        h = (
            tables[0, x & byte]
            ^ tables[1, (x >> np.uint64(8)) & byte]
            ^ tables[2, (x >> np.uint64(16)) & byte]
            ^ tables[3, (x >> np.uint64(24)) & byte]
            ^ tables[4, (x >> np.uint64(32)) & byte]
            ^ tables[5, (x >> np.uint64(40)) & byte]
            ^ tables[6, (x >> np.uint64(48)) & byte]
            ^ tables[7, x >> np.uint64(56)]
        )
    return h


def _as_bytes(message: bytes | NDArray[np.uint8]) -> NDArray[np.uint8]:
    data = np.frombuffer(message, dtype=np.uint8) if isinstance(message, bytes) else message
    return np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)


def _absorb(data: NDArray[np.uint8], h: np.uint64, tables: NDArray[np.uint64]) -> np.uint64:
    """Horner steps over ``data`` cut into little-endian 64-bit blocks, the last zero-padded
    (no copy of the whole message)."""
    full = data.size - data.size % 8
    if full:
        words = np.frombuffer(data[:full], dtype="<u8").astype(np.uint64, copy=False)
        h = np.uint64(_horner(words, h, tables))
    if full < data.size:
        tail = np.zeros(8, dtype=np.uint8)
        tail[: data.size - full] = data[full:]
        h = np.uint64(_horner(tail.view("<u8").astype(np.uint64, copy=False), h, tables))
    return h


def poly_hash_parts(parts: Sequence[bytes | NDArray[np.uint8]], key: int, bit_length: int) -> int:
    """h_k of the parts, each zero-padded to whole blocks, then a block holding ``bit_length``.

    The caller makes the encoding injective (e.g. a header that states its own length, and
    the payload's length in ``bit_length``); then it is a polynomial hash as in the module
    docstring, with L the total number of blocks of the parts.
    """
    tables = _tables(np.uint64(key & _MASK64))
    h = np.uint64(0)
    for part in parts:
        h = _absorb(_as_bytes(part), h, tables)
    return int(_horner(np.asarray([bit_length & _MASK64], dtype=np.uint64), h, tables))


def poly_hash(message: bytes | NDArray[np.uint8], key: int, bit_length: int | None = None) -> int:
    """h_k(message) in GF(2^64) (see the module docstring).

    Args:
        message: The bytes to hash (or a uint8 array, e.g. packed key bits).
        key: The 64-bit hash key k.
        bit_length: Length in bits to bind into the hash (default: 8 bits per byte); give
            the true length when the last byte holds padding bits.

    Returns:
        The 64-bit hash value.

    >>> poly_hash(b"abc", 3) == poly_hash_reference(b"abc", 3)
    True
    """
    data = _as_bytes(message)
    return poly_hash_parts([data], key, 8 * data.size if bit_length is None else bit_length)


def collision_bound(num_bytes: int) -> float:
    """(L + 1) / 2^64 for a message of ``num_bytes`` bytes (L = ceil(num_bytes / 8) blocks).

    >>> collision_bound(8) == 2 / 2**64
    True
    """
    return ((num_bytes + 7) // 8 + 1) / 2.0**64


def gf64_multiply_reference(a: int, b: int) -> int:
    """Product in GF(2^64) by schoolbook carry-less multiplication and reduction (pure Python,
    for tests).

    >>> gf64_multiply_reference(1 << 63, 2) == GF64_MODULUS_LOW
    True
    """
    product = 0
    for i in range(64):
        if (b >> i) & 1:
            product ^= a << i
    for i in range(127, 63, -1):
        if (product >> i) & 1:
            product ^= ((1 << 64) | GF64_MODULUS_LOW) << (i - 64)
    return product


def poly_hash_reference(message: bytes, key: int, bit_length: int | None = None) -> int:
    """:func:`poly_hash` written directly from the formula in pure Python (for tests)."""
    padded = message + bytes((-len(message)) % 8)
    blocks = [int.from_bytes(padded[i : i + 8], "little") for i in range(0, len(padded), 8)]
    blocks.append(8 * len(message) if bit_length is None else bit_length)
    h = 0
    for block in blocks:
        h = gf64_multiply_reference(h ^ block, key)
    return h
