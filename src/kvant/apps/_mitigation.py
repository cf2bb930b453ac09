"""Energies measured on the noisy device, with readout-error mitigation and zero-noise
extrapolation.

* Measurement: the Hamiltonian's terms are split into qubit-wise commuting groups (greedy, largest
  weight first; Kandala et al. 2017, Nature 549, 242, supplement); each group is one circuit
  with its basis rotations, run with shots by :func:`kvant.device.run_on_device`.
* Readout mitigation: the tensored inverse of each measured qubit's 2 x 2 assignment matrix
  ``A = [[1 - p(1|0), p(0|1)], [p(1|0), 1 - p(0|1)]]`` from the device calibration, applied to
  the measured distribution (Bravyi, Sheldon, Kandala, McKay & Gambetta 2021, PRA 103, 042605,
  eq. 4, tensor-product noise).
* Zero-noise extrapolation: global unitary folding ``U -> U (U^dag U)^k`` scales the noise by
  ``1 + 2k`` (Giurgica-Tiron, Hindy, LaRose, Mari & Zeng 2020, arXiv:2005.10921, eq. 5); the
  energies at the scales are extrapolated to zero by the Richardson polynomial through all
  points (Temme, Bravyi & Gambetta 2017, PRL 119, 180509, eq. 3) or a least-squares line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvant.apps._pauli_sum import PauliSum
from kvant.circuit import Circuit
from kvant.device import Calibration, load_device, run_on_device
from kvant.errors import ApplicationError

__all__ = [
    "NoisyEnergy",
    "extrapolate_to_zero",
    "fold_circuit",
    "measure_energy",
    "measurement_groups",
    "mitigate_readout",
    "readout_matrices",
]


def readout_matrices(calibration: Calibration, device_qubits: Sequence[int]) -> NDArray[np.float64]:
    """Assignment matrices ``A[k]`` (measured = A @ prepared) of the given device qubits.

    >>> from kvant.device import load_device
    >>> A = readout_matrices(load_device("kvant-50"), [0, 1])
    >>> A.shape, bool(np.allclose(A.sum(axis=1), 1))
    ((2, 2, 2), True)
    """
    out = np.empty((len(device_qubits), 2, 2))
    for k, q in enumerate(device_qubits):
        record = calibration.qubit(int(q))
        p10, p01 = record.p_meas1_prep0, record.p_meas0_prep1
        out[k] = [[1 - p10, p01], [p10, 1 - p01]]
    return out


def mitigate_readout(probabilities: ArrayLike, matrices: ArrayLike) -> NDArray[np.float64]:
    """Apply ``A_{n-1}^-1 x ... x A_0^-1`` to a little-endian distribution (quasi-probabilities).

    Args:
        probabilities: Measured distribution, length ``2**n``.
        matrices: ``A[q]`` for qubit q, shape (n, 2, 2).

    Returns:
        The mitigated quasi-probabilities (they sum to 1 and may be slightly negative).

    Raises:
        ApplicationError: For mismatched sizes.

    >>> A = np.array([[[0.9, 0.2], [0.1, 0.8]]])
    >>> mitigate_readout(A[0] @ [0.25, 0.75], A).round(12).tolist()
    [0.25, 0.75]
    """
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    mats = np.asarray(matrices, dtype=np.float64)
    n = mats.shape[0]
    if p.shape != (1 << n,) or mats.shape != (n, 2, 2):
        raise ApplicationError(
            f"need 2**n probabilities and n 2x2 matrices; got {p.shape[0]} and {mats.shape}"
        )
    tensor = p.reshape((2,) * n) if n else p
    for q in range(n):
        axis = n - 1 - q
        tensor = np.moveaxis(
            np.tensordot(np.linalg.inv(mats[q]), tensor, axes=([1], [axis])), 0, axis
        )
    return np.asarray(tensor).reshape(-1)


def fold_circuit(circuit: Circuit, scale: int) -> Circuit:
    """Global unitary folding ``U (U^dag U)^((scale - 1) / 2)`` of a measurement-free circuit.

    Raises:
        ApplicationError: For an even or non-positive scale, or a circuit with measurements.

    >>> len(fold_circuit(Circuit(1).h(0).t(0), 3))
    6
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1 or scale % 2 == 0:
        raise ApplicationError(f"a folding scale must be an odd int >= 1, got {scale!r}")
    if circuit.num_clbits or any(op.name in ("measure", "reset") for op in circuit):
        raise ApplicationError("fold the circuit before adding measurements")
    folded = circuit.copy()
    inverse = circuit.inverse()
    for _ in range((scale - 1) // 2):
        folded = folded + inverse + circuit
    return folded


def extrapolate_to_zero(scales: ArrayLike, values: ArrayLike, method: str = "richardson") -> float:
    """Value at zero noise from values at noise scales.

    Args:
        scales: Noise scale factors (distinct).
        values: Measured values at those scales.
        method: ``richardson`` (the polynomial through all points) or ``linear`` (least
            squares line).

    Raises:
        ApplicationError: For fewer than two points or an unknown method.

    >>> extrapolate_to_zero([1, 3, 5], [0.9, 0.7, 0.5])
    1.0
    """
    x = np.asarray(scales, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if x.shape != y.shape or x.shape[0] < 2 or len(set(x.tolist())) != x.shape[0]:
        raise ApplicationError("give at least two distinct scales with one value each")
    if method == "richardson":
        # Lagrange weights at 0: prod_{j != i} x_j / (x_j - x_i)
        diff = x[None, :] - x[:, None]
        np.fill_diagonal(diff, 1.0)
        ratio = x[None, :] / diff
        np.fill_diagonal(ratio, 1.0)
        return float(round(float(np.dot(np.prod(ratio, axis=1), y)), 12))
    if method == "linear":
        _slope, intercept = np.polyfit(x, y, 1)
        return float(round(float(intercept), 12))
    raise ApplicationError(f"unknown extrapolation {method!r}; use 'richardson' or 'linear'")


def measurement_groups(hamiltonian: PauliSum) -> list[tuple[str, list[int]]]:
    """Qubit-wise commuting groups: ``(basis, term indices)``, basis one letter per qubit
    (rightmost = qubit 0; ``I`` where no term of the group acts).

    >>> h = PauliSum.from_labels(2, [(1.0, "ZZ"), (0.5, "XX"), (0.2, "IZ")])
    >>> measurement_groups(h)
    [('ZZ', [0, 2]), ('XX', [1])]
    """
    n = hamiltonian.num_qubits
    groups: list[tuple[list[str], list[int]]] = []
    order = np.argsort(-np.abs(hamiltonian.coefficients), kind="stable")
    labels = hamiltonian.labels()
    for k in order.tolist():
        letters = list(labels[k])
        for basis, members in groups:
            if all(a == "I" or b == "I" or a == b for a, b in zip(letters, basis, strict=True)):
                for pos in range(n):
                    if basis[pos] == "I":
                        basis[pos] = letters[pos]
                members.append(k)
                break
        else:
            groups.append((letters, [k]))
    return [("".join(basis), sorted(members)) for basis, members in groups]


@dataclass(frozen=True)
class NoisyEnergy:
    """An energy measured on a noisy device, raw and mitigated.

    Attributes:
        device: Device name.
        shots: Shots per circuit.
        scales: Noise scale factors run (1 = no folding).
        raw_ha: Energy from the measured counts at scale 1.
        readout_mitigated_ha: With the tensored readout inverse, scale 1.
        mitigated_ha: Readout mitigation and zero-noise extrapolation over ``scales``
            (equal to ``readout_mitigated_ha`` when only scale 1 was run).
        per_scale_ha: Readout-mitigated energy at each scale.
        circuits_run: Device runs made.
    """

    device: str
    shots: int
    scales: tuple[int, ...]
    raw_ha: float
    readout_mitigated_ha: float
    mitigated_ha: float
    per_scale_ha: tuple[float, ...]
    circuits_run: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        data = asdict(self)
        data["scales"] = list(self.scales)
        data["per_scale_ha"] = list(self.per_scale_ha)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoisyEnergy:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ApplicationError: If a field is missing or malformed.
        """
        try:
            values = dict(data)
            values["scales"] = tuple(int(s) for s in values["scales"])
            values["per_scale_ha"] = tuple(float(v) for v in values["per_scale_ha"])
            return cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise ApplicationError(f"cannot read a NoisyEnergy: {exc!r}") from exc


def _distribution(counts: dict[str, int], num_bits: int) -> NDArray[np.float64]:
    keys = np.array([int(k, 2) for k in counts], dtype=np.int64)
    weights = np.array(list(counts.values()), dtype=np.float64)
    p = np.bincount(keys, weights=weights, minlength=1 << num_bits).astype(np.float64)
    out: NDArray[np.float64] = p / p.sum()
    return out


def measure_energy(
    circuit: Circuit,
    hamiltonian: PauliSum,
    device: str | Path | Calibration = "kvant-50",
    *,
    shots: int = 4000,
    seed: int = 0,
    scales: Sequence[int] = (1, 3, 5),
    extrapolation: str = "richardson",
) -> NoisyEnergy:
    """``<H>`` of the state ``circuit`` prepares, measured on the emulated noisy device.

    Args:
        circuit: Measurement-free state preparation (bound).
        hamiltonian: The observable (same width as the circuit).
        device: Device name, file or calibration.
        shots: Shots per measured circuit.
        seed: Seed of the whole measurement.
        scales: Odd noise-scale factors for ZNE; ``(1,)`` for readout mitigation only.
        extrapolation: ``richardson`` or ``linear``.

    Returns:
        Raw and mitigated energies.

    Raises:
        ApplicationError: For a width mismatch or scales without 1.

    >>> h = PauliSum.from_labels(1, [(1.0, "Z")])
    >>> e = measure_energy(Circuit(1).x(0), h, shots=2000, seed=1, scales=(1,))
    >>> e.raw_ha > -1.0, round(e.readout_mitigated_ha, 1)
    (True, -1.0)
    """
    if circuit.num_qubits != hamiltonian.num_qubits:
        raise ApplicationError(
            f"the circuit has {circuit.num_qubits} qubits, the Hamiltonian {hamiltonian.num_qubits}"
        )
    scale_list = [int(s) for s in scales]
    if not scale_list or scale_list[0] != 1:
        raise ApplicationError("scales must start with 1 (the unfolded circuit)")
    calibration = load_device(device)
    rng = np.random.default_rng(seed)
    n = hamiltonian.num_qubits
    index = np.arange(1 << n, dtype=np.int64)
    raw = 0.0
    per_scale = np.full(len(scale_list), hamiltonian.constant)
    runs = 0
    for basis, members in measurement_groups(hamiltonian):
        rotated = circuit.copy()
        for pos, letter in enumerate(basis):
            q = n - 1 - pos
            if letter == "Y":
                rotated.sdg(q)
            if letter in "XY":
                rotated.h(q)
        support = (hamiltonian.x_masks | hamiltonian.z_masks)[members]
        signs = 1 - 2 * (np.bitwise_count(index[None, :] & support[:, None]).astype(np.int64) & 1)
        weights = hamiltonian.coefficients[members] @ signs
        for s, scale in enumerate(scale_list):
            run = run_on_device(
                fold_circuit(rotated, scale),
                calibration,
                shots=shots,
                seed=int(rng.integers(2**31)),
            )
            runs += 1
            p = _distribution(run.result.counts, n)
            if scale == 1:
                raw += float(weights @ p)
            matrices = readout_matrices(calibration, run.transpiled.final_layout)
            per_scale[s] += float(weights @ mitigate_readout(p, matrices))
    mitigated = (
        float(per_scale[0])
        if len(scale_list) == 1
        else extrapolate_to_zero(scale_list, per_scale, extrapolation)
    )
    return NoisyEnergy(
        device=calibration.name,
        shots=int(shots),
        scales=tuple(scale_list),
        raw_ha=raw + hamiltonian.constant,
        readout_mitigated_ha=float(per_scale[0]),
        mitigated_ha=mitigated,
        per_scale_ha=tuple(float(v) for v in per_scale),
        circuits_run=runs,
    )
