"""Memory guard: the arithmetic, the refusal before allocating, and a measured peak."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from kvant.circuit import Circuit
from kvant.errors import ConfigError, MemoryLimitError, SimulationError
from kvant.sim import StateVectorEngine, available_memory_bytes, max_qubits, required_bytes
from kvant.testing import random_circuit

GIB = 2**30
MIB = 2**20


@pytest.mark.parametrize(
    ("num_qubits", "dtype", "expected"),
    [
        (0, "complex128", 3 * 16 + MIB),
        (10, "complex64", 3 * 8 * 1024 + MIB),
        (20, "complex128", 48 * MIB + MIB),
        (30, "complex128", 48 * GIB + MIB),
        (34, "complex128", 768 * GIB + MIB),
        (34, "complex64", 384 * GIB + MIB),
    ],
)
def test_required_bytes(num_qubits: int, dtype: str, expected: int) -> None:
    assert required_bytes(num_qubits, dtype) == expected


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("memory", [0, MIB, GIB, 16 * GIB, 123_456_789_012, 2**50])
def test_max_qubits_is_the_largest_that_fits(dtype: str, memory: int) -> None:
    n = max_qubits(memory, dtype)
    if n >= 0:
        assert required_bytes(n, dtype) <= memory
    assert required_bytes(n + 1, dtype) > memory


def test_max_qubits_per_gib() -> None:
    assert (max_qubits(GIB, "complex64"), max_qubits(GIB, "complex128")) == (25, 24)
    assert (max_qubits(64 * GIB, "complex64"), max_qubits(64 * GIB, "complex128")) == (31, 30)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: required_bytes(-1), "non-negative"),
        (lambda: required_bytes(3, "float64"), "not supported"),
        (lambda: required_bytes(3, "nonsense-type"), "not a NumPy dtype"),
        (lambda: max_qubits(-5), ">= 0"),
        (lambda: max_qubits(2.5), "integer"),  # type: ignore[arg-type]
    ],
)
def test_helper_argument_errors(call: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        call()  # type: ignore[operator]


def test_refusal_happens_before_allocating() -> None:
    engine = StateVectorEngine(max_memory_bytes=MIB)
    circuit = Circuit(20).h(0).measure_all()
    tracemalloc.start()
    try:
        with pytest.raises(MemoryLimitError) as info:
            engine.run(circuit, shots=10, seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024  # the 16 MiB state was never allocated
    message = str(info.value)
    assert "a 20-qubit complex128 state vector needs 16.0 MiB" in message
    assert "but 1.0 MiB is available" in message
    assert "use complex64, fewer qubits, or the stabilizer engine" in message
    assert isinstance(info.value, MemoryError)
    assert isinstance(info.value, SimulationError)


def test_complex64_refusal_does_not_suggest_complex64() -> None:
    with pytest.raises(MemoryLimitError, match="use fewer qubits") as info:
        StateVectorEngine("complex64", max_memory_bytes=MIB).run(Circuit(20))
    assert "complex64," not in str(info.value)


def test_default_budget_refuses_a_huge_state() -> None:
    with pytest.raises(
        MemoryLimitError, match=r"a 50-qubit complex128 state vector needs 16\.0 PiB"
    ):
        StateVectorEngine().run(Circuit(50).h(0))


def test_a_run_that_fits_is_allowed() -> None:
    circuit = Circuit(10).h(0)
    engine = StateVectorEngine(max_memory_bytes=StateVectorEngine().estimate_bytes(circuit))
    assert engine.run(circuit).state_vector is not None
    with pytest.raises(MemoryLimitError):
        StateVectorEngine(max_memory_bytes=required_bytes(10) - 1).run(circuit)


def _peak(run: object) -> int:
    tracemalloc.start()
    try:
        run()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
@pytest.mark.parametrize(
    ("label", "circuit", "shots", "memory"),
    [
        pytest.param("gates", random_circuit(16, 6, seed=1), 0, False, id="gates"),
        pytest.param(
            "unitaries",
            random_circuit(16, 4, seed=2, gate_set=["unitary", "h", "cz"]),
            0,
            False,
            id="unitaries",
        ),
        pytest.param(
            "terminal", random_circuit(16, 4, seed=3, measure=True), 20_000, True, id="terminal"
        ),
        pytest.param(
            "mid-circuit",
            random_circuit(16, 4, seed=4, measure=True, mid_circuit=True),
            500,
            False,
            id="mid-circuit",
        ),
    ],
)
def test_measured_peak_is_within_the_estimate(
    dtype: str, label: str, circuit: Circuit, shots: int, memory: bool
) -> None:
    engine = StateVectorEngine(dtype)
    engine.run(Circuit(2).h(0).measure_all(), shots=2, seed=0)  # warm up lazy imports
    estimate = engine.estimate_bytes(circuit, shots=shots, memory=memory)
    peak = _peak(lambda: engine.run(circuit, shots=shots, seed=1, memory=memory))
    state = 2**16 * engine.dtype.itemsize
    assert peak <= estimate, f"{label}: peak {peak} > estimate {estimate}"
    assert peak >= 2 * state  # the measurement saw the real arrays
    if label == "gates":
        assert peak <= required_bytes(16, dtype)


def test_available_memory_reads_meminfo_and_cgroups(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 4000 kB\nMemAvailable:    1000 kB\n")
    v2, v1 = tmp_path / "v2", tmp_path / "v1"
    v2.mkdir()
    v1.mkdir()
    assert available_memory_bytes(meminfo=meminfo, cgroup_v2=v2, cgroup_v1=v1) == 1_024_000
    (v2 / "memory.max").write_text("500000\n")
    (v2 / "memory.current").write_text("100000\n")
    assert available_memory_bytes(meminfo=meminfo, cgroup_v2=v2, cgroup_v1=v1) == 400_000
    (v2 / "memory.max").write_text("max\n")
    (v1 / "memory.limit_in_bytes").write_text("300000\n")
    (v1 / "memory.usage_in_bytes").write_text("250000\n")
    assert available_memory_bytes(meminfo=meminfo, cgroup_v2=v2, cgroup_v1=v1) == 50_000
    (v1 / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # v1's "no limit"
    assert available_memory_bytes(meminfo=meminfo, cgroup_v2=v2, cgroup_v1=v1) == 1_024_000


def test_available_memory_falls_back_to_sysconf(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    value = available_memory_bytes(meminfo=missing, cgroup_v2=missing, cgroup_v1=missing)
    assert value is None or value > 0
    assert (available_memory_bytes() or 1) > 0
