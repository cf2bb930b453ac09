"""Key supply from the QKD layer: a post-processed KeyBlock and the network's link key streams
become identical units at both KMEs of a link, which then deliver identical ETSI keys."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kvant.errors import ConfigError, TopologyError
from kvant.kms import (
    UNIT_ID_NAMESPACE,
    KeyStore,
    LinkFeed,
    SupplyReport,
    open_store,
    supply_blocks,
    unit_id,
    units_from_bytes,
    units_from_keyblock,
)
from kvant.network import LinkKeyStream, moscow_spb
from kvant.qkd import (
    DetectorConfig,
    FibreConfig,
    KeyBlock,
    LinkConfig,
    Pipeline,
    SourceConfig,
    iter_detections,
)

KEK = bytes(range(32))
# a short, bright link (as in tests/qkd): 4e6 pulses distil ~6e4 secret bits in under a second
BRIGHT_LINK = LinkConfig(
    SourceConfig((0.5, 0.1, 0.0), (0.6, 0.2, 0.2)),
    FibreConfig(2.0),
    DetectorConfig(0.9, 1e-7, 0.0, 0.0),
)


@pytest.fixture(scope="module")
def block() -> KeyBlock:
    detections = list(iter_detections(BRIGHT_LINK, 4_000_000, seed=11))
    return Pipeline(BRIGHT_LINK.source).process(detections, seed=1)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[KeyStore, KeyStore]]:
    a = open_store(tmp_path / "moscow.db", "kme-moscow", KEK)
    b = open_store(tmp_path / "klin.db", "kme-klin", KEK)
    yield a, b
    a.close()
    b.close()


def test_unit_ids_are_name_based_uuids_both_ends_compute() -> None:
    # the namespace is itself uuid5(URL, ...), RFC 4122 section 4.3
    assert uuid.uuid5(uuid.NAMESPACE_URL, "https://kvant.dev/kms/unit-id") == UNIT_ID_NAMESPACE
    assert unit_id("blk", 7) == str(uuid.uuid5(UNIT_ID_NAMESPACE, "blk/7"))
    key = bytes(range(100))
    units = units_from_bytes("blk", key, 256, first_index=3)
    assert [u.key_id for u in units] == [unit_id("blk", 3), unit_id("blk", 4), unit_id("blk", 5)]
    assert b"".join(u.key for u in units) == key[:96]  # the last 4 bytes do not fill a unit
    same = units_from_bytes("blk", np.frombuffer(key, np.uint8), 256, first_index=3)
    assert same == units
    with pytest.raises(ConfigError, match="multiple of 8"):
        units_from_bytes("blk", key, 100)
    with pytest.raises(ConfigError, match="source_id"):
        units_from_bytes("", key, 256)
    with pytest.raises(ConfigError, match="first_index"):
        units_from_bytes("blk", key, 256, first_index=-1)


def test_pipeline_key_blocks_feed_both_kmes_identically(
    block: KeyBlock, stores: tuple[KeyStore, KeyStore]
) -> None:
    a, b = stores
    n = block.key_bits // 256
    report_a = supply_blocks(a, "kme-klin", [block], side="alice")
    report_b = supply_blocks(b, "kme-moscow", [block], side="bob")
    assert report_a == SupplyReport("kme-klin", n, n, block.key_bits - 256 * n)
    assert report_b == SupplyReport("kme-moscow", n, n, block.key_bits - 256 * n)
    assert supply_blocks(a, "kme-klin", [block]).new_units == 0  # idempotent
    assert units_from_keyblock(block, 256, "bob") == units_from_keyblock(block, 256, "alice")

    keys = a.take_for_master("kme-klin", "sae-moscow", "sae-klin", 2, 512, "r1")
    b.assign_for_slave(
        "kme-moscow", "sae-moscow", "sae-klin", [(k.key_id, k.unit_ids) for k in keys]
    )
    got = b.take_for_slave("sae-klin", "sae-moscow", [k.key_id for k in keys])
    assert got == keys
    assert b"".join(k.key for k in keys) == block.key[:128]  # oldest key first
    assert a.status("kme-klin").stored_key_count == n - 4
    with pytest.raises(ConfigError, match="side"):
        units_from_keyblock(block, 256, "eve")  # type: ignore[arg-type]


def test_link_feed_is_the_network_link_key_stream_at_the_link_rate(
    stores: tuple[KeyStore, KeyStore],
) -> None:
    feed = LinkFeed("Moscow-Klin", seed=5, link_index=2, rate_bps=1000.0, unit_size_bits=256)
    assert [feed.units_available(t) for t in (0.0, 0.255, 0.256, 1.0, 10.0)] == [0, 0, 1, 3, 39]
    stream = np.unpackbits(LinkKeyStream(5, 2).bits(0, 39 * 256))
    units = feed.units(0, 39)
    assert np.array_equal(np.unpackbits(np.frombuffer(b"".join(u.key for u in units), np.uint8)),
                          stream)  # fmt: skip
    # delivered in pieces, the units are the same as delivered at once, at both ends
    assert feed.units_between(0.0, 4.0) + feed.units_between(4.0, 10.0) == units
    other_end = LinkFeed("Moscow-Klin", seed=5, link_index=2, rate_bps=1000.0)
    assert other_end.units_between(0.0, 10.0) == units

    a, b = stores
    assert feed.feed(a, "kme-klin", 0.0, 10.0) == SupplyReport("kme-klin", 39, 39)
    assert other_end.feed(b, "kme-moscow", 0.0, 5.0).new_units == 19
    assert other_end.feed(b, "kme-moscow", 0.0, 10.0).new_units == 20  # overlap is skipped
    [key] = a.take_for_master("kme-klin", "sae-moscow", "sae-klin", 1, 1024, "r")
    b.assign_for_slave("kme-moscow", "sae-moscow", "sae-klin", [(key.key_id, key.unit_ids)])
    assert b.take_for_slave("sae-klin", "sae-moscow", [key.key_id]) == [key]


def test_a_restarted_kme_resumes_the_link_feed_where_it_stopped(tmp_path: Path) -> None:
    feed = LinkFeed("Klin-Tver", seed=3, link_index=1, rate_bps=2560.0)  # 10 units a second
    store = open_store(tmp_path / "klin.db", "kme-klin", KEK)
    assert feed.feed_until(store, "kme-tver", 1.0) == SupplyReport("kme-tver", 10, 10)
    store.take_for_master("kme-tver", "sae-1", "sae-2", 4, 256, "r")
    store.close()
    # after a restart (new objects), only the key delivered since is read and stored
    store = open_store(tmp_path / "klin.db", "kme-klin", KEK)
    again = LinkFeed("Klin-Tver", seed=3, link_index=1, rate_bps=2560.0)
    assert again.feed_until(store, "kme-tver", 2.5) == SupplyReport("kme-tver", 15, 15)
    assert again.feed_until(store, "kme-tver", 2.5) == SupplyReport("kme-tver", 0, 0)
    assert store.supply_cursor("Klin-Tver") == 25
    assert store.status("kme-tver").stored_key_count == 21
    # the stored units are units 10..24 of the link, byte for byte
    [key] = store.take_for_master("kme-tver", "sae-1", "sae-2", 1, 256 * 21, "r2")
    assert key.key == b"".join(u.key for u in feed.units(4, 21))
    store.close()


def test_link_feed_from_the_network_topology() -> None:
    topology = moscow_spb().topology
    feed = LinkFeed.from_topology(topology, "Tver", "Zavidovo", seed=1)
    index = topology.link_index("Zavidovo", "Tver")
    link = topology.links[index]
    assert (feed.link_id, feed.rate_bps) == (link.name, link.key_rate_bps)
    assert feed.units_available(60.0) == math.floor(60.0 * link.key_rate_bps / 256)
    assert feed.units(0, 1)[0].key == LinkKeyStream(1, index).bits(0, 256).tobytes()
    with pytest.raises(TopologyError, match="no link"):
        LinkFeed.from_topology(topology, "Moscow", "Tver", seed=1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rate_bps": 0.0}, "rate_bps"),
        ({"rate_bps": float("nan")}, "rate_bps"),
        ({"link_id": ""}, "link_id"),
        ({"unit_size_bits": 7}, "multiple of 8"),
    ],
)
def test_link_feed_refuses_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"link_id": "x", "seed": 1, "link_index": 0, "rate_bps": 1.0}
    with pytest.raises(ConfigError, match=match):
        LinkFeed(**{**args, **kwargs})  # type: ignore[arg-type]


def test_supply_report_values() -> None:
    r = SupplyReport("kme-b", 4, 3, 5)
    assert SupplyReport.from_dict(r.to_dict()) == r
    assert r + r == SupplyReport("kme-b", 8, 6, 10)
    with pytest.raises(ConfigError, match="same peer"):
        r + SupplyReport("kme-c", 1, 1)
    feed = LinkFeed("x", 1, 0, 1.0)
    with pytest.raises(ConfigError, match="elapsed_s"):
        feed.units_available(-1.0)
    with pytest.raises(ConfigError, match=">= 0"):
        feed.units(-1, 2)
