"""Key pools (real bytes, FIFO, capacity) and the seeded link key streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvant.errors import ConfigError, NetworkError
from kvant.network import KeyPool, LinkKeyStream


def test_fifo_with_block_ids() -> None:
    pool = KeyPool(10)
    pool.deposit("a", bytes([1, 2, 3, 4]))
    pool.deposit("b", np.array([5, 6, 7], np.uint8))
    first = pool.withdraw(5)
    assert first.data.tolist() == [1, 2, 3, 4, 5]
    assert first.sources == (("a", 0, 4), ("b", 0, 1))
    rest = pool.withdraw(2)
    assert rest.sources == (("b", 1, 2),)
    assert len(rest) == 2
    with pytest.raises(NetworkError, match="holds 0 bytes"):
        pool.withdraw(1)


@settings(max_examples=60, deadline=None)
@given(
    capacity=st.integers(1, 64),
    ops=st.lists(st.tuples(st.booleans(), st.integers(0, 40)), max_size=30),
)
def test_pool_matches_a_reference_fifo(capacity: int, ops: list[tuple[bool, int]]) -> None:
    pool, reference = KeyPool(capacity), bytearray()
    for i, (deposit, n) in enumerate(ops):
        if deposit:
            data = bytes((i * 7 + j) % 256 for j in range(n))
            stored = pool.deposit(f"blk{i}", data)
            assert stored == min(n, capacity - len(reference))
            reference += data[:stored]
        elif i % 5 == 4:
            assert pool.discard() == len(reference)
            reference.clear()
        else:
            take = min(n, pool.level_bytes)
            assert pool.withdraw(take).data.tobytes() == bytes(reference[:take])
            del reference[:take]
        assert pool.level_bytes == len(reference) <= capacity
    gone = pool.withdrawn_bytes + pool.discarded_bytes + pool.overflow_bytes
    assert pool.deposited_bytes == pool.level_bytes + gone


def test_withdrawn_key_is_oldest_first_and_never_reused() -> None:
    pool = KeyPool(1000)
    data = np.arange(100, dtype=np.uint8)
    pool.deposit("x", data)
    got = np.concatenate([pool.withdraw(30).data, pool.withdraw(70).data])
    assert np.array_equal(got, data)


def test_pool_arguments() -> None:
    with pytest.raises(ConfigError):
        KeyPool(0)
    with pytest.raises(ConfigError):
        KeyPool(4).withdraw(-1)
    with pytest.raises(ConfigError, match="uint8"):
        KeyPool(4).deposit("x", np.zeros(2, np.int32))  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None)
@given(start=st.integers(0, 5000), n=st.integers(1, 700), cut=st.integers(0, 700))
def test_stream_ranges_are_consistent(start: int, n: int, cut: int) -> None:
    stream = LinkKeyStream(11, 3)
    whole = np.unpackbits(stream.bits(start, n))[:n]
    cut = min(cut, n)
    left = np.unpackbits(stream.bits(start, cut))[:cut]
    right = np.unpackbits(stream.bits(start + cut, n - cut))[: n - cut]
    assert np.array_equal(np.concatenate([left, right]), whole)


def test_streams_differ_between_links_and_look_uniform() -> None:
    a, b = LinkKeyStream(1, 0).bits(0, 80_000), LinkKeyStream(1, 1).bits(0, 80_000)
    assert not np.array_equal(a, b)
    ones = np.unpackbits(a).mean()
    assert abs(ones - 0.5) < 0.01  # 80,000 bits: 5 sigma is 0.009
    assert LinkKeyStream(1, 0).bits(0, 0).size == 0
