"""Noise as data: Kraus channels and readout errors, the vocabulary of the noisy engines.

A :class:`KrausChannel` is a completely positive, trace-preserving (CPTP) map on a few qubits,
``rho -> sum_i K_i rho K_i^dagger``, with Kraus operators in *textbook* order (the channel's
first qubit is the most significant bit of the operator index, as for gate matrices). A
:class:`ReadoutError` is the classical confusion of one qubit's measurement. ``kvant.device``
builds both from a calibration; the engines here only consume them, so ``kvant.sim`` never
depends on where the numbers came from.

Figures of merit follow Nielsen, "A simple formula for the average gate fidelity of a quantum
dynamical operation", Phys. Lett. A 303, 249 (2002), eq. 3 and Horodecki et al., PRA 60, 1888
(1999): the process (entanglement) fidelity ``F_pro = sum_i |Tr K_i|^2 / d^2`` and the average
gate fidelity ``F_avg = (d F_pro + 1) / (d + 1)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvant.circuit import Condition
from kvant.errors import ConfigError

__all__ = ["KrausChannel", "ReadoutError", "pauli_basis"]

Matrix = NDArray[np.complex128]

#: Largest deviation of ``sum K^dagger K`` from the identity accepted as trace preserving.
_TP_ATOL = 1e-9
_MAX_QUBITS = 3

_PAULIS = (
    np.eye(2, dtype=np.complex128),
    np.array([[0, 1], [1, 0]], dtype=np.complex128),
    np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    np.array([[1, 0], [0, -1]], dtype=np.complex128),
)


@cache
def pauli_basis(num_qubits: int) -> NDArray[np.complex128]:
    """The ``4**k`` Pauli matrices on k qubits, stacked, in the order ``I, X, Y, Z`` per qubit.

    Index ``i = sum_j P_j 4**(k-1-j)`` with ``P_j`` in ``I=0, X=1, Y=2, Z=3`` the Pauli on the
    j-th operand (textbook order: operand 0 is the most significant digit), so ``"XZ"`` on
    qubits ``(a, b)`` (X on a) has index ``1*4 + 3 = 7``. This is Stim's ``PAULI_CHANNEL_2``
    argument order.

    >>> pauli_basis(1).shape, pauli_basis(2).shape
    ((4, 2, 2), (16, 4, 4))
    """
    mats = [
        _kron_all([_PAULIS[p] for p in digits])
        for digits in itertools.product(range(4), repeat=num_qubits)
    ]
    out = np.stack(mats)
    out.flags.writeable = False
    return out


def _kron_all(mats: Sequence[Matrix]) -> Matrix:
    out: Matrix = np.ones((1, 1), dtype=np.complex128)
    for m in mats:
        out = np.asarray(np.kron(out, m), dtype=np.complex128)
    return out


def _as_probability(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number in [0, 1], got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise ConfigError(f"{name} must be in [0, 1], got {number!r}")
    return number


@dataclass(frozen=True, eq=False)
class KrausChannel:
    """A CPTP map ``rho -> sum_i K_i rho K_i^dagger`` on ``qubits``.

    Attributes:
        qubits: The qubits it acts on, in operand order (the first is the most significant bit
            of each operator's index).
        operators: Kraus operators, an array of shape ``(m, 2**k, 2**k)`` (read-only).
        label: A name for reports (``"sx q3"``, ``"idle q0 120 ns"``).
        condition: Apply only if the classical bits satisfy it (the channel of a conditioned
            gate).

    Raises:
        ConfigError: For a wrong shape, repeated qubits, non-finite entries or operators that
            are not trace preserving (``sum K^dagger K != I``).

    >>> import numpy as np
    >>> p = 0.1
    >>> x = np.array([[0, 1], [1, 0]])
    >>> flip = KrausChannel((0,), [np.sqrt(1 - p) * np.eye(2), np.sqrt(p) * x])
    >>> flip.is_cptp(), round(flip.process_fidelity(), 12)
    (True, 0.9)
    >>> flip.pauli_probabilities().round(12).tolist()
    [0.9, 0.1, 0.0, 0.0]
    """

    qubits: tuple[int, ...]
    operators: NDArray[np.complex128] = field(repr=False)
    label: str = ""
    condition: Condition | None = None
    _cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        qubits = tuple(int(q) for q in self.qubits)
        if not qubits or len(set(qubits)) != len(qubits) or min(qubits) < 0:
            raise ConfigError(f"a channel needs distinct non-negative qubits, got {list(qubits)}")
        if len(qubits) > _MAX_QUBITS:
            raise ConfigError(f"channels act on at most {_MAX_QUBITS} qubits, got {len(qubits)}")
        dim = 1 << len(qubits)
        try:
            ops = np.array(self.operators, dtype=np.complex128)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"Kraus operators are not a complex array: {exc}") from exc
        if ops.ndim == 2:
            ops = ops[None]
        if ops.ndim != 3 or ops.shape[1:] != (dim, dim) or ops.shape[0] < 1:
            raise ConfigError(
                f"a channel on {len(qubits)} qubit(s) needs Kraus operators of shape "
                f"(m, {dim}, {dim}), got {ops.shape}"
            )
        if not np.all(np.isfinite(ops)):
            raise ConfigError("Kraus operators have NaN or infinite entries")
        total = np.einsum("kji,kjl->il", ops.conj(), ops)
        deviation = float(np.max(np.abs(total - np.eye(dim))))
        if deviation > _TP_ATOL:
            raise ConfigError(
                f"channel {self.label or list(qubits)} is not trace preserving: "
                f"max |sum K^dag K - I| = {deviation:.2e}"
            )
        ops.flags.writeable = False
        object.__setattr__(self, "qubits", qubits)
        object.__setattr__(self, "operators", ops)

    # shape ----------------------------------------------------------------------------------
    @property
    def num_qubits(self) -> int:
        """Number of qubits acted on."""
        return len(self.qubits)

    @property
    def dim(self) -> int:
        """Hilbert-space dimension ``2**num_qubits``."""
        return 1 << len(self.qubits)

    def on(self, qubits: Sequence[int]) -> KrausChannel:
        """The same map on other qubits (same operand order).

        The copy shares this channel's computed figures (superoperator, Pauli twirl...), which
        do not depend on the qubits, so relabelling a channel many times costs nothing.

        Raises:
            ConfigError: For a different number of qubits or repeated qubits.
        """
        target = tuple(int(q) for q in qubits)
        if target == self.qubits:
            return self
        if len(target) != len(self.qubits) or len(set(target)) != len(target) or min(target) < 0:
            raise ConfigError(
                f"channel {self.label!r} acts on {len(self.qubits)} qubit(s); got {list(target)}"
            )
        return self._copy(target, self.condition)

    def with_condition(self, condition: Condition | None) -> KrausChannel:
        """A copy applied only when ``condition`` holds (sharing the computed figures)."""
        return self if condition == self.condition else self._copy(self.qubits, condition)

    def _copy(self, qubits: tuple[int, ...], condition: Condition | None) -> KrausChannel:
        # the operators were validated when this channel was made; the cache is shared
        # (entries that depend on the qubits are keyed by them)
        out = object.__new__(KrausChannel)
        for name, value in (
            ("qubits", qubits),
            ("operators", self.operators),
            ("label", self.label),
            ("condition", condition),
            ("_cache", self._cache),
        ):
            object.__setattr__(out, name, value)
        return out

    # algebra --------------------------------------------------------------------------------
    def then(self, other: KrausChannel) -> KrausChannel:
        """The channel ``other o self`` (self first), on the same qubits, in canonical form.

        Raises:
            ConfigError: If the qubits differ.
        """
        if other.qubits != self.qubits:
            raise ConfigError(
                f"cannot compose channels on {list(self.qubits)} and {list(other.qubits)}"
            )
        products = np.einsum("aij,bjk->baik", other.operators, self.operators)
        ops = products.reshape(-1, self.dim, self.dim)
        label = " + ".join(x for x in (self.label, other.label) if x)
        return KrausChannel(self.qubits, ops, label, self.condition).canonical()

    def choi(self) -> Matrix:
        """Choi matrix ``J = sum_i vec(K_i) vec(K_i)^dagger`` (row-major vec), trace ``d``."""
        vecs = self.operators.reshape(self.operators.shape[0], -1)
        out: Matrix = vecs.T @ vecs.conj()
        return out

    def canonical(self, *, atol: float = 1e-14) -> KrausChannel:
        """An equivalent channel with at most ``d**2`` orthogonal Kraus operators.

        From the eigen-decomposition of the Choi matrix (Choi, Lin. Alg. Appl. 10, 285, 1975):
        ``K_i = sqrt(lambda_i) unvec(v_i)``; eigenvalues below ``atol`` are dropped.
        """
        key = ("canonical", self.qubits, self.condition)
        if key in self._cache:
            return self._cache[key]  # type: ignore[no-any-return]
        values, vectors = np.linalg.eigh(self.choi())
        keep = values > atol
        order = np.argsort(values[keep])[::-1]
        vals = values[keep][order]
        vecs = vectors[:, keep][:, order]
        ops = (vecs * np.sqrt(vals)).T.reshape(-1, self.dim, self.dim)
        # restore trace preservation lost to rounding of the dropped eigenvalues
        total = np.einsum("kji,kjl->il", ops.conj(), ops)
        w, v = np.linalg.eigh(total)
        ops = ops @ (v @ np.diag(w**-0.5) @ v.conj().T)
        result = KrausChannel(self.qubits, ops, self.label, self.condition)
        self._cache[key] = result
        return result

    def superoperator(self) -> Matrix:
        """``S = sum_i K_i (x) conj(K_i)``, acting on ``vec(rho)`` (row-major), ``d^2 x d^2``."""
        if "superoperator" not in self._cache:
            ops = self.operators
            sup = np.einsum("kab,kcd->acbd", ops, ops.conj()).reshape(self.dim**2, self.dim**2)
            sup.flags.writeable = False
            self._cache["superoperator"] = sup
        return self._cache["superoperator"]  # type: ignore[no-any-return]

    def apply_to(self, density_matrix: ArrayLike) -> Matrix:
        """``sum_i K_i rho K_i^dagger`` for a ``d x d`` density matrix on exactly these qubits."""
        rho = np.asarray(density_matrix, dtype=np.complex128)
        if rho.shape != (self.dim, self.dim):
            raise ConfigError(f"density matrix must be {self.dim}x{self.dim}, got {rho.shape}")
        out: Matrix = np.einsum("kij,jl,kml->im", self.operators, rho, self.operators.conj())
        return out

    # properties -----------------------------------------------------------------------------
    def is_cptp(self, *, atol: float = 1e-10) -> bool:
        """True if the Choi matrix is positive semidefinite (complete positivity) and its
        partial trace over the output is the identity (trace preservation)."""
        choi = self.choi()
        if float(np.min(np.linalg.eigvalsh(choi))) < -atol:
            return False
        d = self.dim
        # J[(a,b),(c,e)] = sum K[a,b] conj(K[c,e]); tracing out the output index a=c gives
        # sum_a K[a,b] conj(K[a,e]) = (K^dag K)^T[b,e]
        partial = np.einsum("abae->be", choi.reshape(d, d, d, d))
        return bool(np.allclose(partial, np.eye(d), atol=atol))

    def process_fidelity(self) -> float:
        """Process (entanglement) fidelity with the identity, ``sum_i |Tr K_i|^2 / d^2``."""
        traces = np.trace(self.operators, axis1=1, axis2=2)
        return float(np.sum(np.abs(traces) ** 2) / self.dim**2)

    def average_gate_fidelity(self) -> float:
        """``(d F_pro + 1) / (d + 1)`` (Horodecki et al. 1999; Nielsen 2002, eq. 3)."""
        d = self.dim
        return (d * self.process_fidelity() + 1) / (d + 1)

    def average_gate_infidelity(self) -> float:
        """``1 - average_gate_fidelity()``: what a calibration reports as "gate error"."""
        return 1.0 - self.average_gate_fidelity()

    def pauli_probabilities(self) -> NDArray[np.float64]:
        """Probabilities of the Pauli twirl of this channel, in :func:`pauli_basis` order.

        Twirling over the Pauli group keeps the diagonal of the chi matrix:
        ``p_P = sum_i |Tr(P K_i) / d|^2`` (Dankert et al., PRA 80, 012304, 2009; Wallman &
        Emerson, PRA 94, 052325, 2016). ``p_I`` equals the process fidelity, so the twirl
        preserves it (and the average gate fidelity). Cached.
        """
        if "pauli" not in self._cache:
            basis = pauli_basis(self.num_qubits)
            coeffs = np.einsum("pij,kji->kp", basis, self.operators) / self.dim
            probs = np.sum(np.abs(coeffs) ** 2, axis=0)
            probs = np.clip(probs, 0.0, None)
            probs /= probs.sum()
            probs.flags.writeable = False
            self._cache["pauli"] = probs
        return self._cache["pauli"]  # type: ignore[no-any-return]

    def pauli_twirl(self) -> KrausChannel:
        """The Pauli-twirled channel ``rho -> sum_P p_P P rho P`` as a Kraus channel."""
        probs = self.pauli_probabilities()
        basis = pauli_basis(self.num_qubits)
        keep = probs > 0
        ops = np.sqrt(probs[keep])[:, None, None] * basis[keep]
        return KrausChannel(self.qubits, ops, self.label + " (twirled)", self.condition)

    def unitary_mixture(self) -> NDArray[np.float64] | None:
        """Weights ``w_i`` if every ``K_i = sqrt(w_i) U_i`` with ``U_i`` unitary, else None.

        For such channels the branch probabilities do not depend on the state. Cached.
        """
        if "mixture" not in self._cache:
            d = self.dim
            gram = np.einsum("kji,kjl->kil", self.operators.conj(), self.operators)
            weights = np.real(np.trace(gram, axis1=1, axis2=2)) / d
            ideal = weights[:, None, None] * np.eye(d)
            mixture = bool(np.allclose(gram, ideal, atol=1e-12))
            self._cache["mixture"] = weights if mixture else None
        return self._cache["mixture"]  # type: ignore[no-any-return]

    # plain data -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready data: operators as nested ``[re, im]`` pairs.

        >>> import numpy as np
        >>> c = KrausChannel((2,), [np.eye(2)], "noop")
        >>> KrausChannel.from_dict(c.to_dict()) == c
        True
        """
        pairs = np.stack([self.operators.real, self.operators.imag], axis=-1)
        return {
            "qubits": list(self.qubits),
            "label": self.label,
            "operators": pairs.tolist(),
            "condition": None
            if self.condition is None
            else {"clbits": list(self.condition.clbits), "value": self.condition.value},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KrausChannel:
        """Rebuild a channel from :meth:`to_dict` output.

        Raises:
            ConfigError: If a field is missing or malformed.
        """
        try:
            pairs = np.asarray(data["operators"], dtype=np.float64)
            condition = data.get("condition")
            return cls(
                tuple(int(q) for q in data["qubits"]),
                pairs[..., 0] + 1j * pairs[..., 1],
                str(data.get("label", "")),
                None
                if condition is None
                else Condition(tuple(int(b) for b in condition["clbits"]), int(condition["value"])),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"cannot read a KrausChannel from this data: {exc!r}") from exc

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KrausChannel):
            return NotImplemented
        return (
            self.qubits == other.qubits
            and self.label == other.label
            and self.condition == other.condition
            and self.operators.shape == other.operators.shape
            and bool(np.array_equal(self.operators, other.operators))
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class ReadoutError:
    """Classical confusion of one qubit's measurement.

    Attributes:
        p_meas1_prep0: Probability of reading 1 when the qubit was in |0>.
        p_meas0_prep1: Probability of reading 0 when the qubit was in |1>.

    >>> e = ReadoutError(0.01, 0.03)
    >>> e.confusion_matrix().tolist()
    [[0.99, 0.03], [0.01, 0.97]]
    >>> ReadoutError.from_dict(e.to_dict()) == e
    True
    """

    p_meas1_prep0: float
    p_meas0_prep1: float

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "p_meas1_prep0", _as_probability("p_meas1_prep0", self.p_meas1_prep0)
        )
        object.__setattr__(
            self, "p_meas0_prep1", _as_probability("p_meas0_prep1", self.p_meas0_prep1)
        )

    @property
    def is_trivial(self) -> bool:
        """True if both flip probabilities are 0."""
        return self.p_meas1_prep0 == 0.0 and self.p_meas0_prep1 == 0.0

    @property
    def mean_error(self) -> float:
        """``(p_meas1_prep0 + p_meas0_prep1) / 2``: the "readout error" of calibration tables."""
        return (self.p_meas1_prep0 + self.p_meas0_prep1) / 2

    def confusion_matrix(self) -> NDArray[np.float64]:
        """``A[read, prepared]``: column j is the distribution of the read bit given j."""
        a, b = self.p_meas1_prep0, self.p_meas0_prep1
        return np.array([[1 - a, b], [a, 1 - b]], dtype=np.float64)

    def flip_probability(self, outcome: int) -> float:
        """Probability that a true ``outcome`` (0 or 1) is read as the other value."""
        return self.p_meas1_prep0 if outcome == 0 else self.p_meas0_prep1

    def to_dict(self) -> dict[str, float]:
        """Plain data."""
        return {"p_meas1_prep0": self.p_meas1_prep0, "p_meas0_prep1": self.p_meas0_prep1}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReadoutError:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ConfigError: If a field is missing or out of range.
        """
        try:
            return cls(data["p_meas1_prep0"], data["p_meas0_prep1"])
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"cannot read a ReadoutError from this data: {exc!r}") from exc
