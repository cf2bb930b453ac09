"""Quadratic unconstrained binary optimisation: the model, its Ising form, exact solutions.

``f(b) = offset + sum_i linear_i b_i + sum_{i<j} quadratic_ij b_i b_j`` over ``b in {0,1}^n``.
With ``b_i = (1 - s_i) / 2`` (``s_i`` the Z eigenvalue of qubit i, so ``b_i = 1`` is ``|1>``)
this is the Ising cost ``const + sum_i h_i Z_i + sum_{i<j} J_ij Z_i Z_j`` (Lucas 2014, Front.
Phys. 2, 5, eq. 2.3) whose ground state QAOA looks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvant.apps._pauli_sum import PauliSum
from kvant.errors import ApplicationError

__all__ = ["BRUTE_FORCE_MAX_VARIABLES", "ExactSolution", "Qubo"]

#: Largest problem solved by enumeration (2**22 energies, in chunks).
BRUTE_FORCE_MAX_VARIABLES = 22
_CHUNK = 1 << 16


@dataclass(frozen=True)
class ExactSolution:
    """The exact optimum of a QUBO.

    Attributes:
        cost: Minimum of f.
        bits: One minimiser (bit i = variable i).
        num_optimal: Number of minimisers (enumeration only; 1 from a MILP).
        worst_cost: Maximum of f (enumeration only; None from a MILP).
        method: ``brute-force`` or ``milp``.
    """

    cost: float
    bits: tuple[int, ...]
    num_optimal: int
    worst_cost: float | None
    method: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "cost": self.cost,
            "bits": list(self.bits),
            "num_optimal": self.num_optimal,
            "worst_cost": self.worst_cost,
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExactSolution:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ApplicationError: If a field is missing or malformed.
        """
        try:
            worst = data["worst_cost"]
            return cls(
                float(data["cost"]),
                tuple(int(b) for b in data["bits"]),
                int(data["num_optimal"]),
                None if worst is None else float(worst),
                str(data["method"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ApplicationError(f"cannot read an ExactSolution: {exc!r}") from exc


@dataclass(frozen=True, eq=False)
class Qubo:
    """A QUBO over n binary variables.

    Attributes:
        linear: ``linear_i``, shape (n,).
        quadratic: ``quadratic_ij`` for i < j (upper triangle; the rest must be zero), (n, n).
        offset: Constant.

    Raises:
        ApplicationError: For mismatched shapes, non-finite values or a non-upper-triangular
            quadratic part.

    >>> q = Qubo(np.array([1.0, -2.0]), np.array([[0.0, 3.0], [0.0, 0.0]]))
    >>> q.cost([1, 1]), q.solve_exact().bits
    (2.0, (0, 1))
    """

    linear: NDArray[np.float64] = field(repr=False)
    quadratic: NDArray[np.float64] = field(repr=False)
    offset: float = 0.0

    def __post_init__(self) -> None:
        lin = np.array(self.linear, dtype=np.float64).reshape(-1)
        quad = np.array(self.quadratic, dtype=np.float64)
        n = lin.shape[0]
        if n < 1 or quad.shape != (n, n):
            raise ApplicationError(f"quadratic must be ({n}, {n}) for {n} variables")
        if not (
            np.all(np.isfinite(lin)) and np.all(np.isfinite(quad)) and np.isfinite(self.offset)
        ):
            raise ApplicationError("QUBO coefficients must be finite")
        if np.any(np.tril(quad) != 0):
            raise ApplicationError("quadratic must be strictly upper-triangular (i < j)")
        lin.flags.writeable = False
        quad.flags.writeable = False
        object.__setattr__(self, "linear", lin)
        object.__setattr__(self, "quadratic", quad)
        object.__setattr__(self, "offset", float(self.offset))

    @classmethod
    def from_matrix(
        cls, matrix: ArrayLike, linear: ArrayLike | None = None, offset: float = 0.0
    ) -> Qubo:
        """From ``b^T M b + linear . b + offset`` with any square M (diagonal -> linear).

        >>> Qubo.from_matrix([[1.0, 2.0], [2.0, 0.0]]).quadratic.tolist()
        [[0.0, 4.0], [0.0, 0.0]]
        """
        m = np.asarray(matrix, dtype=np.float64)
        n = m.shape[0]
        lin = np.zeros(n) if linear is None else np.asarray(linear, dtype=np.float64).copy()
        lin = lin + np.diag(m)
        return cls(lin, np.triu(m + m.T, 1), offset)

    @property
    def num_variables(self) -> int:
        """n."""
        return int(self.linear.shape[0])

    def cost(self, bits: ArrayLike) -> float:
        """f(b) for one assignment."""
        return float(self.costs(np.asarray(bits).reshape(1, -1))[0])

    def costs(self, bits: ArrayLike) -> NDArray[np.float64]:
        """f for each row of a (k, n) 0/1 array."""
        b = np.asarray(bits, dtype=np.float64)
        if b.ndim != 2 or b.shape[1] != self.num_variables:
            raise ApplicationError(f"bits must have shape (k, {self.num_variables})")
        out: NDArray[np.float64] = (
            self.offset + b @ self.linear + np.einsum("ki,ij,kj->k", b, self.quadratic, b)
        )
        return out

    def costs_of_indices(self, indices: ArrayLike) -> NDArray[np.float64]:
        """f of basis indices (bit i of the index = variable i)."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        bits = (idx[:, None] >> np.arange(self.num_variables)) & 1
        return self.costs(bits)

    def all_costs(self) -> NDArray[np.float64]:
        """f of every basis index 0..2**n - 1, in chunks (n <= 22).

        Raises:
            ApplicationError: Beyond :data:`BRUTE_FORCE_MAX_VARIABLES`.
        """
        n = self.num_variables
        if n > BRUTE_FORCE_MAX_VARIABLES:
            raise ApplicationError(
                f"enumerating 2**{n} assignments is too slow; brute force is for <= "
                f"{BRUTE_FORCE_MAX_VARIABLES} variables (use solve_exact, which uses a MILP)"
            )
        size = 1 << n
        out = np.empty(size)
        for start in range(0, size, _CHUNK):
            stop = min(start + _CHUNK, size)
            out[start:stop] = self.costs_of_indices(np.arange(start, stop))
        return out

    def to_ising(self) -> PauliSum:
        """The same cost as a diagonal Pauli sum (Z on qubit i for variable i).

        >>> q = Qubo(np.array([1.0, -2.0]), np.array([[0.0, 3.0], [0.0, 0.0]]))
        >>> bool(np.allclose(q.to_ising().diagonal(), q.all_costs()))
        True
        """
        n = self.num_variables
        sym = self.quadratic + self.quadratic.T
        h = -self.linear / 2 - sym.sum(axis=1) / 4
        const = self.offset + self.linear.sum() / 2 + self.quadratic.sum() / 4
        rows, cols = np.nonzero(self.quadratic)
        z = np.concatenate([np.left_shift(1, np.arange(n)), (1 << rows) | (1 << cols)])
        coefficients = np.concatenate([h, self.quadratic[rows, cols] / 4])
        keep = coefficients != 0
        if not np.any(keep):
            keep[0] = True
        return PauliSum(
            n,
            np.zeros(int(keep.sum()), np.int64),
            z[keep].astype(np.int64),
            coefficients[keep],
            const,
        )

    def substitute(self, membership: ArrayLike, fixed: ArrayLike) -> Qubo:
        """The QUBO in new variables y with ``b = membership @ y + fixed``.

        Args:
            membership: (n, k) 0/1 matrix; each variable belongs to at most one new one.
            fixed: (n,) values of the variables no new variable covers (0 elsewhere).

        >>> q = Qubo(np.array([1.0, 1.0]), np.array([[0.0, -3.0], [0.0, 0.0]]))
        >>> q.substitute([[1], [1]], [0, 0]).cost([1])  # both variables equal to y
        -1.0
        """
        m = np.asarray(membership, dtype=np.float64)
        f = np.asarray(fixed, dtype=np.float64).reshape(-1)
        u = self.quadratic
        quad = m.T @ u @ m
        lin = self.linear @ m + f @ (u + u.T) @ m + np.diag(quad)
        offset = float(self.offset + self.linear @ f + f @ u @ f)
        return Qubo(lin, np.triu(quad + quad.T, 1) - np.triu(np.diag(np.diag(quad)), 1), offset)

    def local_search(self, bits: ArrayLike, max_rounds: int = 1000) -> NDArray[np.int64]:
        """Greedy single-flip descent from ``bits`` (vectorised flip gains each round)."""
        b = np.asarray(bits, dtype=np.float64).reshape(-1).copy()
        sym = self.quadratic + self.quadratic.T
        for _ in range(max_rounds):
            gain = (1 - 2 * b) * (self.linear + sym @ b)
            best = int(np.argmin(gain))
            if gain[best] >= -1e-12:
                break
            b[best] = 1 - b[best]
        return b.astype(np.int64)

    def solve_exact(self) -> ExactSolution:
        """Exact optimum by enumeration (n <= 22) or, beyond, by a MILP.

        The MILP (HiGHS through :func:`scipy.optimize.milp`) linearises each product
        ``b_i b_j`` with a continuous ``w_ij`` and the McCormick constraints
        ``w <= b_i, w <= b_j, w >= b_i + b_j - 1, w >= 0`` (Glover & Woolsey 1974), exact for
        binary b.
        """
        n = self.num_variables
        if n <= BRUTE_FORCE_MAX_VARIABLES:
            costs = self.all_costs()
            best = float(costs.min())
            optimal = np.flatnonzero(costs <= best + 1e-9 * max(1.0, abs(best)))
            index = int(optimal[0])
            return ExactSolution(
                best,
                tuple(int((index >> i) & 1) for i in range(n)),
                int(optimal.shape[0]),
                float(costs.max()),
                "brute-force",
            )
        return self._solve_milp()

    def _solve_milp(self) -> ExactSolution:
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import coo_matrix

        n = self.num_variables
        rows, cols = np.nonzero(self.quadratic)
        k = rows.shape[0]
        c = np.concatenate([self.linear, self.quadratic[rows, cols]])
        w = n + np.arange(k)
        # w - b_i <= 0 ; w - b_j <= 0 ; b_i + b_j - w <= 1
        r = np.concatenate([np.arange(k)] * 2 + [k + np.arange(k)] * 2 + [2 * k + np.arange(k)] * 3)
        col = np.concatenate([w, rows, w, cols, rows, cols, w])
        val = np.concatenate(
            [np.ones(k), -np.ones(k), np.ones(k), -np.ones(k), np.ones(2 * k), -np.ones(k)]
        )
        a = coo_matrix((val, (r, col)), shape=(3 * k, n + k))
        upper = np.concatenate([np.zeros(2 * k), np.ones(k)])
        result = milp(
            c,
            constraints=LinearConstraint(a, -np.inf, upper),
            integrality=np.concatenate([np.ones(n), np.zeros(k)]),
            bounds=Bounds(0.0, 1.0),
        )
        if result.x is None:
            raise ApplicationError(f"the MILP solver failed: {result.message}")
        bits = np.round(result.x[:n]).astype(np.int64)
        return ExactSolution(self.cost(bits), tuple(bits.tolist()), 1, None, "milp")
