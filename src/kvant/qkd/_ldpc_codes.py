"""A family of irregular LDPC codes for reconciliation, rates 0.50 to 0.95, with untainted
puncturing positions for rate adaptation.

Degree distributions: :mod:`kvant.qkd._ldpc_distributions` (rates 0.50-0.90 of Elkouss et
al. 2009, Table I; 0.83-0.84, 0.865-0.895 and 0.905-0.95 designed by Kvant's density
evolution).

A code of length n is drawn from its distribution by random socket matching with a fixed seed
(parallel edges removed), so the family is the same on every machine. Punctured positions are
chosen *untainted* (Elkouss, Martinez-Mateo & Martin, IEEE Wireless Commun. Lett. 1, 585
(2012)): every check has at most one punctured neighbour, which makes the punctured columns of
H linearly independent, so a syndrome of m bits over p punctured random bits discloses exactly
m - p bits about the key (Elkouss et al., arXiv:1006.2660, Sec. 3).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError
from kvant.qkd._ldpc_cache import cached_arrays
from kvant.qkd._ldpc_distributions import (
    DEGREE_DISTRIBUTIONS,
    LONG_FRAME_DISTRIBUTIONS,
    DegreeDistribution,
)
from kvant.qkd._ldpc_kernels import frame_syndromes

__all__ = [
    "DEFAULT_FRAME_BITS",
    "DEGREE_DISTRIBUTIONS",
    "LONG_FRAME_BITS",
    "LONG_FRAME_MIN_RATE",
    "DegreeDistribution",
    "LdpcCode",
    "build_code",
    "cached_code",
    "code_family",
    "distributions_for",
    "family_code",
]

DEFAULT_FRAME_BITS = 65536
MIN_FRAME_BITS = 1024
LONG_FRAME_BITS = 262144
"""Frame length of the high-rate codes when the reconciler picks lengths itself."""
LONG_FRAME_MIN_RATE = 0.85
"""Codes of at least this rate (QBER below about 1.8%) get :data:`LONG_FRAME_BITS`: their
finite-length gap to the threshold is the largest (at QBER 0.5%, f 1.21 at n = 65536, 1.16 at
n = 262144; ``benchmarks/qkd_postprocessing.py --ldpc-only`` has both)."""
_MAX_PUNCTURED_FRACTION = 0.1


_ADDED_RATES = (0.865, 0.875, 0.885, 0.895, 0.83, 0.84)
_CODE_SEEDS = {
    rate: seed
    for seed, rate in enumerate(
        [d.rate for d in DEGREE_DISTRIBUTIONS if d.rate not in _ADDED_RATES] + list(_ADDED_RATES),
        start=1000,
    )
}
"""Seed of each rate's code in :func:`code_family`: fixed per rate, 1000 + the rate's place in
the family of 16 rates before the rows 0.865-0.895 were added (those got 1016-1019, then
0.83 and 0.84 1020-1021), so that adding a rate leaves every other code as it was."""


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
    checks = round(num_bits * (1.0 - distribution.rate))
    var_degree = _variable_degrees(distribution, num_bits, checks)  # degree-2 bits first
    two = int(np.count_nonzero(var_degree == 2))
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


def _code_arrays(code: LdpcCode) -> dict[str, NDArray[np.int32]]:
    return {
        "check_start": code.check_start,
        "check_vars": code.check_vars,
        "puncture_order": code.puncture_order,
    }


def _intact(distribution: DegreeDistribution, num_bits: int, arrays: Mapping[str, Any]) -> bool:
    """Whether cached arrays are a code of this distribution and length: names and dtypes,
    CSR structure, index ranges, the column weights of the distribution, an untainted
    puncturing order of distinct bits."""
    if set(arrays) != {"check_start", "check_vars", "puncture_order"} or any(
        a.dtype != np.int32 or a.ndim != 1 for a in arrays.values()
    ):
        return False
    start, bits, order = arrays["check_start"], arrays["check_vars"], arrays["puncture_order"]
    checks = round(num_bits * (1.0 - distribution.rate))
    if start.size != checks + 1 or start[0] != 0 or start[-1] != bits.size:
        return False
    if np.any(np.diff(start) < 0) or bits.min() < 0 or bits.max() >= num_bits:
        return False
    if order.size > _MAX_PUNCTURED_FRACTION * num_bits or np.unique(order).size != order.size:
        return False
    if order.size and (order.min() < 0 or order.max() >= num_bits):
        return False
    weights = np.bincount(bits, minlength=num_bits)
    expected = _variable_degrees(distribution, num_bits, checks)
    return bool(np.array_equal(np.sort(weights), np.sort(expected)))


def _variable_degrees(
    distribution: DegreeDistribution, num_bits: int, checks: int
) -> NDArray[np.int64]:
    """Degree of every bit, degree-2 bits first (node counts of lambda, zigzag-fitted)."""
    degrees = np.asarray([d for d, _ in distribution.variable], dtype=np.int64)
    lam = np.asarray([f for _, f in distribution.variable], dtype=np.float64)
    counts = _zigzag_fit(_node_counts(num_bits, degrees, lam / degrees), degrees, checks)
    return np.repeat(degrees, counts)


def cached_code(distribution: DegreeDistribution, num_bits: int, seed: int) -> LdpcCode:
    """:func:`build_code`, through the on-disk cache of :mod:`kvant.qkd._ldpc_cache` (the
    same code, byte for byte, whether built or loaded).

    >>> code = cached_code(DEGREE_DISTRIBUTIONS[0], 1024, seed=5)
    >>> bool(np.array_equal(code.check_vars, build_code(DEGREE_DISTRIBUTIONS[0], 1024,
    ...                                                  seed=5).check_vars))
    True
    """
    if num_bits < MIN_FRAME_BITS:
        build_code(distribution, num_bits, seed)  # raises the ConfigError
    arrays = cached_arrays(
        f"rate{distribution.rate}-n{num_bits}",
        {"distribution": distribution.to_dict(), "num_bits": num_bits, "seed": seed},
        lambda: _code_arrays(build_code(distribution, num_bits, seed)),
        lambda loaded: _intact(distribution, num_bits, loaded),
    )
    checks = arrays["check_start"].size - 1
    return LdpcCode(
        distribution.rate,
        num_bits,
        checks,
        arrays["check_start"],
        arrays["check_vars"],
        arrays["puncture_order"],
        distribution.threshold_qber,
    )


def distributions_for(num_bits: int) -> tuple[DegreeDistribution, ...]:
    """The family's rows for frames of ``num_bits``: :data:`DEGREE_DISTRIBUTIONS`, with the rows
    of :data:`~kvant.qkd._ldpc_distributions.LONG_FRAME_DISTRIBUTIONS` in their place from
    :data:`LONG_FRAME_BITS` up (high variable degrees pay only in long frames).

    >>> [d.threshold_qber for d in distributions_for(262144) if d.rate == 0.945] > [
    ...     d.threshold_qber for d in distributions_for(65536) if d.rate == 0.945]
    True
    """
    if num_bits < LONG_FRAME_BITS:
        return DEGREE_DISTRIBUTIONS
    long = {d.rate: d for d in LONG_FRAME_DISTRIBUTIONS}
    return tuple(long.get(d.rate, d) for d in DEGREE_DISTRIBUTIONS)


@functools.cache
def family_code(rate: float, num_bits: int = DEFAULT_FRAME_BITS) -> LdpcCode:
    """The code of rate ``rate`` in :func:`code_family` (``num_bits``), built or loaded alone:
    a caller that needs one rate does not pay for the family.

    Raises:
        ConfigError: for a rate that is not one of :data:`DEGREE_DISTRIBUTIONS`.

    >>> family_code(0.95, 2048) is code_family(2048)[-1]
    True
    """
    row = next((d for d in distributions_for(num_bits) if d.rate == rate), None)
    if row is None:
        raise ConfigError(
            f"no code of rate {rate} in the family; the rates are"
            f" {[d.rate for d in DEGREE_DISTRIBUTIONS]}"
        )
    return cached_code(row, num_bits, seed=_CODE_SEEDS[row.rate])


@functools.cache
def code_family(num_bits: int = DEFAULT_FRAME_BITS) -> tuple[LdpcCode, ...]:
    """One code per rate of :func:`distributions_for` ``num_bits``, of that length.

    Drawn on first use (about 9 s of CPU for n = 65536) and kept on disk
    (:mod:`kvant.qkd._ldpc_cache`: later processes load the family in about 0.1 s) and for
    the life of the process. Each rate has its own seed (``_CODE_SEEDS``), so adding a rate
    leaves the other codes as they were.

    >>> [round(c.rate, 2) for c in code_family(2048)][:3]
    [0.5, 0.55, 0.6]
    """
    return tuple(family_code(d.rate, num_bits) for d in distributions_for(num_bits))
