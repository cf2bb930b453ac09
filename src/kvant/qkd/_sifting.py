"""Sifting: keep the detections where Alice and Bob used the same basis.

Bob announces which pulses he detected and his basis for each; Alice answers with her basis
and, for the decoy protocols, the intensity of each of those pulses (Bennett & Brassard 1984;
decoy announcement as in Lo, Ma & Chen, PRL 94, 230504 (2005)). Neither message depends on a
key bit, so sifting discloses nothing. Detections in the key basis (Z, basis 0) of every
intensity form the sifted key; those in the test basis (X) are kept apart for estimation, as
in Lim et al., PRA 89, 022307 (2014).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError
from kvant.qkd._classical import ClassicalChannel
from kvant.qkd._detections import Detections

__all__ = ["SiftedKey", "sift"]

_ARRAYS = ("alice_key", "bob_key", "key_intensity", "alice_test", "bob_test", "test_intensity")


@dataclass(frozen=True, eq=False)
class SiftedKey:
    """The sifted bits of a block, one bit per element (uint8 0/1).

    Attributes:
        alice_key: Alice's key-basis (Z) bits.
        bob_key: Bob's key-basis bits.
        key_intensity: Intensity index of each key bit.
        alice_test: Alice's test-basis (X) bits.
        bob_test: Bob's test-basis bits.
        test_intensity: Intensity index of each test bit.
        num_pulses: Pulses sent in the block.
        sent_per_intensity: Pulses of each intensity sent.
    """

    alice_key: NDArray[np.uint8]
    bob_key: NDArray[np.uint8]
    key_intensity: NDArray[np.uint8]
    alice_test: NDArray[np.uint8]
    bob_test: NDArray[np.uint8]
    test_intensity: NDArray[np.uint8]
    num_pulses: int
    sent_per_intensity: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.alice_key.size == self.bob_key.size == self.key_intensity.size:
            raise ConfigError("key arrays must have one entry per sifted key bit")
        if not self.alice_test.size == self.bob_test.size == self.test_intensity.size:
            raise ConfigError("test arrays must have one entry per sifted test bit")

    @property
    def key_bits(self) -> int:
        """Sifted key length."""
        return int(self.alice_key.size)

    @property
    def test_bits(self) -> int:
        """Sifted test-basis detections."""
        return int(self.alice_test.size)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (arrays as base64); inverse of :meth:`from_dict`."""
        out: dict[str, Any] = {
            name: base64.b64encode(getattr(self, name).tobytes()).decode() for name in _ARRAYS
        }
        out["num_pulses"] = self.num_pulses
        out["sent_per_intensity"] = list(self.sent_per_intensity)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiftedKey:
        """Rebuild from :meth:`to_dict` output."""
        arrays = {
            name: np.frombuffer(base64.b64decode(data[name]), dtype=np.uint8).copy()
            for name in _ARRAYS
        }
        return cls(
            **arrays,
            num_pulses=int(data["num_pulses"]),
            sent_per_intensity=tuple(int(x) for x in data["sent_per_intensity"]),
        )


def sift(
    detections: Detections | Sequence[Detections], channel: ClassicalChannel | None = None
) -> SiftedKey:
    """Sift one or more blocks of detections (module docstring).

    Args:
        detections: A :class:`~kvant.qkd.Detections` record or several (same intensities).
        channel: The classical channel for the two announcements (None: no messages).

    Returns:
        The sifted key and test bits.

    Raises:
        ConfigError: for no records, anything else than records, or records with different
            numbers of intensities.

    >>> from kvant.qkd import Detections
    >>> d = Detections.from_arrays(0, 8, [8], [1, 3, 6], [0, 0, 0], alice_bit=[1, 0, 1],
    ...                            bob_bit=[1, 1, 1], bob_basis=[0, 1, 0])
    >>> s = sift(d)
    >>> s.alice_key.tolist(), s.bob_key.tolist(), s.test_bits
    ([1, 1], [1, 1], 0)
    """
    blocks = [detections] if isinstance(detections, Detections) else list(detections)
    if not blocks:
        raise ConfigError("sift needs at least one Detections record")
    strays = sorted({type(b).__name__ for b in blocks if not isinstance(b, Detections)})
    if strays:
        raise ConfigError(
            f"sift takes Detections records (from kvant.qkd.iter_detections or "
            f"Detections.from_arrays), got {', '.join(strays)}"
        )
    if len({b.sent_per_intensity.size for b in blocks}) != 1:
        raise ConfigError("all Detections records must have the same number of intensities")
    counts = [b.num_detections for b in blocks]
    if channel is not None:  # Bob: where he detected (a bitmap or offsets) and his bases
        announcement = _detections_message(blocks)
        _check_echo(channel.send("bob", "sifting/detections", announcement), announcement)
    bob_basis = _concat_bits([b.bob_basis for b in blocks], counts)
    alice_basis = _concat_bits([b.alice_basis for b in blocks], counts)
    intensity = np.concatenate([b.intensity for b in blocks])
    a_bit = _concat_bits([b.alice_bit for b in blocks], counts)
    b_bit = _concat_bits([b.bob_bit for b in blocks], counts)
    sifted_intensity, key_a, key_b, key_i, test_a, test_b, test_i = _split(
        alice_basis, bob_basis, a_bit, b_bit, intensity
    )
    if channel is not None:  # Alice: her bases, and the intensities of the sifted pulses
        reply = np.packbits(alice_basis).tobytes() + sifted_intensity.tobytes()
        # Bob sifts with the bases as received: the same as Alice's, or the round stops here
        _check_echo(channel.send("alice", "sifting/bases-and-intensities", reply), reply)
    sent = np.sum([b.sent_per_intensity for b in blocks], axis=0)
    return SiftedKey(
        key_a, key_b, key_i, test_a, test_b, test_i,
        int(sum(b.num_pulses for b in blocks)), tuple(int(x) for x in sent),
    )  # fmt: skip


@numba.njit(cache=True)
def _split(
    alice_basis: NDArray[np.uint8],
    bob_basis: NDArray[np.uint8],
    alice_bit: NDArray[np.uint8],
    bob_bit: NDArray[np.uint8],
    intensity: NDArray[np.uint8],
) -> tuple[
    NDArray[np.uint8],
    NDArray[np.uint8],
    NDArray[np.uint8],
    NDArray[np.uint8],
    NDArray[np.uint8],
    NDArray[np.uint8],
    NDArray[np.uint8],
]:  # pragma: no cover - compiled
    """Two passes (count, then copy) over the detections whose bases agree: the intensity
    of each (Alice's announcement), then the key bits of Alice, of Bob and their intensities,
    then the same for the test basis."""
    n = intensity.size
    keys = 0
    tests = 0
    for i in range(n):
        same = alice_basis[i] == bob_basis[i]
        keys += same & (alice_basis[i] == 0)
        tests += same & (alice_basis[i] == 1)
    si = np.empty(keys + tests + 1, dtype=np.uint8)
    ka = np.empty(keys + 1, dtype=np.uint8)
    kb = np.empty(keys + 1, dtype=np.uint8)
    ki = np.empty(keys + 1, dtype=np.uint8)
    ta = np.empty(tests + 1, dtype=np.uint8)
    tb = np.empty(tests + 1, dtype=np.uint8)
    ti = np.empty(tests + 1, dtype=np.uint8)
    k = 0
    t = 0
    for i in range(n):  # branch-free: bases are random, branches mispredict
        same = alice_basis[i] == bob_basis[i]
        si[k + t] = intensity[i]
        ka[k] = alice_bit[i]
        kb[k] = bob_bit[i]
        ki[k] = intensity[i]
        ta[t] = alice_bit[i]
        tb[t] = bob_bit[i]
        ti[t] = intensity[i]
        k += same & (alice_basis[i] == 0)
        t += same & (alice_basis[i] == 1)
    return si[: keys + tests], ka[:keys], kb[:keys], ki[:keys], ta[:tests], tb[:tests], ti[:tests]


def _concat_bits(packed: list[NDArray[np.uint8]], counts: list[int]) -> NDArray[np.uint8]:
    """Unpack and join per-block packed bit fields (each block's last byte is padded)."""
    if all(c % 8 == 0 for c in counts[:-1]):
        return np.unpackbits(np.concatenate(packed), count=sum(counts))
    return np.concatenate([np.unpackbits(p, count=c) for p, c in zip(packed, counts, strict=True)])


def _detections_message(blocks: list[Detections]) -> bytes:
    """Per block: a header (first pulse, pulses, detections, format), then a bitmap of the
    detected pulses or their 32-bit offsets, whichever is shorter; then Bob's bases."""
    parts = []
    for b in blocks:
        bitmap = 4 * b.num_detections > (b.num_pulses + 7) // 8
        parts.append(np.asarray([b.first_pulse, b.num_pulses, b.num_detections, bitmap], "<u8"))
        if bitmap:
            parts.append(_bitmap(b.pulse_offset, b.num_pulses))
        else:
            parts.append(b.pulse_offset.astype("<u4"))
        parts.append(b.bob_basis)
    return b"".join(part.tobytes() for part in parts)


@numba.njit(cache=True)
def _bitmap(offsets: NDArray[np.uint32], length: int) -> NDArray[np.uint8]:  # pragma: no cover
    """numpy.packbits of the indicator of ``offsets`` in [0, length), without building it."""
    out = np.zeros((length + 7) // 8, dtype=np.uint8)
    for o in offsets:
        out[o >> 3] |= np.uint8(128 >> (o & 7))
    return out


def _check_echo(received: bytes, sent: bytes) -> None:
    if received != sent:  # pragma: no cover - the authenticated channel already aborted
        raise ConfigError("the detection announcement was altered in transit")
