"""A family of irregular LDPC codes for reconciliation, rates 0.50 to 0.95, with untainted
puncturing positions for rate adaptation.

Degree distributions (edge perspective) for rates 0.50-0.90 are those of Elkouss, Leverrier,
Alleaume & Boutros, "Efficient reconciliation protocol for discrete-variable quantum key
distribution", ISIT 2009, arXiv:0901.2140, Table I: optimised for the binary symmetric channel
by differential evolution on discretised density evolution; their thresholds are kept in
``threshold_qber``. Their rate-0.85 lambda, as printed, sums to 1.0515; it is normalised, like
every distribution here. Our density evolution (:mod:`kvant.qkd._ldpc_design`) reproduces
their thresholds within 1% except at rate 0.75, whose printed lambda_2 breaks the stability
condition at the printed 3.92% (ours: 3.66%), and 0.85 (normalised: 1.95%).

Rates 0.905-0.95, for QBER 0.45%-1%, are Kvant's own: differential evolution of lambda on
degrees {2, 3, 4, 5, 6, 8, 11, 15, 20, 25} with mean variable degree <= 6.5, rho concentrated
on two consecutive degrees, lambda_2 within the zigzag of :func:`build_code`
(:func:`kvant.qkd._ldpc_design_search.design_distribution` with population 14, 20
generations, seed 7; about 2 min of CPU per rate). Their ``threshold_qber`` is *our* discretised
density evolution's BSC threshold on ``COARSE_GRID`` (bisection, a lower estimate; the finer
``FINE_GRID`` gives 0.2% more), 88-91% of the Shannon limit h^-1(1 - R). They replace a
Gaussian-approximation rate-0.95 row whose claimed 0.479% is 0.35% under density evolution.

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
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError
from kvant.qkd._ldpc_kernels import frame_syndromes

__all__ = ["DEGREE_DISTRIBUTIONS", "DegreeDistribution", "LdpcCode", "build_code", "code_family"]

DEFAULT_FRAME_BITS = 65536
MIN_FRAME_BITS = 1024
_MAX_PUNCTURED_FRACTION = 0.1


@dataclass(frozen=True)
class DegreeDistribution:
    """Edge-perspective degree distribution of one rate.

    Attributes:
        rate: Design rate 1 - m/n.
        variable: (degree, fraction of edges) pairs, lambda(x) = sum lambda_i x^(i-1).
        check: (degree, fraction of edges) pairs, rho(x) = sum rho_i x^(i-1).
        threshold_qber: BSC crossover below which belief propagation succeeds as n -> inf
            (the source's figure; see the module docstring).
    """

    rate: float
    variable: tuple[tuple[int, float], ...]
    check: tuple[tuple[int, float], ...]
    threshold_qber: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`.

        >>> DegreeDistribution.from_dict(DEGREE_DISTRIBUTIONS[0].to_dict()) == (
        ...     DEGREE_DISTRIBUTIONS[0])
        True
        """
        return {
            "rate": self.rate,
            "variable": [list(pair) for pair in self.variable],
            "check": [list(pair) for pair in self.check],
            "threshold_qber": self.threshold_qber,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DegreeDistribution:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            float(data["rate"]),
            tuple((int(d), float(f)) for d, f in data["variable"]),
            tuple((int(d), float(f)) for d, f in data["check"]),
            float(data["threshold_qber"]),
        )


def _elkouss(
    rate: float, threshold: float, variable: dict[int, float], check: dict[int, float]
) -> DegreeDistribution:
    return DegreeDistribution(rate, tuple(variable.items()), tuple(check.items()), threshold)


_designed = _elkouss  # same layout: (rate, threshold, lambda, rho)

# arXiv:0901.2140 Table I, with each polynomial term lambda_i x^(i-1) written as {i: lambda_i}.
DEGREE_DISTRIBUTIONS: tuple[DegreeDistribution, ...] = (
    _elkouss(0.50, 0.1071, {2: 0.14438, 3: 0.19026, 4: 0.01836, 5: 0.00233, 6: 0.04697,
             8: 0.053943, 9: 0.05590, 10: 0.01290, 11: 0.00162, 14: 0.06159, 15: 0.13115,
             17: 0.01481, 47: 0.00879, 49: 0.00650, 55: 0.00210, 56: 0.00099, 57: 0.11178,
             58: 0.06238, 59: 0.05094, 66: 0.02230},
             {10: 0.47575, 12: 0.46847, 13: 0.02952, 14: 0.02626}),
    _elkouss(0.55, 0.0904, {2: 0.16880, 3: 0.20994, 6: 0.18095, 15: 0.03846, 16: 0.02635,
             18: 0.23454, 19: 0.05815, 31: 0.08280}, {10: 0.27631, 11: 0.72369}),
    _elkouss(0.60, 0.0766, {2: 0.11040, 3: 0.20804, 8: 0.14163, 9: 0.14858, 26: 0.14438,
             27: 0.08909, 46: 0.00748, 71: 0.15038},
             {2: 0.00036, 10: 0.13063, 13: 0.31068, 18: 0.49341, 19: 0.064915}),
    _elkouss(0.65, 0.0633, {2: 0.10451, 3: 0.15652, 4: 0.08057, 5: 0.00056, 9: 0.12151,
             13: 0.10485, 15: 0.10719, 21: 0.00771, 51: 0.31656},
             {2: 0.000578, 15: 0.06089, 16: 0.47001, 21: 0.46852}),
    _elkouss(0.70, 0.0504, {2: 0.05343, 3: 0.29406, 6: 0.00896, 9: 0.15571, 12: 0.12189,
             25: 0.19872, 46: 0.09572, 62: 0.02741, 65: 0.04056, 73: 0.00354},
             {20: 0.76922, 21: 0.23077}),
    _elkouss(0.75, 0.0392, {2: 0.10805, 3: 0.09511, 4: 0.01449, 5: 0.13764, 6: 0.10667,
             7: 0.05288, 28: 0.01107, 31: 0.47408}, {25: 0.74161, 26: 0.25839}),
    _elkouss(0.80, 0.0298, {2: 0.09420, 3: 0.18088, 6: 0.11972, 7: 0.08550, 8: 0.09816,
             17: 0.07194, 26: 0.34960}, {29: 0.58807, 30: 0.41193}),
    _elkouss(0.85, 0.0199, {2: 0.04528, 3: 0.20537, 4: 0.05878, 5: 0.094274, 6: 0.08454,
             7: 0.01176, 9: 0.05137, 21: 0.50015}, {41: 0.54204, 42: 0.45795}),
    _elkouss(0.90, 0.0109, {2: 0.07689, 3: 0.28096, 5: 0.08933, 9: 0.19620, 12: 0.30631,
             21: 0.05031}, {50: 0.95025, 51: 0.04975}),
    _designed(0.905, 0.011068, {2: 0.02958, 3: 0.17683, 4: 0.1162, 5: 0.06084, 6: 0.0024,
              8: 0.08204, 11: 0.09465, 15: 0.1805, 20: 0.04339, 25: 0.21357},
              {67: 0.93392, 68: 0.06608}),
    _designed(0.91, 0.010419, {2: 0.02773, 3: 0.22044, 4: 0.05042, 5: 0.01984, 6: 0.0457,
              8: 0.12999, 11: 0.03509, 15: 0.17163, 20: 0.14502, 25: 0.15414},
              {71: 0.69519, 72: 0.30481}),
    _designed(0.92, 0.008956, {2: 0.02271, 3: 0.22384, 4: 0.05298, 5: 0.04328, 6: 0.00594,
              8: 0.14242, 11: 0.08856, 15: 0.12521, 20: 0.1054, 25: 0.18966},
              {80: 0.8271, 81: 0.1729}),
    _designed(0.93, 0.007551, {2: 0.02068, 3: 0.2119, 4: 0.03385, 5: 0.09084, 6: 0.04918,
              8: 0.09101, 11: 0.0205, 15: 0.27729, 20: 0.08058, 25: 0.12417},
              {91: 0.72826, 92: 0.27174}),
    _designed(0.94, 0.006233, {2: 0.01061, 3: 0.24194, 4: 0.0082, 5: 0.08186, 6: 0.03869,
              8: 0.10834, 11: 0.08426, 15: 0.22859, 20: 0.1286, 25: 0.06891},
              {106: 0.46751, 107: 0.53249}),
    _designed(0.945, 0.00561, {2: 0.01693, 3: 0.22079, 4: 0.02524, 5: 0.01389, 6: 0.12164,
              8: 0.10309, 11: 0.034, 15: 0.28908, 20: 0.09348, 25: 0.08186},
              {117: 0.40803, 118: 0.59197}),
    _designed(0.95, 0.004953, {2: 0.00304, 3: 0.24824, 4: 0.02948, 5: 0.03242, 6: 0.06812,
              8: 0.1124, 11: 0.08393, 15: 0.22348, 20: 0.13378, 25: 0.06511},
              {128: 0.25371, 129: 0.74629}),
)  # fmt: skip
"""Rates 0.50, 0.55, ..., 0.90 (Elkouss et al.), 0.905, ..., 0.95 (ours); module docstring."""


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
    check_start: NDArray[np.int32]
    check_vars: NDArray[np.int32]
    puncture_order: NDArray[np.int32]
    threshold_qber: float

    @property
    def num_edges(self) -> int:
        """Ones in H."""
        return int(self.check_vars.size)

    def syndrome(self, bits: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """H x over GF(2) for one frame (or frames stacked as rows of a 2-D array).

        >>> code = code_family(2048)[0]
        >>> code.syndrome(np.zeros(2048, np.uint8)).any()
        np.False_
        """
        frames = np.ascontiguousarray(bits, dtype=np.uint8)
        if frames.ndim not in (1, 2) or frames.shape[-1] != self.num_bits:
            raise ConfigError(
                f"need frames of {self.num_bits} bits (1-D, or 2-D with one frame per row),"
                f" got shape {frames.shape}"
            )
        out: NDArray[np.uint8] = frame_syndromes(
            self.check_start, self.check_vars, frames.reshape(-1, self.num_bits)
        )
        return out.reshape(*frames.shape[:-1], self.num_checks)

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


def _zigzag_fit(
    counts: NDArray[np.int64], degrees: NDArray[np.int64], checks: int
) -> NDArray[np.int64]:
    """Make the degree-2 bits beyond m - 1 degree-3 ones, so that every degree-2 bit fits on
    the zigzag. The published lambda_2 of rates 0.75, 0.80 and 0.90 assumes an infinite random
    graph; in a frame of 65536 bits the surplus degree-2 bits close short cycles among
    themselves (low-weight codewords), and a few frames then need many times the median number
    of revealed bits (measured with n = 65536: f went from 1.39 to 1.19 at QBER 1%, six
    frames, and from 1.18 to 1.14 at 2%, sixteen frames)."""
    out = counts.copy()
    if not np.any(degrees == 2) or int(out[degrees == 2].sum()) <= checks - 1:
        return out
    surplus = int(out[degrees == 2].sum()) - (checks - 1)
    out[np.flatnonzero(degrees == 2)[0]] -= surplus
    if np.any(degrees == 3):
        out[np.flatnonzero(degrees == 3)[0]] += surplus
        return out
    raise ConfigError("a distribution with surplus degree-2 bits needs a degree-3 term")


def build_code(distribution: DegreeDistribution, num_bits: int, seed: int = 0) -> LdpcCode:
    """Draw a code of length ``num_bits`` from ``distribution`` (deterministic in ``seed``).

    Check degrees follow rho (node counts, then +-1 on random checks so that both sides have
    the same number of sockets). The degree-2 bits (at most m - 1: surplus ones become
    degree-3, see ``_zigzag_fit``) are laid on a zigzag (bit i joins
    checks pi(i) and pi(i + 1) for a random check order pi), so they form no cycle and hence no
    low-weight codeword, as in irregular repeat-accumulate codes (Jin, Khandekar & McEliece
    2000); the other bits, highest degree first, are joined to random free check sockets,
    refusing any check that would close a 4-cycle (a greedy cousin of progressive edge
    growth, Hu, Eleftheriou & Arnold, IEEE Trans. Inf. Theory 51, 386 (2005)).

    Args:
        distribution: The degree distribution.
        num_bits: Frame length n (>= 1024).
        seed: Seed of the matching and the puncturing order.

    Returns:
        The code.
    """
    if num_bits < MIN_FRAME_BITS:
        raise ConfigError(
            f"an LDPC frame needs at least {MIN_FRAME_BITS} bits (the codes have bits of degree"
            f" up to 73), got {num_bits}"
        )
    rng = np.random.default_rng(seed)
    degrees = np.asarray([d for d, _ in distribution.variable], dtype=np.int64)
    lam = np.asarray([f for _, f in distribution.variable], dtype=np.float64)
    checks = round(num_bits * (1.0 - distribution.rate))
    var_counts = _zigzag_fit(_node_counts(num_bits, degrees, lam / degrees), degrees, checks)
    two = int(var_counts[degrees == 2].sum())
    var_degree = np.repeat(degrees, var_counts)  # degree-2 bits first
    edges = int(var_degree.sum())
    c_degrees = np.asarray([d for d, _ in distribution.check], dtype=np.int64)
    rho = np.asarray([f for _, f in distribution.check], dtype=np.float64)
    check_degree = np.repeat(c_degrees, _node_counts(checks, c_degrees, rho / c_degrees))
    excess = int(check_degree.sum()) - edges  # match both sides' sockets: spread the change
    if excess > 0:  # never take a check below 3 sockets (two may go to the zigzag)
        for _ in range(excess):
            wide = np.flatnonzero(check_degree > 3)
            if wide.size == 0:
                break
            take = rng.permutation(wide)[:excess]
            check_degree[take] -= 1
            excess -= take.size
            if excess == 0:
                break
    else:
        check_degree += -excess // checks
        check_degree[rng.permutation(checks)[: -excess % checks]] += 1
    if int(check_degree.sum()) != edges:
        raise ConfigError(f"the check distribution of rate {distribution.rate} does not fit")
    chain = rng.permutation(checks)
    chain_var = np.repeat(np.arange(two), 2)
    chain_check = np.stack([chain[:two], chain[1 : two + 1]], axis=1).reshape(-1)
    free = check_degree - np.bincount(chain_check, minlength=checks)
    for _attempt in range(8):  # a short frame can end with only parallel edges left: redraw
        try:
            var_socket, check_socket = _connect(
                var_degree, two, check_degree, chain_check.reshape(-1, 2), free,
                int(rng.integers(0, 2**62)),
            )  # fmt: skip
            break
        except ValueError:
            continue
    else:
        raise ConfigError(
            f"could not draw a rate-{distribution.rate} code of {num_bits} bits without"
            " parallel edges; use a longer frame"
        )
    all_var = np.concatenate([chain_var, var_socket])
    all_check = np.concatenate([chain_check, check_socket])
    order = np.lexsort((all_var, all_check))
    check_vars = all_var[order].astype(np.int32)
    check_start = np.concatenate([[0], np.cumsum(np.bincount(all_check, minlength=checks))])
    return LdpcCode(
        distribution.rate,
        num_bits,
        checks,
        check_start.astype(np.int32),
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
        for e in range(var_degree[v]):
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
            if e < var_degree[v] - 1:  # marks serve v's later edges only
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
    candidates = np.lexsort((rng.random(n), var_degree))
    limit = int(_MAX_PUNCTURED_FRACTION * n)
    chosen = _untainted_greedy(candidates, var_start, checks[by_var], check_start.size - 1, limit)
    return chosen.astype(np.int32)


@numba.njit(cache=True)
def _untainted_greedy(  # pragma: no cover - compiled
    candidates: NDArray[np.int64],
    var_start: NDArray[np.int64],
    var_checks: NDArray[np.int64],
    num_checks: int,
    limit: int,
) -> NDArray[np.int64]:
    tainted = np.zeros(num_checks, np.bool_)
    chosen = np.empty(limit, np.int64)
    count = 0
    for v in candidates:
        if count == limit:
            break
        free = True
        for j in range(var_start[v], var_start[v + 1]):
            if tainted[var_checks[j]]:
                free = False
                break
        if free:
            for j in range(var_start[v], var_start[v + 1]):
                tainted[var_checks[j]] = True
            chosen[count] = v
            count += 1
    return chosen[:count]


@functools.cache
def code_family(num_bits: int = DEFAULT_FRAME_BITS) -> tuple[LdpcCode, ...]:
    """One code per rate of :data:`DEGREE_DISTRIBUTIONS`, of length ``num_bits``.

    Built on first use (about 5 s of CPU for n = 65536, after Numba's one-off compilation)
    and kept for the life of the process.

    >>> [round(c.rate, 2) for c in code_family(2048)][:3]
    [0.5, 0.55, 0.6]
    """
    return tuple(build_code(d, num_bits, seed=1000 + i) for i, d in enumerate(DEGREE_DISTRIBUTIONS))
