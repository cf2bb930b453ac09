"""Relay algebra on real bytes: identical keys at the ends, knowledge as the model says."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvant.errors import ConfigError, NetworkError
from kvant.network import KeyPool, relay_over_pools, xor_relay

KEY = st.integers(1, 48)


@st.composite
def relays(draw: st.DrawFn) -> tuple[list[str], np.ndarray, bytes | None]:
    hops = draw(st.integers(1, 8))
    size = draw(KEY)
    keys = np.frombuffer(draw(st.binary(min_size=hops * size, max_size=hops * size)), np.uint8)
    fresh = draw(st.none() | st.binary(min_size=size, max_size=size))
    return [f"n{i}" for i in range(hops + 1)], keys.reshape(hops, size).copy(), fresh


@settings(max_examples=150, deadline=None)
@given(relays())
def test_end_users_hold_identical_keys(case: tuple[list[str], np.ndarray, bytes | None]) -> None:
    path, keys, fresh = case
    t = xor_relay(path, keys, fresh)
    assert t.keys_agree()
    assert np.array_equal(t.destination_key, t.source_key)
    expected = keys[0] if fresh is None else np.frombuffer(fresh, np.uint8)
    assert np.array_equal(t.source_key, expected)


@settings(max_examples=150, deadline=None)
@given(relays())
def test_every_node_on_the_path_sees_the_key(
    case: tuple[list[str], np.ndarray, bytes | None],
) -> None:
    path, keys, fresh = case
    t = xor_relay(path, keys, fresh)
    assert t.intermediate_nodes == tuple(path[1:-1])
    for node in path:
        seen = t.node_key(node)
        assert seen is not None
        assert np.array_equal(seen, t.source_key)
    assert t.node_key("outsider") is None
    # anyone holding any one link key of the path recovers the key from the public messages
    for j in range(t.hops):
        got = t.recover({j: keys[j]})
        assert got is not None
        assert np.array_equal(got, t.source_key)


@settings(max_examples=150, deadline=None)
@given(relays(), st.data())
def test_ciphertexts_alone_reveal_nothing(
    case: tuple[list[str], np.ndarray, bytes | None], data: st.DataObject
) -> None:
    path, keys, fresh = case
    t = xor_relay(path, keys, fresh)
    assert t.recover({}) is None
    # perfect secrecy: any other key K' is consistent with the same public messages,
    # with link keys k'_j = c_j xor K'
    other = np.frombuffer(
        data.draw(st.binary(min_size=keys.shape[1], max_size=keys.shape[1])), np.uint8
    )
    forged = keys.copy()
    for j, c in t.ciphertexts.items():
        forged[j] = np.bitwise_xor(c, other)
    if fresh is None:
        forged[0] = other  # K = k_0: the first link key is the key itself
    t2 = xor_relay(path, forged, None if fresh is None else other.tobytes())
    assert t2.ciphertexts.keys() == t.ciphertexts.keys()
    for j in t.ciphertexts:
        assert np.array_equal(t2.ciphertexts[j], t.ciphertexts[j])
    assert np.array_equal(t2.destination_key, other)


def test_relay_arguments() -> None:
    with pytest.raises(ConfigError, match="distinct"):
        xor_relay(["a", "b", "a"], [b"x", b"y"])
    with pytest.raises(ConfigError, match="one uint8 key per hop"):
        xor_relay(["a", "b", "c"], [b"x"])
    with pytest.raises(ConfigError, match="same length"):
        xor_relay(["a", "b"], [b"xy"], key=b"z")


def test_relay_over_pools_is_all_or_nothing() -> None:
    pools = [KeyPool(100), KeyPool(100), KeyPool(100)]
    for i, p in enumerate(pools):
        p.deposit(f"L{i}", bytes(range(10 * i, 10 * i + (40 if i != 1 else 10))))
    with pytest.raises(NetworkError, match="holds 10 bytes"):
        relay_over_pools("k0", ["A", "B", "C", "D"], pools, 16)
    assert [p.level_bytes for p in pools] == [40, 10, 40]  # nothing withdrawn
    key = relay_over_pools("k1", ["A", "B", "C", "D"], pools, 8)
    assert np.array_equal(key.source_key, key.destination_key)
    assert np.array_equal(key.source_key, np.arange(8, dtype=np.uint8))  # first hop's key
    assert key.exposed_to == ("B", "C")
    assert key.sources == ((("L0", 0, 8),), (("L1", 0, 8),), (("L2", 0, 8),))
    assert [p.level_bytes for p in pools] == [32, 2, 32]
    with pytest.raises(ConfigError, match="pools"):
        relay_over_pools("k2", ["A", "B"], pools, 1)
