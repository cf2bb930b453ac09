"""A family of irregular LDPC codes for reconciliation, rates 0.50 to 0.95, with untainted
puncturing positions for rate adaptation.

Degree distributions (edge perspective, variable degrees up to 12, check-concentrated) were
optimised for each rate with the Gaussian-approximation linear program of Chung, Richardson &
Urbanke, IEEE Trans. Inf. Theory 47, 657 (2001), Sec. IV; ``threshold_qber`` is the BSC
crossover whose capacity equals that of the BI-AWGN threshold they found (the codes are
designed on the AWGN channel and used on the BSC, as in Elkouss, Leverrier, Alleaume &
Boutros, ISIT 2009, arXiv:0901.2140).

A code of length n is drawn from its distribution by random socket matching with a fixed seed
(parallel edges removed), so the family is the same on every machine. Punctured positions are
chosen *untainted* (Elkouss, Martinez-Mateo & Martin, IEEE Wireless Commun. Lett. 1, 585
(2012)): every check has at most one punctured neighbour, which makes the punctured columns of
H linearly independent, so a syndrome of m bits over p punctured random bits discloses exactly
m - p bits about the key (Elkouss et al., arXiv:1006.2660, Sec. 3).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError

__all__ = ["DEGREE_DISTRIBUTIONS", "DegreeDistribution", "LdpcCode", "build_code", "code_family"]

DEFAULT_FRAME_BITS = 16384
_MAX_PUNCTURED_FRACTION = 0.1


@dataclass(frozen=True)
class DegreeDistribution:
    """Edge-perspective degree distribution of one rate.

    Attributes:
        rate: Design rate 1 - m/n.
        variable: (degree, fraction of edges) pairs, lambda(x) = sum lambda_i x^(i-1).
        threshold_qber: BSC threshold under the Gaussian approximation (see module docstring).
    """

    rate: float
    variable: tuple[tuple[int, float], ...]
    threshold_qber: float


DEGREE_DISTRIBUTIONS: tuple[DegreeDistribution, ...] = (
    DegreeDistribution(
        0.50, ((2, 0.2526), (3, 0.24286), (4, 0.00046), (6, 0.13249), (12, 0.37159)), 0.10312
    ),
    DegreeDistribution(0.55, ((2, 0.20459), (3, 0.28721), (12, 0.50819)), 0.08798),
    DegreeDistribution(0.60, ((2, 0.18654), (3, 0.31569), (7, 0.00679), (12, 0.49098)), 0.07435),
    DegreeDistribution(0.65, ((2, 0.16322), (3, 0.35617), (12, 0.48061)), 0.06125),
    DegreeDistribution(0.70, ((2, 0.1399), (3, 0.39503), (12, 0.46506)), 0.04917),
    DegreeDistribution(0.75, ((2, 0.11659), (3, 0.43389), (12, 0.44952)), 0.03804),
    DegreeDistribution(0.80, ((2, 0.09327), (3, 0.47155), (11, 0.0399), (12, 0.39529)), 0.02803),
    DegreeDistribution(0.85, ((2, 0.06496), (3, 0.45126), (12, 0.48378)), 0.01911),
    DegreeDistribution(0.90, ((2, 0.0433), (3, 0.48384), (11, 0.11572), (12, 0.35714)), 0.01141),
    DegreeDistribution(0.95, ((2, 0.02165), (3, 0.52344), (12, 0.45491)), 0.00479),
)
"""One distribution per rate 0.50, 0.55, ..., 0.95 (filled from the design; see docstring)."""


@dataclass(frozen=True, eq=False)
class LdpcCode:
    """A parity-check matrix H (m x n) in compressed rows, with its puncturing order.

    Attributes:
        rate: Design rate 1 - m/n.
        num_bits: n.
        num_checks: m.
        check_start: Row pointers (m + 1) into ``check_vars``.
        check_vars: Column (bit) index of every edge, grouped by check.
        puncture_order: Untainted positions, in the order they are punctured.
        threshold_qber: The distribution's asymptotic BSC threshold.
    """

    rate: float
    num_bits: int
    num_checks: int
    check_start: NDArray[np.int64]
    check_vars: NDArray[np.int32]
    puncture_order: NDArray[np.int32]
    threshold_qber: float

    @property
    def num_edges(self) -> int:
        """Ones in H."""
        return int(self.check_vars.size)

    def syndrome(self, bits: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """H x over GF(2) for one frame (or frames stacked as rows of a 2-D array).

        >>> code = code_family(512)[0]
        >>> code.syndrome(np.zeros(512, np.uint8)).any()
        np.False_
        """
        gathered = np.asarray(bits, dtype=np.uint8)[..., self.check_vars]
        counts = np.add.reduceat(gathered, self.check_start[:-1], axis=-1)
        out: NDArray[np.uint8] = (counts & 1).astype(np.uint8)
        return out

    def dense(self) -> NDArray[np.uint8]:
        """H as a dense 0/1 matrix (small codes, tests)."""
        h = np.zeros((self.num_checks, self.num_bits), dtype=np.uint8)
        rows = np.repeat(np.arange(self.num_checks), np.diff(self.check_start))
        h[rows, self.check_vars] = 1
        return h


def _node_counts(
    total: int, degrees: NDArray[np.int64], weights: NDArray[np.float64]
) -> NDArray[np.int64]:
    share = weights / weights.sum() * total
    counts: NDArray[np.int64] = np.floor(share).astype(np.int64)
    counts[np.argsort(share - counts)[::-1][: total - counts.sum()]] += 1
    return counts


def build_code(distribution: DegreeDistribution, num_bits: int, seed: int = 0) -> LdpcCode:
    """Draw a code of length ``num_bits`` from ``distribution`` (deterministic in ``seed``).

    Degree-2 bits are laid on a zigzag (bit i joins checks pi(i) and pi(i + 1) for a random
    check order pi), so they form no cycle and hence no low-weight codeword, as in
    irregular repeat-accumulate codes (Jin, Khandekar & McEliece 2000); the other bits, highest
    degree first, are joined to random free check sockets, refusing any check that would
    close a 4-cycle (a greedy cousin of progressive edge growth, Hu, Eleftheriou & Arnold,
    IEEE Trans. Inf. Theory 51, 386 (2005)).

    Args:
        distribution: The degree distribution.
        num_bits: Frame length n (>= 64).
        seed: Seed of the matching and the puncturing order.

    Returns:
        The code.
    """
    if num_bits < 64:
        raise ConfigError(f"an LDPC frame needs at least 64 bits, got {num_bits}")
    rng = np.random.default_rng(seed)
    degrees = np.asarray([d for d, _ in distribution.variable], dtype=np.int64)
    lam = np.asarray([f for _, f in distribution.variable], dtype=np.float64)
    var_counts = _node_counts(num_bits, degrees, lam / degrees)
    checks = round(num_bits * (1.0 - distribution.rate))
    two = int(var_counts[degrees == 2].sum())
    if two > checks - 1:
        raise ConfigError(f"{two} degree-2 bits do not fit on a chain of {checks} checks")
    var_degree = np.repeat(degrees, var_counts)  # degree-2 bits first
    edges = int(var_degree.sum())
    base = edges // checks
    check_degree = np.full(checks, base, dtype=np.int64)
    check_degree[rng.permutation(checks)[: edges - base * checks]] += 1
    chain = rng.permutation(checks)
    chain_var = np.repeat(np.arange(two), 2)
    chain_check = np.stack([chain[:two], chain[1 : two + 1]], axis=1).reshape(-1)
    free = check_degree - np.bincount(chain_check, minlength=checks)
    var_socket, check_socket = _connect(
        var_degree, two, check_degree, chain_check.reshape(-1, 2), free,
        int(rng.integers(0, 2**62)),
    )  # fmt: skip
    all_var = np.concatenate([chain_var, var_socket])
    all_check = np.concatenate([chain_check, check_socket])
    order = np.lexsort((all_var, all_check))
    check_vars = all_var[order].astype(np.int32)
    check_start = np.concatenate([[0], np.cumsum(np.bincount(all_check, minlength=checks))])
    return LdpcCode(
        distribution.rate,
        num_bits,
        checks,
        check_start.astype(np.int64),
        check_vars,
        _untainted(check_vars, check_start, var_degree, rng),
        distribution.threshold_qber,
    )


@numba.njit(cache=True)
def _connect(  # pragma: no cover - compiled
    var_degree: NDArray[np.int64],
    two: int,
    check_degree: NDArray[np.int64],
    chain: NDArray[np.int64],
    free: NDArray[np.int64],
    seed: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    n = var_degree.size
    m = check_degree.size
    np.random.seed(seed)
    cstart = np.zeros(m + 1, np.int64)
    for c in range(m):
        cstart[c + 1] = cstart[c] + check_degree[c]
    cfill = np.zeros(m, np.int64)
    cvars = np.empty(cstart[m], np.int64)
    vstart = np.zeros(n + 1, np.int64)
    for v in range(n):
        vstart[v + 1] = vstart[v] + var_degree[v]
    vfill = np.zeros(n, np.int64)
    vchecks = np.empty(vstart[n], np.int64)
    for v in range(two):
        for c in chain[v]:
            cvars[cstart[c] + cfill[c]] = v
            cfill[c] += 1
            vchecks[vstart[v] + vfill[v]] = c
            vfill[v] += 1
    pool = np.empty(free.sum(), np.int64)
    size = 0
    for c in range(m):
        for _ in range(free[c]):
            pool[size] = c
            size += 1
    mark = np.full(m, -1, np.int64)
    order = np.argsort(-var_degree[two:], kind="mergesort") + two
    out_var = np.empty(pool.size, np.int64)
    out_check = np.empty(pool.size, np.int64)
    edges = 0
    for v in order:
        for _ in range(var_degree[v]):
            chosen = -1
            for _try in range(64):
                r = np.random.randint(0, size)
                if mark[pool[r]] != v:
                    chosen = r
                    break
            if chosen < 0:  # accept a 4-cycle, never a parallel edge
                for _try in range(100 * size + 1):
                    r = np.random.randint(0, size)
                    c = pool[r]
                    parallel = False
                    for k in range(vstart[v], vstart[v] + vfill[v]):
                        if vchecks[k] == c:
                            parallel = True
                    if not parallel:
                        chosen = r
                        break
            if chosen < 0:
                raise ValueError("could not place an edge without a parallel edge")
            c = pool[chosen]
            size -= 1
            pool[chosen] = pool[size]
            for k in range(cstart[c], cstart[c] + cfill[c]):
                u = cvars[k]
                for j in range(vstart[u], vstart[u] + vfill[u]):
                    mark[vchecks[j]] = v
            mark[c] = v
            cvars[cstart[c] + cfill[c]] = v
            cfill[c] += 1
            vchecks[vstart[v] + vfill[v]] = c
            vfill[v] += 1
            out_var[edges] = v
            out_check[edges] = c
            edges += 1
    return out_var, out_check


def _untainted(
    check_vars: NDArray[np.int32],
    check_start: NDArray[np.int64],
    var_degree: NDArray[np.int64],
    rng: np.random.Generator,
) -> NDArray[np.int32]:
    """Greedy untainted puncturing: low-degree bits first, random within a degree; a bit is
    taken only if none of its checks already has a punctured neighbour."""
    n = var_degree.size
    checks = np.repeat(np.arange(check_start.size - 1), np.diff(check_start))
    by_var = np.argsort(check_vars, kind="stable")
    var_start = np.concatenate([[0], np.cumsum(var_degree)])
    var_checks = checks[by_var]
    candidates = np.lexsort((rng.random(n), var_degree))
    tainted = np.zeros(check_start.size - 1, dtype=bool)
    chosen: list[int] = []
    limit = int(_MAX_PUNCTURED_FRACTION * n)
    for v in candidates:
        mine = var_checks[var_start[v] : var_start[v + 1]]
        if not tainted[mine].any():
            tainted[mine] = True
            chosen.append(int(v))
            if len(chosen) == limit:
                break
    return np.asarray(chosen, dtype=np.int32)


@functools.cache
def code_family(num_bits: int = DEFAULT_FRAME_BITS) -> tuple[LdpcCode, ...]:
    """One code per rate of :data:`DEGREE_DISTRIBUTIONS`, of length ``num_bits`` (cached)."""
    return tuple(build_code(d, num_bits, seed=1000 + i) for i, d in enumerate(DEGREE_DISTRIBUTIONS))
