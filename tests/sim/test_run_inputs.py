"""The checks every engine's run() shares: shots, seed, circuit, memory fallback."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import Circuit, Parameter
from kvant.errors import ConfigError, MemoryLimitError, UnboundParameterError
from kvant.sim._run_inputs import branching_fits, check_shots, circuit_for_run, run_generator

C64 = np.dtype("complex64")


@pytest.mark.parametrize("bad", [-1, 2.5, True, "3", None])
def test_check_shots_refuses_what_is_not_a_count(bad: object) -> None:
    with pytest.raises(ConfigError, match="shots must be a non-negative integer"):
        check_shots(bad)


def test_check_shots_accepts_numpy_integers() -> None:
    assert check_shots(np.int64(7)) == 7


def test_run_generator_records_entropy_only_when_something_is_sampled() -> None:
    assert run_generator(None, 0)[1] is None
    _, recorded = run_generator(None, 10)
    assert isinstance(recorded, int)
    first, second = run_generator(5, 10)[0], run_generator(5, 10)[0]
    assert first.integers(1 << 30) == second.integers(1 << 30)


def test_circuit_for_run_checks_and_expands() -> None:
    with pytest.raises(ConfigError, match=r"needs a kvant\.circuit\.Circuit"):
        circuit_for_run("OPENQASM 2.0;", 10)
    with pytest.raises(ConfigError, match="pass shots > 0"):
        circuit_for_run(Circuit(1, 1).h(0).measure(0, 0).x(0), 0)
    with pytest.raises(UnboundParameterError):
        circuit_for_run(Circuit(1).rx(Parameter("theta"), 0), 0)
    plain = Circuit(2).h(0).cx(0, 1)
    assert circuit_for_run(plain, 0) is plain


def test_branching_falls_back_to_one_shot_at_a_time_only_when_allowed() -> None:
    def needed(grouped: bool) -> int:
        return 10_000 if grouped else 1_000

    assert branching_fits(needed, 3, C64, 20_000, can_branch_per_shot=True)
    assert not branching_fits(needed, 3, C64, 5_000, can_branch_per_shot=True)
    with pytest.raises(MemoryLimitError):
        branching_fits(needed, 3, C64, 5_000, can_branch_per_shot=False)
    with pytest.raises(MemoryLimitError):
        branching_fits(needed, 3, C64, 500, can_branch_per_shot=True)
