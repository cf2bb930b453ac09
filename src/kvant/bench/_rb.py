"""Randomized benchmarking: sequences and circuits (builder), decay fits (analysis).

Standard RB (Magesan, Gambetta & Emerson, PRL 106, 180504, 2011): random sequences of ``m``
Cliffords followed by the one Clifford that inverts them; the probability of reading
``0...0`` decays as ``A alpha^m + B``, and the error per Clifford is
``EPC = (d - 1)/d (1 - alpha)`` with ``d = 2^n`` (eq. 4 there; REFERENCES.md). Interleaved RB
(Magesan et al., PRL 109, 080505, 2012, eq. 4) inserts a gate C after every Clifford and
estimates its error as ``r_C = (d - 1)/d (1 - alpha_C / alpha)``.

Sequences of different lengths share their prefixes (one random sequence per index,
truncated), as qiskit-experiments does by default. Two-qubit elements are separated by
barriers so that each starts with both qubits aligned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvant.bench._clifford import clifford_1q, clifford_2q
from kvant.bench._fit import binomial_stderr, check_series, fit_rb_decay
from kvant.bench._results import FitQuality, FitResult, Metric
from kvant.circuit import Circuit
from kvant.errors import AnalysisError, ConfigError

__all__ = [
    "RBResult",
    "RBSequences",
    "analyse_interleaved_rb",
    "analyse_rb",
    "rb_circuits",
    "rb_sequences",
]

IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class RBSequences:
    """Random Clifford sequences for one qubit or one coupler.

    Attributes:
        num_qubits: 1 or 2.
        lengths: Sequence lengths ``m`` (Cliffords before the inverse), increasing.
        elements: ``(num_sequences, max(lengths))`` Clifford indices (see
            :func:`~kvant.bench.clifford_1q` / :func:`~kvant.bench.clifford_2q`).
        recovery: ``(num_sequences, len(lengths))`` index of the inverting Clifford.
        interleaved: ``"cz"`` for interleaved RB (a CZ after every Clifford), else ``""``.
    """

    num_qubits: int
    lengths: tuple[int, ...]
    elements: IntArray
    recovery: IntArray
    interleaved: str = ""

    @property
    def num_sequences(self) -> int:
        """Sequences per length."""
        return int(self.elements.shape[0])


def _check_lengths(lengths: Sequence[int]) -> tuple[int, ...]:
    out = tuple(int(m) for m in lengths)
    if len(out) < 4 or any(m < 1 for m in out) or list(out) != sorted(set(out)):
        raise ConfigError(
            f"RB lengths must be at least 4 distinct increasing integers >= 1, got {list(out)}"
        )
    return out


def rb_sequences(
    num_qubits: int,
    lengths: Sequence[int],
    num_sequences: int,
    seed: int | np.random.Generator,
    *,
    interleaved: str = "",
) -> RBSequences:
    """Draw ``num_sequences`` random sequences and their inverting Cliffords.

    Args:
        num_qubits: 1 or 2.
        lengths: Lengths ``m`` (at least 4, increasing).
        num_sequences: Sequences per length (>= 1).
        seed: Seed or Generator.
        interleaved: ``"cz"`` (2 qubits only) for interleaved RB.

    Raises:
        ConfigError: For bad arguments.

    >>> seqs = rb_sequences(1, [1, 2, 4, 8], 3, seed=1)
    >>> seqs.elements.shape, seqs.recovery.shape
    ((3, 8), (3, 4))
    """
    if num_qubits not in (1, 2):
        raise ConfigError(f"RB here is for 1 or 2 qubits, got {num_qubits}")
    if interleaved not in ("", "cz") or (interleaved and num_qubits != 2):
        raise ConfigError(f"interleaved must be '' or 'cz' (2 qubits), got {interleaved!r}")
    if isinstance(num_sequences, bool) or not isinstance(num_sequences, int) or num_sequences < 1:
        raise ConfigError(f"num_sequences must be a positive integer, got {num_sequences!r}")
    ms = _check_lengths(lengths)
    rng = np.random.default_rng(seed)
    size = 24 if num_qubits == 1 else 11520
    elements = rng.integers(0, size, size=(num_sequences, ms[-1]), dtype=np.int64)
    recovery = np.zeros((num_sequences, len(ms)), dtype=np.int64)
    checkpoints = {m: k for k, m in enumerate(ms)}
    if num_qubits == 1:
        table = clifford_1q()
        acc = np.zeros(num_sequences, dtype=np.int64)
        for j in range(ms[-1]):
            acc = table.then[acc, elements[:, j]]
            if j + 1 in checkpoints:
                recovery[:, checkpoints[j + 1]] = table.inverse[acc]
    else:  # products of 4x4 unitaries, batched over sequences
        two = clifford_2q()
        cz = np.diag([1.0, 1.0, 1.0, -1.0]).astype(np.complex128)
        prod = np.broadcast_to(np.eye(4, dtype=np.complex128), (num_sequences, 4, 4)).copy()
        for j in range(ms[-1]):
            prod = two.unitaries[elements[:, j]] @ prod
            if interleaved:
                prod = cz @ prod
            if j + 1 in checkpoints:
                inverse = np.conj(np.swapaxes(prod, 1, 2))
                recovery[:, checkpoints[j + 1]] = [two.index_of_unitary(u) for u in inverse]
    return RBSequences(num_qubits, ms, elements, recovery, interleaved)


def rb_circuits(sequences: RBSequences, qubits: Sequence[int] | None = None) -> list[Circuit]:
    """The circuits of one RB experiment, length-major: ``[len0 seq0, len0 seq1, ...]``.

    Args:
        sequences: From :func:`rb_sequences`.
        qubits: Where to put them in a wider circuit (default ``0..n-1``, a circuit of n
            qubits); the circuit then has as many qubits as ``max(qubits) + 1``.

    Returns:
        Native circuits (``rz``, ``sx``, ``x``, ``cz``, barriers), each measuring its qubits.

    >>> seqs = rb_sequences(1, [1, 2, 3, 4], 2, seed=0)
    >>> len(rb_circuits(seqs)), rb_circuits(seqs)[0].num_qubits
    (8, 1)
    """
    n = sequences.num_qubits
    where = tuple(range(n)) if qubits is None else tuple(int(q) for q in qubits)
    if len(where) != n:
        raise ConfigError(f"RB on {n} qubit(s) needs {n} qubit index(es), got {list(where)}")
    width = max(where) + 1
    out: list[Circuit] = []
    for k, m in enumerate(sequences.lengths):
        for s in range(sequences.num_sequences):
            circuit = Circuit(width, n, name=f"rb m={m} s={s}")
            for index in sequences.elements[s, :m]:
                _append(circuit, n, int(index), where)
                if sequences.interleaved:
                    circuit.cz(where[0], where[1])
                    circuit.barrier(*where)
            _append(circuit, n, int(sequences.recovery[s, k]), where)
            for bit, q in enumerate(where):
                circuit.measure(q, bit)
            out.append(circuit)
    return out


def _append(circuit: Circuit, n: int, index: int, where: tuple[int, ...]) -> None:
    if n == 1:
        clifford_1q().append_to(circuit, index, where[0])
    else:
        clifford_2q().append_to(circuit, index, where[0], where[1])
        circuit.barrier(*where)


@dataclass(frozen=True)
class RBResult:
    """What an RB experiment measured.

    Attributes:
        fit: The decay fit of the mean survival probability.
        alpha: Depolarizing parameter per Clifford.
        epc: Error per Clifford.
        epg: Error per physical gate (1 qubit: per ``sx``/``x``; see :func:`analyse_rb`).
    """

    fit: FitResult
    alpha: Metric
    epc: Metric
    epg: Metric | None = None

    def metrics(self) -> list[Metric]:
        """The metrics, for a datasheet."""
        return [self.alpha, self.epc] + ([self.epg] if self.epg is not None else [])


def survival_from_counts(
    counts: Sequence[Sequence[dict[str, int]]], num_qubits: int, *, what: str
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(survived, shots)`` arrays ``(lengths, sequences)`` from counts dictionaries
    (the all-zeros outcome survives).

    Raises:
        AnalysisError: For a malformed counts table.
    """
    zero = "0" * num_qubits
    try:
        shaped = [[dict(c) for c in row] for row in counts]
        survived = np.array([[int(c.get(zero, 0)) for c in row] for row in shaped])
        shots = np.array([[int(sum(c.values())) for c in row] for row in shaped])
    except (TypeError, ValueError, AttributeError) as exc:
        raise AnalysisError(
            f"{what}: counts must be a list (per length) of lists (per sequence) of "
            f"{{bitstring: count}} objects ({exc})"
        ) from None
    if survived.ndim != 2 or survived.size == 0:
        raise AnalysisError(f"{what}: counts must have the same number of sequences per length")
    if np.any(shots <= 0):
        raise AnalysisError(f"{what}: a sequence has no shots")
    return survived.astype(np.int64), shots.astype(np.int64)


def analyse_rb(
    lengths: ArrayLike,
    survived: ArrayLike,
    shots: ArrayLike,
    *,
    num_qubits: int,
    qubits: Sequence[int] = (),
    gates_per_clifford: float | None = None,
) -> RBResult:
    """Fit an RB decay and derive the error per Clifford (and per gate).

    The mean survival over sequences at each length is fitted to ``A alpha^m + B``; its error
    bar is the standard error of the mean over sequences (binomial if one sequence).
    ``EPC = (d - 1)/d (1 - alpha)``. For one qubit with ``gates_per_clifford`` physical gates
    per Clifford (0.833 for Kvant's native set: ``rz`` is virtual and error free), the error
    per gate is ``EPC / gates_per_clifford`` (errors add to first order).

    Args:
        lengths: ``(L,)`` sequence lengths.
        survived: ``(L, S)`` shots that read all zeros, per length and sequence.
        shots: ``(L, S)`` shots (or a scalar).
        num_qubits: 1 or 2.
        qubits: Which qubits (for the metrics).
        gates_per_clifford: Physical gates per Clifford, for the error per gate.

    Returns:
        The fit and metrics (quality flag ``bad-fit`` where the fit cannot be trusted).

    Raises:
        AnalysisError: For NaN, fewer than 4 lengths, or shapes that do not match.

    >>> import numpy as np
    >>> m = np.array([1, 50, 100, 200, 400, 800])
    >>> p = 0.5 * (1 - 2 * 1e-3) ** m + 0.5  # EPC = 1e-3 on one qubit
    >>> res = analyse_rb(m, (p * 1e6)[:, None], 1e6, num_qubits=1)
    >>> round(res.epc.value, 6)
    0.001
    """
    what = f"RB on qubits {list(qubits)}" if qubits else "RB"
    m = np.asarray(lengths, dtype=np.float64)
    k = np.asarray(survived, dtype=np.float64)
    if k.ndim == 1:
        k = k[:, None]
    n_shots = np.broadcast_to(np.asarray(shots, dtype=np.float64), k.shape) if k.ndim == 2 else k
    if k.ndim != 2 or k.shape[0] != m.shape[0]:
        raise AnalysisError(
            f"{what}: survived must be (lengths, sequences) = ({m.shape[0]}, S), got {k.shape}"
        )
    if not np.all(np.isfinite(k)) or not np.all(np.isfinite(n_shots)):
        raise AnalysisError(f"{what}: the counts contain NaN or infinity")
    if np.any(n_shots <= 0) or np.any(k < 0) or np.any(k > n_shots):
        raise AnalysisError(f"{what}: counts must satisfy 0 <= survived <= shots, shots > 0")
    p = k / n_shots
    mean = p.mean(axis=1)
    if k.shape[1] > 1:
        err = p.std(axis=1, ddof=1) / math.sqrt(k.shape[1])
        floor = binomial_stderr(k.sum(axis=1), n_shots.sum(axis=1))
        err = np.maximum(err, floor)
    else:
        err = binomial_stderr(k[:, 0], n_shots[:, 0])
    check_series(m, mean, err, what=what, min_points=4)
    fit = fit_rb_decay(m, mean, err, num_qubits=num_qubits, what=what)
    d = 2**num_qubits
    alpha, alpha_err = fit.params["alpha"], fit.stderr["alpha"]
    scale = (d - 1) / d
    method = "standard RB, fit A alpha^m + B, covariance stderr (Magesan et al. 2011)"
    common: dict[str, Any] = {
        "qubits": tuple(qubits),
        "quality": fit.quality,
        "reason": fit.reason,
    }
    alpha_metric = Metric(
        f"rb_alpha_{num_qubits}q", alpha, alpha_err, "", method, fit=fit, **common
    )
    epc = Metric(f"epc_{num_qubits}q", scale * (1 - alpha), scale * alpha_err, "", method, **common)
    epg = None
    if gates_per_clifford is not None:
        if not gates_per_clifford > 0:
            raise AnalysisError(f"{what}: gates_per_clifford must be > 0")
        epg = Metric(
            f"epg_{num_qubits}q",
            epc.value / gates_per_clifford,
            epc.stderr / gates_per_clifford,
            "",
            f"EPC / {gates_per_clifford:.4g} physical gates per Clifford",
            **common,
        )
    return RBResult(fit, alpha_metric, epc, epg)


def analyse_interleaved_rb(
    reference: RBResult, interleaved: RBResult, *, gate: str = "cz", qubits: Sequence[int] = ()
) -> Metric:
    """Error of the interleaved gate, ``r = (d - 1)/d (1 - alpha_C / alpha)`` (Magesan et al.,
    PRL 109, 080505, 2012, eq. 4), stderr by propagating both fits' standard errors.

    >>> import numpy as np
    >>> m = np.array([1, 10, 30, 60, 100, 200])
    >>> ref = analyse_rb(m, 1e6 * (0.75 * 0.99**m + 0.25), 1e6, num_qubits=2)
    >>> irb = analyse_rb(m, 1e6 * (0.75 * 0.986**m + 0.25), 1e6, num_qubits=2)
    >>> round(analyse_interleaved_rb(ref, irb).value, 6)  # 3/4 (1 - 0.986/0.99)
    0.00303
    """
    a, ea = reference.alpha.value, reference.alpha.stderr
    c, ec = interleaved.alpha.value, interleaved.alpha.stderr
    d = 2 ** (2 if interleaved.epc.name.endswith("2q") else 1)
    scale = (d - 1) / d
    bad = [r for r in (reference, interleaved) if not r.fit.good]
    if a <= 0 or not math.isfinite(a) or not math.isfinite(c):
        value, err = math.nan, math.nan
    else:
        value = scale * (1 - c / a)
        err = scale * math.hypot(ec / a, c * ea / a**2)
    reason = "; ".join(r.fit.reason for r in bad)
    return Metric(
        f"error_{gate}",
        value,
        err,
        "",
        "interleaved RB (Magesan et al. 2012, eq. 4), stderr propagated from both fits",
        tuple(qubits),
        FitQuality.BAD_FIT if bad or not math.isfinite(value) else FitQuality.GOOD,
        reason or ("the fit failed" if not math.isfinite(value) else ""),
        interleaved.fit,
    )
