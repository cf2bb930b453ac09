"""The result of running a circuit: counts, and the state vector where it is well defined."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError, SimulationError
from kvant.sim._pauli import PauliLike, pauli_expectation

__all__ = ["Result"]

_DTYPES = ("complex64", "complex128")


def _check_counts(counts: dict[str, int], num_clbits: int) -> None:
    """Every key a bitstring of ``num_clbits`` characters, every value a non-negative int.

    Checked over all keys at once (one join, one set) because engines hand over tens of
    thousands of distinct 50-bit keys; the slow per-key loop only runs to name the culprit.
    """
    keys, values = counts.keys(), counts.values()
    if set(map(type, keys)) <= {str} and set(map(len, keys)) <= {num_clbits}:
        try:
            stray = "".join(keys).encode("ascii").translate(None, b"01")
        except UnicodeEncodeError:
            stray = b"?"
        if not stray and set(map(type, values)) <= {int} and min(values, default=0) >= 0:
            return
    for key, number in counts.items():
        if not isinstance(key, str) or len(key) != num_clbits or set(key) - {"0", "1"}:
            raise ConfigError(
                f"counts key {key!r} is not a bitstring of {num_clbits} classical bit(s)"
            )
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ConfigError(f"counts[{key!r}] must be a non-negative int, got {number!r}")


@dataclass(frozen=True, eq=False)
class Result:
    """What an engine returns.

    Attributes:
        engine: Name of the engine that produced it.
        num_qubits: Number of qubits of the circuit.
        num_clbits: Number of classical bits of the circuit.
        shots: Number of shots sampled (0 for a state-vector-only run).
        seed: The integer seed that reproduces the run, or None if a Generator was passed.
        counts: Bitstring over *all* classical bits (classical bit 0 rightmost) -> shots;
            keys sorted. Unmeasured classical bits read 0.
        state_vector: Final amplitudes, little-endian (qubit 0 is the least significant bit of
            the index). For circuits whose measurements are all terminal, the state before
            measurement; None for circuits with mid-circuit measurement, reset or conditions.
            Read-only.
        memory: Per-shot bitstrings, if the run was asked for them.

    >>> from kvant.circuit import Circuit
    >>> from kvant.sim import StateVectorEngine
    >>> result = StateVectorEngine().run(Circuit(2).h(0).cx(0, 1).measure_all(), shots=100, seed=7)
    >>> result.counts
    {'00': 50, '11': 50}
    >>> result.probabilities().round(3).tolist()
    [0.5, 0.0, 0.0, 0.5]
    >>> round(result.expectation("ZZ"), 12)
    1.0
    """

    engine: str
    num_qubits: int
    num_clbits: int
    shots: int
    seed: int | None
    counts: dict[str, int]
    state_vector: NDArray[np.complexfloating[Any, Any]] | None = field(default=None, repr=False)
    memory: tuple[str, ...] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("num_qubits", "num_clbits", "shots"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"Result.{name} must be a non-negative int, got {value!r}")
        counts = dict(sorted(self.counts.items()))
        _check_counts(counts, self.num_clbits)
        if counts and sum(counts.values()) != self.shots:
            raise ConfigError(f"counts add up to {sum(counts.values())} but shots is {self.shots}")
        object.__setattr__(self, "counts", counts)
        if self.state_vector is not None:
            state = np.asarray(self.state_vector)
            if state.dtype.name not in _DTYPES or state.shape != (1 << self.num_qubits,):
                raise ConfigError(
                    f"state_vector must be a {_DTYPES} array of length 2**{self.num_qubits}, "
                    f"got {state.dtype} of shape {state.shape}"
                )
            view = state.view()
            view.flags.writeable = False
            object.__setattr__(self, "state_vector", view)
        if self.memory is not None:
            memory = tuple(self.memory)
            if len(memory) != self.shots:
                raise ConfigError(f"memory has {len(memory)} entries but shots is {self.shots}")
            object.__setattr__(self, "memory", memory)

    # views ----------------------------------------------------------------------------------
    def _require_state(self) -> NDArray[np.complexfloating[Any, Any]]:
        if self.state_vector is None:
            raise SimulationError(
                "this result has no state vector: the circuit has mid-circuit measurements, "
                "resets or conditions, so its final state is random; use counts instead"
            )
        return self.state_vector

    def probabilities(self, qubits: Sequence[int] | None = None) -> NDArray[np.float64]:
        """Probabilities of basis states, little-endian index.

        Args:
            qubits: If given, the marginal over these qubits; ``qubits[0]`` is the least
                significant bit of the returned index.

        Returns:
            A float64 array of length ``2**len(qubits)`` (all qubits if None).

        Raises:
            SimulationError: If the result has no state vector.
            ConfigError: For a qubit out of range or repeated.

        >>> from kvant.circuit import Circuit
        >>> from kvant.sim import StateVectorEngine
        >>> r = StateVectorEngine().run(Circuit(2).x(1))
        >>> r.probabilities().tolist(), r.probabilities([1]).tolist()
        ([0.0, 0.0, 1.0, 0.0], [0.0, 1.0])
        """
        state = self._require_state()
        probs = np.abs(state.astype(np.complex128, copy=False)) ** 2
        if qubits is None:
            return probs
        chosen = [int(q) for q in qubits]
        n = self.num_qubits
        if len(set(chosen)) != len(chosen) or any(not 0 <= q < n for q in chosen):
            raise ConfigError(f"qubits {chosen} must be distinct and in 0..{n - 1}")
        tensor = probs.reshape((2,) * n)
        others = tuple(n - 1 - q for q in range(n) if q not in chosen)
        marginal = tensor.sum(axis=others) if others else tensor
        # remaining axes are in decreasing qubit order; put qubits[0] last (least significant)
        remaining = sorted(chosen, reverse=True)
        order = [remaining.index(q) for q in reversed(chosen)]
        return np.ascontiguousarray(np.transpose(marginal, order)).reshape(-1)

    def expectation(self, pauli: PauliLike) -> float:
        """Expectation value of a Pauli string or a weighted sum of them.

        Args:
            pauli: ``"XZI"`` (the rightmost letter acts on qubit 0, as in Qiskit), a dict
                ``{qubit: letter}``, or a list of ``(coefficient, label)`` pairs.

        Returns:
            The real expectation value.

        Raises:
            SimulationError: If the result has no state vector.
            ConfigError: For a malformed operator.

        >>> from kvant.circuit import Circuit
        >>> from kvant.sim import StateVectorEngine
        >>> r = StateVectorEngine().run(Circuit(2).x(0))
        >>> r.expectation("IZ"), r.expectation({1: "Z"}), r.expectation([(2, "ZI"), (1, "IZ")])
        (-1.0, 1.0, 1.0)
        """
        return pauli_expectation(self._require_state(), pauli)

    # plain data -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready data; the state vector as ``{"dtype", "amplitudes": [[re, im]]}``.

        >>> from kvant.circuit import Circuit
        >>> from kvant.sim import StateVectorEngine
        >>> data = StateVectorEngine().run(Circuit(1).x(0), seed=1).to_dict()
        >>> data["state_vector"]
        {'dtype': 'complex128', 'amplitudes': [[0.0, 0.0], [1.0, 0.0]]}
        >>> Result.from_dict(data) == Result.from_dict(data)
        True
        """
        state = None
        if self.state_vector is not None:
            pairs = np.stack([self.state_vector.real, self.state_vector.imag], axis=-1)
            state = {
                "dtype": self.state_vector.dtype.name,
                "amplitudes": pairs.astype(np.float64).tolist(),
            }
        return {
            "engine": self.engine,
            "num_qubits": self.num_qubits,
            "num_clbits": self.num_clbits,
            "shots": self.shots,
            "seed": self.seed,
            "counts": dict(self.counts),
            "state_vector": state,
            "memory": None if self.memory is None else list(self.memory),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """Rebuild a result from :meth:`to_dict` output.

        Raises:
            ConfigError: If a field is missing or malformed.
        """
        try:
            state_data = data["state_vector"]
            state = None
            if state_data is not None:
                dtype = str(state_data["dtype"])
                if dtype not in _DTYPES:
                    raise ConfigError(f"state_vector dtype {dtype!r} is not one of {_DTYPES}")
                pairs = np.asarray(state_data["amplitudes"], dtype=np.float64).reshape(-1, 2)
                state = (pairs[:, 0] + 1j * pairs[:, 1]).astype(dtype)
            memory = data.get("memory")
            seed = data["seed"]
            return cls(
                engine=str(data["engine"]),
                num_qubits=int(data["num_qubits"]),
                num_clbits=int(data["num_clbits"]),
                shots=int(data["shots"]),
                seed=None if seed is None else int(seed),
                counts={str(k): int(v) for k, v in dict(data["counts"]).items()},
                state_vector=state,
                memory=None if memory is None else tuple(str(m) for m in memory),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"cannot read a Result from this data: {exc!r}") from exc

    # comparison and merging -----------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        same_state = (self.state_vector is None and other.state_vector is None) or (
            self.state_vector is not None
            and other.state_vector is not None
            and self.state_vector.dtype == other.state_vector.dtype
            and np.array_equal(self.state_vector, other.state_vector)
        )
        return same_state and (
            self.engine,
            self.num_qubits,
            self.num_clbits,
            self.shots,
            self.seed,
            self.counts,
            self.memory,
        ) == (
            other.engine,
            other.num_qubits,
            other.num_clbits,
            other.shots,
            other.seed,
            other.counts,
            other.memory,
        )

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: Result) -> Result:
        """Pool the shots of two runs of the same circuit.

        Counts and memory are concatenated; the state vector is kept only if both agree
        exactly; the merged seed is None (no single seed reproduces it).

        Raises:
            ConfigError: If the registers differ.

        >>> from kvant.circuit import Circuit
        >>> from kvant.sim import StateVectorEngine
        >>> c = Circuit(1).h(0).measure_all()
        >>> e = StateVectorEngine()
        >>> (e.run(c, shots=10, seed=1) + e.run(c, shots=20, seed=2)).shots
        30
        """
        if not isinstance(other, Result):
            return NotImplemented
        if (self.num_qubits, self.num_clbits) != (other.num_qubits, other.num_clbits):
            raise ConfigError(
                f"cannot add results of {self.num_qubits} qubits/{self.num_clbits} clbits and "
                f"{other.num_qubits} qubits/{other.num_clbits} clbits"
            )
        counts = dict(self.counts)
        for key, number in other.counts.items():
            counts[key] = counts.get(key, 0) + number
        state = self.state_vector
        if (
            state is None
            or other.state_vector is None
            or state.dtype != other.state_vector.dtype
            or not np.array_equal(state, other.state_vector)
        ):
            state = None
        memory = None
        if self.memory is not None and other.memory is not None:
            memory = self.memory + other.memory
        engine = self.engine if self.engine == other.engine else f"{self.engine}+{other.engine}"
        return Result(
            engine=engine,
            num_qubits=self.num_qubits,
            num_clbits=self.num_clbits,
            shots=self.shots + other.shots,
            seed=None,
            counts=counts,
            state_vector=state,
            memory=memory,
        )

    def __repr__(self) -> str:
        state = "None"
        if self.state_vector is not None:
            state = f"<{self.state_vector.shape[0]} {self.state_vector.dtype} amplitudes>"
        return (
            f"Result(engine={self.engine!r}, num_qubits={self.num_qubits}, "
            f"num_clbits={self.num_clbits}, shots={self.shots}, seed={self.seed}, "
            f"counts={self.counts}, state_vector={state})"
        )
