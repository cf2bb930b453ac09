"""Qubit Hamiltonians as weighted sums of Pauli strings, held as bit masks.

A term is ``coefficient * P`` with ``P = i**n_Y X^x Z^z`` (bit q of ``x``/``z`` = qubit q; the
Hermitian Pauli string with Y where both bits are set), the same masks as
:class:`kvant.sim._pauli.PauliTerm`. :meth:`PauliSum.terms` gives the ``(coefficient, label)``
list that :meth:`kvant.sim.Result.expectation` reads (rightmost letter = qubit 0).

Mappings from fermions build products in the *ordered* form ``X^x Z^z`` first, whose algebra
has only real signs: ``(X^a Z^b)(X^c Z^d) = (-1)^{|b & c|} X^{a^c} Z^{b^d}``, and convert at the
end with ``X^x Z^z = (-i)^{n_Y} P``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from kvant.errors import ApplicationError

__all__ = ["PauliSum"]

_LABEL_LIMIT = 62


def _popcount(values: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.bitwise_count(values).astype(np.int64)


@dataclass(frozen=True, eq=False)
class PauliSum:
    """``constant + sum_k coefficients[k] * P_k`` on ``num_qubits`` qubits.

    Attributes:
        num_qubits: Number of qubits.
        x_masks: Qubits carrying X or Y, one int per term.
        z_masks: Qubits carrying Z or Y, one int per term.
        coefficients: Real weights (hartree for molecules, objective units for QUBOs).
        constant: The identity part.

    Raises:
        ApplicationError: For masks outside the qubits, mismatched lengths or non-finite values.

    >>> h = PauliSum.from_labels(2, [(0.5, "ZI"), (0.25, "XX")], constant=-1.0)
    >>> h.terms()
    [(0.5, 'ZI'), (0.25, 'XX')]
    >>> round(h.ground_energy(), 6)
    -1.559017
    """

    num_qubits: int
    x_masks: NDArray[np.int64] = field(repr=False)
    z_masks: NDArray[np.int64] = field(repr=False)
    coefficients: NDArray[np.float64] = field(repr=False)
    constant: float = 0.0

    def __post_init__(self) -> None:
        n = self.num_qubits
        if isinstance(n, bool) or not isinstance(n, int) or not 0 < n <= _LABEL_LIMIT:
            raise ApplicationError(f"num_qubits must be an int in 1..{_LABEL_LIMIT}, got {n!r}")
        x = np.asarray(self.x_masks, dtype=np.int64).reshape(-1)
        z = np.asarray(self.z_masks, dtype=np.int64).reshape(-1)
        c = np.asarray(self.coefficients, dtype=np.float64).reshape(-1)
        if not x.shape == z.shape == c.shape:
            raise ApplicationError(
                f"x_masks, z_masks and coefficients must have one entry per term, got "
                f"{x.shape[0]}, {z.shape[0]}, {c.shape[0]}"
            )
        if np.any((x | z) >> n) or np.any(x < 0) or np.any(z < 0):
            raise ApplicationError(f"a Pauli mask names a qubit outside 0..{n - 1}")
        if not np.all(np.isfinite(c)) or not np.isfinite(self.constant):
            raise ApplicationError("Pauli coefficients and the constant must be finite")
        for name, arr in (("x_masks", x), ("z_masks", z), ("coefficients", c)):
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "constant", float(self.constant))

    # construction ---------------------------------------------------------------------------
    @classmethod
    def from_labels(
        cls, num_qubits: int, terms: list[tuple[float, str]], constant: float = 0.0
    ) -> PauliSum:
        """Build from ``(coefficient, label)`` pairs; the rightmost letter acts on qubit 0.

        Raises:
            ApplicationError: For a label of the wrong length or with letters other than IXYZ.

        >>> PauliSum.from_labels(1, [(1.0, "Y")]).x_masks.tolist()
        [1]
        """
        xs, zs, cs = [], [], []
        for coefficient, label in terms:
            if len(label) != num_qubits or set(label) - set("IXYZ"):
                raise ApplicationError(
                    f"Pauli label {label!r} must have {num_qubits} letters from I, X, Y, Z"
                )
            x = z = 0
            for pos, letter in enumerate(reversed(label)):
                x |= (letter in "XY") << pos
                z |= (letter in "ZY") << pos
            xs.append(x)
            zs.append(z)
            cs.append(float(coefficient))
        return cls(
            num_qubits, np.array(xs, np.int64), np.array(zs, np.int64), np.array(cs), constant
        )

    @classmethod
    def from_ordered(
        cls,
        num_qubits: int,
        x_masks: NDArray[np.int64],
        z_masks: NDArray[np.int64],
        coefficients: NDArray[np.float64],
        *,
        cutoff: float = 1e-12,
    ) -> PauliSum:
        """Collect real-weighted ordered products ``c X^x Z^z`` into a Hermitian Pauli sum.

        Equal masks are summed; ``X^x Z^z = (-i)^{n_Y} P`` turns each into a Pauli string. Terms
        with an odd number of Y get an imaginary weight, which must cancel for a Hermitian
        operator.

        Raises:
            ApplicationError: If the imaginary part does not cancel (the operator is not
                Hermitian).

        >>> # (X + XZ)/2 is |1><0|; adding its adjoint (X - XZ)/2 gives X
        >>> PauliSum.from_ordered(1, np.array([1, 1, 1, 1]), np.array([0, 1, 0, 1]),
        ...                       np.array([0.5, 0.5, 0.5, -0.5])).terms()
        [(1.0, 'X')]
        """
        x = np.asarray(x_masks, np.int64)
        z = np.asarray(z_masks, np.int64)
        c = np.asarray(coefficients, np.float64)
        keys, inverse = np.unique(np.stack([x, z], axis=1), axis=0, return_inverse=True)
        summed = np.bincount(inverse.reshape(-1), weights=c, minlength=keys.shape[0])
        ny = _popcount(keys[:, 0] & keys[:, 1]) % 4
        odd = ny % 2 == 1
        if np.any(np.abs(summed[odd]) > 1e-9):
            raise ApplicationError(
                "the operator is not Hermitian (imaginary Pauli weights remain); check the "
                "integrals' symmetry"
            )
        weights = np.where(ny == 2, -summed, summed)
        keep = ~odd & (np.abs(weights) > cutoff)
        identity = keep & (keys[:, 0] == 0) & (keys[:, 1] == 0)
        constant = float(weights[identity].sum())
        keep &= ~identity
        return cls(num_qubits, keys[keep, 0], keys[keep, 1], weights[keep], constant)

    # views ----------------------------------------------------------------------------------
    @property
    def num_terms(self) -> int:
        """Number of non-identity terms."""
        return int(self.coefficients.shape[0])

    def labels(self) -> list[str]:
        """Pauli labels, rightmost letter = qubit 0.

        >>> PauliSum.from_labels(3, [(1.0, "XYZ")]).labels()
        ['XYZ']
        """
        out = []
        for x, z in zip(self.x_masks.tolist(), self.z_masks.tolist(), strict=True):
            letters = [
                "IXZY"[((x >> q) & 1) | (((z >> q) & 1) << 1)] for q in range(self.num_qubits)
            ]
            out.append("".join(reversed(letters)))
        return out

    def terms(self) -> list[tuple[float, str]]:
        """``(coefficient, label)`` pairs for :meth:`kvant.sim.Result.expectation`."""
        return list(zip(self.coefficients.tolist(), self.labels(), strict=True))

    def is_diagonal(self) -> bool:
        """True if every term is a product of Z (an Ising / QUBO cost)."""
        return not bool(np.any(self.x_masks))

    def diagonal(self) -> NDArray[np.float64]:
        """The diagonal ``<j|H|j>`` over all basis indices (little-endian), vectorised.

        >>> PauliSum.from_labels(2, [(1.0, "ZI")], constant=0.5).diagonal().tolist()
        [1.5, 1.5, -0.5, -0.5]
        """
        index = np.arange(1 << self.num_qubits, dtype=np.int64)
        out = np.full(index.shape, self.constant)
        diagonal_terms = self.x_masks == 0
        for z, c in zip(
            self.z_masks[diagonal_terms].tolist(),
            self.coefficients[diagonal_terms].tolist(),
            strict=True,
        ):
            out += c * (1 - 2 * (_popcount(index & z) & 1))
        return out

    def to_sparse(self) -> sp.csr_matrix:
        """The ``2**n x 2**n`` matrix (complex, CSR), for n up to 20 qubits.

        ``P|j> = i^{n_Y} (-1)^{|j & z|} |j ^ x>`` for every term at once.

        Raises:
            ApplicationError: Beyond 20 qubits.
        """
        n = self.num_qubits
        if n > 20:
            raise ApplicationError(f"a sparse matrix of {n} qubits is too large; use <= 20")
        size = 1 << n
        cols = np.arange(size, dtype=np.int64)
        rows_all = [cols]
        data_all = [np.full(size, self.constant, dtype=np.complex128)]
        phases = (1j) ** (_popcount(self.x_masks & self.z_masks) % 4)
        for x, z, c, ph in zip(
            self.x_masks.tolist(),
            self.z_masks.tolist(),
            self.coefficients.tolist(),
            phases.tolist(),
            strict=True,
        ):
            rows_all.append(cols ^ x)
            data_all.append(c * ph * (1 - 2 * (_popcount(cols & z) & 1)))
        rows = np.concatenate(rows_all)
        data = np.concatenate(data_all)
        cols_rep = np.tile(cols, len(rows_all))
        return sp.csr_matrix((data, (rows, cols_rep)), shape=(size, size))

    def spectrum(self) -> NDArray[np.float64]:
        """All eigenvalues, ascending (dense diagonalisation, up to 12 qubits).

        Raises:
            ApplicationError: Beyond 12 qubits.
        """
        if self.num_qubits > 12:
            raise ApplicationError("spectrum() is for up to 12 qubits; use ground_energy()")
        return np.linalg.eigvalsh(self.to_sparse().toarray())

    def ground_energy(self) -> float:
        """Lowest eigenvalue (dense up to 12 qubits, Lanczos beyond)."""
        if self.num_qubits <= 12:
            return float(self.spectrum()[0])
        from scipy.sparse.linalg import eigsh

        values = eigsh(self.to_sparse(), k=1, which="SA", return_eigenvectors=False)
        return float(np.real(values[0]))

    # plain data -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"num_qubits", "constant", "terms": [[coefficient, label], ...]}``."""
        return {
            "num_qubits": self.num_qubits,
            "constant": self.constant,
            "terms": [[c, label] for c, label in self.terms()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PauliSum:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ApplicationError: If a field is missing or malformed.
        """
        try:
            terms = [(float(c), str(label)) for c, label in data["terms"]]
            return cls.from_labels(int(data["num_qubits"]), terms, float(data["constant"]))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ApplicationError):
                raise
            raise ApplicationError(f"cannot read a PauliSum from this data: {exc!r}") from exc

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PauliSum):
            return NotImplemented
        return (
            self.num_qubits == other.num_qubits
            and self.constant == other.constant
            and np.array_equal(self.x_masks, other.x_masks)
            and np.array_equal(self.z_masks, other.z_masks)
            and np.array_equal(self.coefficients, other.coefficients)
        )

    __hash__ = None  # type: ignore[assignment]
