"""Where the blind LDPC protocol should start: the efficiency each code of the family ends at.

A frame's first attempt costs iterations whenever it fails, and a failed attempt of the blind
protocol (Martinez-Mateo, Elkouss & Martin, QIC 12, 791 (2012)) runs about 11 layered
iterations before the decoder gives up on it. Starting every frame from efficiency 1.05 made
the first 16 frames at QBER 2% climb through 5-6 attempts (70 iterations per frame); starting
them just below where the protocol ends (1.12 there) takes 2.3 attempts and 45 iterations for
the same efficiency (1.153 vs 1.154 over 3 seeds). Where it ends depends on the code (how far
its finite-length decoding threshold lies from the Shannon limit) and on the QBER within the
range the code serves (how much of it is punctured), so it is measured: per code rate, at
15%, 50% and 95% of the code's QBER range, the mean final efficiency of 16 frames over 2
seeds, starting from 1.05, for each frame length the reconciler uses (n = 65536, and
n = 262144 for the rates of at least 0.85; ``benchmarks/qkd_postprocessing.py --ldpc-needed
[--frame-bits 262144]`` prints a length's table; run it again when the family changes). It
includes the 32-bit frame tags and the overshoot of the last 2% step.
"""

from __future__ import annotations

import numpy as np

from kvant.errors import ConfigError

__all__ = ["NEEDED_EFFICIENCY", "predicted_efficiency"]

_SHORT: dict[float, tuple[tuple[float, float], ...]] = {
    0.95: ((0.00323, 1.221), (0.00378, 1.216), (0.00448, 1.238)),
    0.945: ((0.00465, 1.198), (0.00486, 1.189), (0.00513, 1.193)),
    0.94: ((0.00525, 1.187), (0.00545, 1.179), (0.00571, 1.198)),
    0.93: ((0.00592, 1.203), (0.00634, 1.194), (0.00689, 1.198)),
    0.92: ((0.00714, 1.184), (0.00759, 1.176), (0.00817, 1.163)),
    0.91: ((0.00844, 1.164), (0.00891, 1.150), (0.00952, 1.149)),
    0.9: ((0.00965, 1.165), (0.00981, 1.161), (0.01001, 1.155)),
    0.905: ((0.01005, 1.157), (0.01011, 1.159), (0.01017, 1.157)),
    0.895: ((0.01040, 1.160), (0.01091, 1.152), (0.01156, 1.148)),
    0.885: ((0.01184, 1.145), (0.01234, 1.143), (0.01298, 1.137)),
    0.875: ((0.01325, 1.140), (0.01374, 1.137), (0.01437, 1.136)),
    0.865: ((0.01465, 1.142), (0.01515, 1.144), (0.01580, 1.134)),
    0.85: ((0.01623, 1.151), (0.01709, 1.141), (0.01819, 1.137)),
    0.8: ((0.01967, 1.153), (0.02286, 1.134), (0.02696, 1.122)),
    0.75: ((0.02871, 1.147), (0.03174, 1.135), (0.03563, 1.125)),
    0.7: ((0.03761, 1.125), (0.04122, 1.107), (0.04585, 1.080)),
    0.65: ((0.04815, 1.094), (0.05230, 1.088), (0.05764, 1.082)),
    0.6: ((0.06007, 1.092), (0.06435, 1.089), (0.06986, 1.086)),
    0.55: ((0.07238, 1.088), (0.07682, 1.080), (0.08253, 1.073)),
    0.5: ((0.08547, 1.072), (0.09085, 1.064), (0.09776, 1.064)),
}

_LONG: dict[float, tuple[tuple[float, float], ...]] = {
    0.95: ((0.00323, 1.179), (0.00378, 1.188), (0.00448, 1.167)),
    0.945: ((0.00465, 1.165), (0.00486, 1.155), (0.00513, 1.148)),
    0.94: ((0.00525, 1.163), (0.00545, 1.158), (0.00571, 1.150)),
    0.93: ((0.00592, 1.181), (0.00634, 1.163), (0.00689, 1.145)),
    0.92: ((0.00714, 1.169), (0.00759, 1.151), (0.00817, 1.135)),
    0.91: ((0.00844, 1.152), (0.00891, 1.140), (0.00952, 1.127)),
    0.9: ((0.00965, 1.141), (0.00981, 1.138), (0.01001, 1.135)),
    0.905: ((0.01005, 1.136), (0.01011, 1.132), (0.01017, 1.131)),
    0.895: ((0.01040, 1.144), (0.01091, 1.134), (0.01156, 1.124)),
    0.885: ((0.01184, 1.135), (0.01234, 1.124), (0.01298, 1.116)),
    0.875: ((0.01325, 1.133), (0.01374, 1.123), (0.01437, 1.117)),
    0.865: ((0.01465, 1.123), (0.01515, 1.117), (0.01580, 1.114)),
    0.85: ((0.01623, 1.139), (0.01709, 1.130), (0.01819, 1.118)),
}

NEEDED_EFFICIENCY: dict[int, dict[float, tuple[tuple[float, float], ...]]] = {
    65536: _SHORT,
    262144: _LONG,
}
"""Frame length -> code rate -> ((QBER, final efficiency), ...), measured as the module
docstring says (n = 262,144: only the rates that the reconciler uses at that length)."""


def predicted_efficiency(rate: float, qber: float, num_bits: int = 65536) -> float | None:
    """The efficiency at which the blind protocol ends with the code of rate ``rate`` at QBER
    ``qber``: :data:`NEEDED_EFFICIENCY` of the longest measured length up to ``num_bits``
    (the shortest for shorter frames), interpolated linearly in the QBER and held constant
    beyond the measured points; None for a rate not measured at that length.

    Args:
        rate: Design rate of the code.
        qber: QBER in (0, 0.5].
        num_bits: Frame length n.

    Raises:
        ConfigError: for a QBER outside (0, 0.5].

    >>> round(predicted_efficiency(0.8, 0.02), 3), predicted_efficiency(0.8, 0.3)
    (1.151, 1.122)
    >>> predicted_efficiency(0.8, 0.5 * (0.01967 + 0.02286))  # half way: (1.153 + 1.134) / 2
    1.1435
    >>> predicted_efficiency(0.42, 0.1) is None
    True
    """
    if not 0.0 < qber <= 0.5:
        raise ConfigError(f"qber must be in (0, 0.5], got {qber}")
    lengths = sorted(NEEDED_EFFICIENCY)
    length = max((n for n in lengths if n <= num_bits), default=lengths[0])
    points = NEEDED_EFFICIENCY[length].get(round(rate, 4))
    if points is None:
        return None
    qbers, values = zip(*points, strict=True)
    return round(float(np.interp(qber, qbers, values)), 6)
