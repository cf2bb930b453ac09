"""Hop-by-hop XOR key relay through trusted nodes (ITU-T Y.3803 style), on real key bytes.

A path ``n_0, n_1, ..., n_h`` has ``h`` hops; hop ``j`` joins ``n_j`` and ``n_{j+1}``, whose key
managers hold the same link key ``k_j`` (from that link's pool). The end-to-end key ``K`` is
``k_0`` (the source uses its first link key, so no extra randomness is needed) unless a key is
given. Node ``n_j`` (``1 <= j < h``) learns ``K`` (from ``k_0`` directly when ``j = 1`` and
``K = k_0``, else by decrypting ``c_{j-1}`` with ``k_{j-1}``) and sends the one-time-pad
ciphertext ``c_j = K xor k_j`` over the classical channel to ``n_{j+1}``; the destination
decrypts ``K = c_{h-1} xor k_{h-1}``.

What each party knows, which :meth:`RelayTranscript.recover` computes:

- every node on the path holds at least one of the link keys and sees ``K`` (the trusted-node
  model: each intermediate node is exposed to every key it relays);
- an outsider sees only the ciphertexts; each ``c_j`` is ``K`` padded with an independent,
  uniform, used-once ``k_j``, so every candidate ``K'`` is consistent with them (link keys
  ``k_j' = c_j xor K'``): the ciphertexts reveal nothing about ``K``;
- anyone who holds one link key ``k_j`` of the path (a compromised node, or a leak of one pool)
  recovers ``K`` from the public ``c_j``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError, NetworkError
from kvant.network._pools import Bytes, KeyPool, as_key_bytes

__all__ = ["RelayTranscript", "RelayedKey", "relay_over_pools", "xor_relay"]


@dataclass(frozen=True)
class RelayTranscript:
    """Everything one relay involved.

    Attributes:
        path: Node names, source first.
        link_keys: The key used on each hop (held by both ends of that hop), shape (hops, bytes).
        ciphertexts: Hop index -> ciphertext sent over that hop's classical channel.
        source_key: ``K`` as the source holds it.
        destination_key: ``K`` as the destination decrypted it.
    """

    path: tuple[str, ...]
    link_keys: NDArray[np.uint8]
    ciphertexts: Mapping[int, Bytes]
    source_key: Bytes
    destination_key: Bytes

    @property
    def hops(self) -> int:
        """Number of hops."""
        return len(self.path) - 1

    @property
    def intermediate_nodes(self) -> tuple[str, ...]:
        """The trusted nodes that relayed (and so saw) the key."""
        return self.path[1:-1]

    def keys_agree(self) -> bool:
        """Whether source and destination hold the same key (constant-time comparison)."""
        return hmac.compare_digest(self.source_key.tobytes(), self.destination_key.tobytes())

    def held_link_keys(self, node: str) -> dict[int, Bytes]:
        """Hop index -> link key, for the hops that end at ``node`` (empty for an outsider)."""
        held = {}
        for j in range(self.hops):
            if node in (self.path[j], self.path[j + 1]):
                held[j] = self.link_keys[j]
        return held

    def recover(self, link_keys: Mapping[int, Bytes]) -> Bytes | None:
        """The end-to-end key computable from the public ciphertexts and these link keys.

        Args:
            link_keys: Hop index -> link key the party holds.

        Returns:
            ``K``, or None when the ciphertexts and these keys do not determine it.
        """
        for j, k in sorted(link_keys.items()):
            if j in self.ciphertexts:
                return np.bitwise_xor(self.ciphertexts[j], k)
            if j == 0 and 0 not in self.ciphertexts:  # K = k_0
                return np.asarray(k, dtype=np.uint8).copy()
        return None

    def node_key(self, node: str) -> Bytes | None:
        """What ``node`` learns of ``K`` (None: nothing)."""
        return self.recover(self.held_link_keys(node))


def xor_relay(
    path: Sequence[str],
    link_keys: Sequence[bytes | NDArray[np.uint8]] | NDArray[np.uint8],
    key: bytes | NDArray[np.uint8] | None = None,
) -> RelayTranscript:
    """Relay one end-to-end key hop by hop with one-time pads (XOR) of the link keys.

    Args:
        path: Node names from source to destination (>= 2, no repeats).
        link_keys: One key per hop, all the same length (bytes or uint8 arrays), or a
            (hops, bytes) array.
        key: The end-to-end key (same length), or None to use ``link_keys[0]``.

    Returns:
        The transcript (keys at both ends, ciphertexts, who knows what).

    Raises:
        ConfigError: for a path with repeats, a wrong number of keys or unequal lengths.

    >>> t = xor_relay(["A", "R", "B"], [b"\\x0f\\xf0", b"\\x33\\x33"])
    >>> t.keys_agree(), t.destination_key.tobytes(), t.ciphertexts[1].tobytes()
    (True, b'\\x0f\\xf0', b'<\\xc3')
    >>> t.recover({}) is None, t.node_key("R").tobytes()
    (True, b'\\x0f\\xf0')
    """
    nodes = tuple(path)
    if len(nodes) < 2 or len(set(nodes)) != len(nodes):
        raise ConfigError(f"a relay path needs >= 2 distinct nodes, got {nodes}")
    keys = (
        np.stack([as_key_bytes(k) for k in link_keys])
        if not isinstance(link_keys, np.ndarray)
        else np.asarray(link_keys)
    )
    hops = len(nodes) - 1
    if keys.dtype != np.uint8 or keys.ndim != 2 or keys.shape[0] != hops:
        raise ConfigError(f"give one uint8 key per hop ({hops}), got shape {keys.shape}")
    ciphertexts: dict[int, Bytes] = {}
    if key is None:
        source_key = keys[0].copy()
        start = 1
    else:
        source_key = as_key_bytes(key).copy()
        if source_key.size != keys.shape[1]:
            raise ConfigError("the end-to-end key and the link keys must have the same length")
        start = 0
    carried = source_key
    for j in range(start, hops):  # node j forwards K under link key k_j
        ciphertexts[j] = np.bitwise_xor(carried, keys[j])
        carried = np.bitwise_xor(ciphertexts[j], keys[j])  # what node j+1 decrypts
    return RelayTranscript(nodes, keys, ciphertexts, source_key, carried)


@dataclass(frozen=True)
class RelayedKey:
    """An end-to-end key relayed over key pools.

    Attributes:
        key_id: Its id.
        path: Node names, source first.
        source_key: The key at the source.
        destination_key: The key at the destination (equal to ``source_key``).
        exposed_to: Trusted nodes that saw the key.
        sources: For each hop, the (block id, offset, length) pieces of link key it used.
    """

    key_id: str
    path: tuple[str, ...]
    source_key: Bytes
    destination_key: Bytes
    exposed_to: tuple[str, ...]
    sources: tuple[tuple[tuple[str, int, int], ...], ...]


def relay_over_pools(
    key_id: str, path: Sequence[str], pools: Sequence[KeyPool], n_bytes: int
) -> RelayedKey:
    """Withdraw ``n_bytes`` from the pool of each hop and relay one key along ``path``.

    All pools are checked first, so a relay either happens whole or withdraws nothing.

    Args:
        key_id: Id of the end-to-end key.
        path: Node names, source first.
        pools: The pool of each hop, in path order.
        n_bytes: Key length in bytes.

    Returns:
        The relayed key with its exposure record.

    Raises:
        NetworkError: if a pool holds too little key.
        ConfigError: if the number of pools does not match the hops.

    >>> pools = [KeyPool(64), KeyPool(64)]
    >>> for i, p in enumerate(pools):
    ...     _ = p.deposit(f"blk{i}", bytes(range(i, i + 32)))
    >>> k = relay_over_pools("k1", ["A", "R", "B"], pools, 16)
    >>> bool((k.source_key == k.destination_key).all()), k.exposed_to, pools[0].level_bytes
    (True, ('R',), 16)
    """
    if len(pools) != len(path) - 1:
        raise ConfigError(f"{len(path) - 1} hops need {len(path) - 1} pools, got {len(pools)}")
    for j, pool in enumerate(pools):
        if pool.level_bytes < n_bytes:
            raise NetworkError(
                f"hop {path[j]}-{path[j + 1]} holds {pool.level_bytes} bytes of key, "
                f"{n_bytes} needed for {key_id}"
            )
    pieces = [pool.withdraw(n_bytes) for pool in pools]
    transcript = xor_relay(path, np.stack([p.data for p in pieces]))
    return RelayedKey(
        key_id,
        transcript.path,
        transcript.source_key,
        transcript.destination_key,
        transcript.intermediate_nodes,
        tuple(p.sources for p in pieces),
    )
