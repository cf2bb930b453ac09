"""Degree distributions of the LDPC code family, rates 0.50 to 0.95.

Degree distributions (edge perspective) for rates 0.50-0.90 are those of Elkouss, Leverrier,
Alleaume & Boutros, "Efficient reconciliation protocol for discrete-variable quantum key
distribution", ISIT 2009, arXiv:0901.2140, Table I: optimised for the binary symmetric channel
by differential evolution on discretised density evolution; their thresholds are kept in
``threshold_qber``. Their rate-0.85 lambda, as printed, sums to 1.0515; it is normalised, like
every distribution here. Our density evolution (:mod:`kvant.qkd._ldpc_design`) reproduces
their thresholds within 1% except at rate 0.75, whose printed lambda_2 breaks the stability
condition at the printed 3.92% (ours: 3.66%), and 0.85 (normalised: 1.95%).

Rates 0.865-0.895 and 0.905-0.95, for QBER 0.45%-1.6%, are Kvant's own: differential
evolution of lambda on degrees {2, 3, 4, 5, 6, 8, 11, 15, 20, 25} with mean variable degree
<= 6.5, rho concentrated on two consecutive degrees, lambda_2 within the zigzag of
:func:`~kvant.qkd._ldpc_codes.build_code` (:func:`kvant.qkd._ldpc_design_search.
design_distribution` with population 14, 20 generations, seed 7, ``qber_guess`` near the
expected threshold: 0.017, 0.0155, 0.014 and 0.0125 for rates 0.865-0.895; 1.5-2 min of CPU
per rate). Their ``threshold_qber`` is *our* discretised density evolution's BSC threshold on
``COARSE_GRID`` (bisection to 0.1%, a lower estimate; the finer ``FINE_GRID`` gives 0.2%
more), 88-92% of the Shannon limit h^-1(1 - R). The rows 0.905-0.95 replace a
Gaussian-approximation rate-0.95 row whose claimed 0.479% is 0.35% under density evolution.
The rows 0.865-0.895 (91.5-91.9% of the Shannon limit, mean variable degree 6.0-6.2) fill the
gap between Elkouss's 0.85 and 0.90 (whose threshold, 84% of its Shannon limit, is below
that of our 0.905), where QBER 1.0%-1.6% had only the rate-0.85 code: with n = 65536 and four
frames, mean f over seeds 1-8 went from 1.201 to 1.155 at QBER 1.1%, 1.196 to 1.145 at
1.25%, 1.163 to 1.147 at 1.5%.

For frames of 262,144 bits and more, :data:`LONG_FRAME_DISTRIBUTIONS` replaces the rows 0.92,
0.93, 0.94 and 0.945 (the codes of QBER 0.5%-0.8%) with the result of a second search that
started from those rows (``initial``) on degrees {2, ..., 25, 35, 50} with mean variable
degree <= 7 (population 14, 30 generations, seed 11; 216-264 s of CPU each): thresholds
0.8956% -> 0.9153%, 0.7551% -> 0.7701%, 0.6233% -> 0.6332% and 0.561% -> 0.5704% (91-92% of
the Shannon limit), for 6.8-6.9 edges per bit instead of 6.4-6.5. With long frames (16
frames, seeds 1-2) f went from 1.148 to 1.133 at QBER 0.75% and from 1.149 to 1.145 at 0.5%;
in frames of 65,536 bits the high degrees cost instead (4 frames at QBER 0.5%, 3 seeds: 1.219
-> 1.262), so shorter frames keep the rows above.

Rates 0.83 and 0.84 (thresholds 2.32% and 2.15%, 91% of their Shannon limits) fill the gap
between Elkouss's 0.80 (2.98%) and 0.85 (1.99%), where QBER 1.8%-2.7% had only the rate-0.80
code, punctured by up to 6%: same search (population 14, 20 generations, seed 7,
``qber_guess`` 0.0225 and 0.021; 82 and 95 s of CPU). At QBER 2%, 64 frames of n = 65536,
seeds 1-3: f 1.150 -> 1.134, and the decoder's iterations per frame 47.2 -> 47.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DEGREE_DISTRIBUTIONS", "LONG_FRAME_DISTRIBUTIONS", "DegreeDistribution"]


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
    _designed(0.83, 0.023157, {2: 0.05862, 3: 0.21766, 4: 0.07381, 5: 0.07217, 6: 0.01861,
              8: 0.00624, 11: 0.09831, 15: 0.24463, 20: 0.08676, 25: 0.12319},
              {33: 0.0253, 34: 0.9747}),
    _designed(0.84, 0.021502, {2: 0.0542, 3: 0.2535, 4: 0.01011, 5: 0.06125, 6: 0.02695,
              8: 0.04558, 11: 0.08659, 15: 0.2424, 20: 0.07244, 25: 0.14698},
              {36: 0.25164, 37: 0.74836}),
    _elkouss(0.85, 0.0199, {2: 0.04528, 3: 0.20537, 4: 0.05878, 5: 0.094274, 6: 0.08454,
             7: 0.01176, 9: 0.05137, 21: 0.50015}, {41: 0.54204, 42: 0.45795}),
    _designed(0.865, 0.017248, {2: 0.0444, 3: 0.26744, 4: 0.02028, 5: 0.0009, 6: 0.02264,
              8: 0.02328, 11: 0.25842, 15: 0.11398, 20: 0.14464, 25: 0.10402},
              {44: 0.30877, 45: 0.69123}),
    _designed(0.875, 0.01569, {2: 0.03412, 3: 0.24214, 4: 0.06475, 5: 0.0301, 6: 0.00088,
              8: 0.11551, 11: 0.08466, 15: 0.19216, 20: 0.08215, 25: 0.15353},
              {48: 0.60466, 49: 0.39534}),
    _designed(0.885, 0.014181, {2: 0.03316, 3: 0.25815, 4: 0.01632, 5: 0.04312, 6: 0.00348,
              8: 0.09209, 11: 0.11522, 15: 0.17079, 20: 0.10127, 25: 0.1664},
              {54: 0.99136, 55: 0.00864}),
    _designed(0.895, 0.012641, {2: 0.03377, 3: 0.2321, 4: 0.03415, 5: 0.04306, 6: 0.03949,
              8: 0.12281, 11: 0.07553, 15: 0.03856, 20: 0.35252, 25: 0.02801},
              {58: 0.03486, 59: 0.96514}),
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
"""Rates 0.50, 0.55, ..., 0.90 (Elkouss et al.), 0.83, 0.84, 0.865, ..., 0.895 and 0.905, ...,
0.95 (ours); module docstring."""

LONG_FRAME_DISTRIBUTIONS: tuple[DegreeDistribution, ...] = (
    _designed(0.92, 0.009153, {2: 0.02173, 3: 0.22778, 4: 0.01576, 5: 0.02989, 6: 0.0183,
              8: 0.09069, 11: 0.22015, 15: 0.04546, 20: 0.09903, 25: 0.05595, 35: 0.09865,
              50: 0.07661}, {85: 0.19395, 86: 0.80605}),
    _designed(0.93, 0.007701, {2: 0.02027, 3: 0.21341, 4: 0.0031, 5: 0.04915, 6: 0.05597,
              8: 0.14187, 11: 0.04825, 15: 0.14135, 20: 0.05344, 25: 0.21088, 35: 0.04089,
              50: 0.02142}, {98: 0.7825, 99: 0.2175}),
    _designed(0.94, 0.006332, {2: 0.01406, 3: 0.22466, 4: 0.0065, 5: 0.05605, 6: 0.02367,
              8: 0.12909, 11: 0.0416, 15: 0.21298, 20: 0.14426, 25: 0.08361, 35: 0.02188,
              50: 0.04164}, {115: 0.92093, 116: 0.07907}),
    _designed(0.945, 0.005704, {2: 0.01576, 3: 0.19702, 4: 0.07406, 5: 0.01127, 6: 0.03542,
              8: 0.13429, 11: 0.07571, 15: 0.19877, 20: 0.07666, 25: 0.13042, 35: 0.04245,
              50: 0.00817}, {123: 0.79228, 124: 0.20772}),
)  # fmt: skip
"""Rows that replace those of the same rate in frames of 262,144 bits and more: variable
degrees up to 50 bring the thresholds closer to the Shannon limit, which only long frames
turn into efficiency (module docstring)."""
