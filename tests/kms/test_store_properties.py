"""Exactly-once delivery as a property: random interleavings of key supply (the slave's KME
sometimes lagging), master takes, retried requests, notifications, slave fetches (some of
them wrong) and relay hops, checked step by step against a plain-Python model of two KMEs."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from kvant.errors import KeyUnavailableError, SaeAuthorizationError
from kvant.kms import DeliveredKey, KeyStore, KeyUnit, derive_key_id, open_store

KEK = bytes(range(32))
UNIT = 64  # bits: small units keep the examples cheap


class TwoKmes(RuleBasedStateMachine):
    """KME_A (master side) and KME_B (slave side) sharing one QKD link."""

    urls: Callable[[], tuple[str, str, Path | None]]

    def __init__(self) -> None:
        super().__init__()
        url_a, url_b, self.tmp = self.urls()
        self.a: KeyStore = open_store(url_a, "KME_A", KEK, unit_size_bits=UNIT)
        self.b: KeyStore = open_store(url_b, "KME_B", KEK, unit_size_bits=UNIT)
        self.material: dict[str, bytes] = {}
        self.a_pool: list[str] = []  # oldest first
        self.b_pool: list[str] = []
        self.lagging: list[str] = []  # supplied to A, not yet to B
        self.pending: dict[str, DeliveredKey] = {}  # taken at A, B not told yet
        self.assigned: dict[str, DeliveredKey] = {}  # told to B, slave has not fetched
        self.fetched: dict[str, DeliveredKey] = {}
        self.master_seen: set[str] = set()
        self.requests: dict[str, tuple[tuple[int, int], list[DeliveredKey]]] = {}
        self.counter = 0

    def teardown(self) -> None:
        self.a.close()
        self.b.close()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _units(self, n: int) -> list[KeyUnit]:
        out = []
        for _ in range(n):
            self.counter += 1
            uid = str(uuid.UUID(int=self.counter, version=4))
            self.material[uid] = self.counter.to_bytes(UNIT // 8, "big")
            out.append(KeyUnit(uid, self.material[uid]))
        return out

    @initialize()
    def start(self) -> None:
        self.supply(12, False)

    @rule(n=st.integers(1, 12), lag=st.booleans())
    def supply(self, n: int, lag: bool) -> None:
        units = self._units(n)
        assert self.a.supply("KME_B", units) == n
        self.a_pool += [u.key_id for u in units]
        if lag:
            self.lagging += [u.key_id for u in units]
        else:
            self.catch_up()
            assert self.b.supply("KME_A", units) == n
            self.b_pool += [u.key_id for u in units]

    @precondition(lambda self: self.lagging)
    @rule()
    def catch_up(self) -> None:
        units = [KeyUnit(u, self.material[u]) for u in self.lagging]
        assert self.b.supply("KME_A", units) == len(units)
        self.b_pool += self.lagging
        self.lagging = []

    @rule(
        number=st.integers(1, 3),
        per_key=st.integers(1, 2),
        retry=st.booleans(),
        notify_now=st.booleans(),
    )
    def take_for_master(self, number: int, per_key: int, retry: bool, notify_now: bool) -> None:
        if retry and self.requests:
            rid = sorted(self.requests)[self.counter % len(self.requests)]
            (number, per_key), first = self.requests[rid]
            again = self.a.take_for_master("KME_B", "SAE_1", "SAE_2", number, per_key * UNIT, rid)
            assert again == first  # the same keys, never new ones
            return
        rid = f"req-{len(self.requests)}"
        need = number * per_key
        if need > len(self.a_pool):
            with pytest.raises(KeyUnavailableError):
                self.a.take_for_master("KME_B", "SAE_1", "SAE_2", number, per_key * UNIT, rid)
            return
        keys = self.a.take_for_master("KME_B", "SAE_1", "SAE_2", number, per_key * UNIT, rid)
        taken, self.a_pool = self.a_pool[:need], self.a_pool[need:]
        for i, key in enumerate(keys):
            ids = tuple(taken[i * per_key : (i + 1) * per_key])
            assert key.unit_ids == ids
            assert key.key == b"".join(self.material[u] for u in ids)
            assert key.key_id not in self.master_seen
            self.master_seen.add(key.key_id)
            self.pending[key.key_id] = key
        self.requests[rid] = ((number, per_key), keys)
        if notify_now:  # as the API does: tell the slave's KME before answering the master
            self._notify([k.key_id for k in keys])

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def notify(self, data: st.DataObject) -> None:
        self._notify(
            data.draw(st.lists(st.sampled_from(sorted(self.pending)), min_size=1, unique=True))
        )

    def _notify(self, kids: list[str]) -> None:
        keys = [self.pending[k] for k in kids]
        pairs = [(k.key_id, k.unit_ids) for k in keys]
        units = [u for k in keys for u in k.unit_ids]
        if not set(units) <= set(self.b_pool):
            with pytest.raises(KeyUnavailableError):
                self.b.assign_for_slave("KME_A", "SAE_1", "SAE_2", pairs)
            return
        self.b.assign_for_slave("KME_A", "SAE_1", "SAE_2", pairs)
        self.b_pool = [u for u in self.b_pool if u not in set(units)]
        for k in keys:
            self.assigned[k.key_id] = self.pending.pop(k.key_id)

    @precondition(lambda self: self.assigned)
    @rule(data=st.data())
    def take_for_slave(self, data: st.DataObject) -> None:
        kids = data.draw(
            st.lists(st.sampled_from(sorted(self.assigned)), min_size=1, max_size=3, unique=True)
        )
        got = self.b.take_for_slave("SAE_2", "SAE_1", kids)
        assert got == [self.assigned[k] for k in kids]  # the master's keys, byte for byte
        for k in kids:
            self.fetched[k] = self.assigned.pop(k)

    @precondition(lambda self: self.assigned or self.fetched or self.pending)
    @rule(data=st.data(), intruder=st.booleans())
    def refused_slave_request(self, data: st.DataObject, intruder: bool) -> None:
        """Another SAE, or a key_ID already fetched / not yet told to B: all-or-nothing."""
        choices = sorted(self.assigned) + sorted(self.fetched) + sorted(self.pending)
        kids = data.draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True))
        if intruder and all(k in self.assigned for k in kids):
            with pytest.raises(SaeAuthorizationError):
                self.b.take_for_slave("SAE_3", "SAE_1", kids)
        elif not all(k in self.assigned for k in kids):
            with pytest.raises(KeyUnavailableError):
                self.b.take_for_slave("SAE_2", "SAE_1", kids)

    @precondition(lambda self: len(self.a_pool) >= 8)
    @rule()
    def relay_hop(self) -> None:
        rid = f"relay-{self.counter}"
        self.counter += 1
        pad = self.a.take_for_relay("KME_B", UNIT, rid)
        assert pad.unit_ids == (self.a_pool[0],)
        self.a_pool.pop(0)
        if pad.unit_ids[0] in self.b_pool:
            assert self.b.take_for_relay("KME_A", UNIT, rid, pad.unit_ids) == pad
            self.b_pool.remove(pad.unit_ids[0])
        else:
            with pytest.raises(KeyUnavailableError):
                self.b.take_for_relay("KME_A", UNIT, rid, pad.unit_ids)
            self.lagging.remove(pad.unit_ids[0])  # B will never get it: drop it from the model

    @rule()
    def resupply_used(self) -> None:
        used = [u for k in self.fetched.values() for u in k.unit_ids]
        units = [KeyUnit(u, self.material[u]) for u in used[:3]]
        assert self.a.supply("KME_B", units) == 0
        assert self.b.supply("KME_A", units) == 0

    @invariant()
    def pools_match_the_model(self) -> None:
        a, b = self.a.status("KME_B"), self.b.status("KME_A")
        assert a.stored_key_count == len(self.a_pool)
        assert b.stored_key_count == len(self.b_pool)
        assert b.assigned_key_count == len(self.assigned)
        assert set(self.fetched).isdisjoint(self.assigned)
        assert all(derive_key_id(k.unit_ids) == kid for kid, k in self.fetched.items())


def _sqlite_urls() -> tuple[str, str, Path | None]:
    tmp = Path(tempfile.mkdtemp(prefix="kvant-kms-prop-"))
    return f"sqlite:///{tmp}/a.db", f"sqlite:///{tmp}/b.db", tmp


def test_exactly_once_on_sqlite() -> None:
    TwoKmes.urls = staticmethod(_sqlite_urls)  # type: ignore[assignment]
    run_state_machine_as_test(
        TwoKmes,
        settings=settings(
            max_examples=40, stateful_step_count=40, deadline=None, derandomize=True,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )  # fmt: skip


def test_exactly_once_on_postgresql(postgres_server: object) -> None:
    def urls() -> tuple[str, str, Path | None]:
        url = postgres_server.fresh_url()  # type: ignore[attr-defined]
        return url, url, None

    TwoKmes.urls = staticmethod(urls)  # type: ignore[assignment]
    run_state_machine_as_test(
        TwoKmes,
        settings=settings(
            max_examples=12, stateful_step_count=40, deadline=None, derandomize=True,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )  # fmt: skip
