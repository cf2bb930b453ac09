"""Rate-adaptive, blind LDPC syndrome reconciliation.

Protocol (Elkouss, Martinez-Mateo & Martin, arXiv:1006.2660, Sec. 3, rate adaptation by
puncturing and shortening; blind retries as in Martinez-Mateo, Elkouss & Martin, QIC 12, 791
(2012) and Kiktenko et al., arXiv:1612.03673, Sec. 2):

1. From the estimated QBER Q, pick the code of the family (:mod:`kvant.qkd._ldpc_codes`) with
   the highest rate whose asymptotic threshold is at least Q / ``threshold_margin`` (the
   lowest rate if none is); each frame of n bits holds k = n - d key bits and
   d = |untainted set| modulated bits. By default n = 262,144 for codes of rate >= 0.85
   in keys that fill 16 such frames (as many whole frames as the key fills) and 65,536
   otherwise (``frame_bits``).
2. Alice fills p_0 modulated positions with random bits (punctured: Bob knows nothing) and the
   other d - p_0 with zeros (shortened: known to both), p_0 chosen so that the starting
   efficiency (m - p_0) / (k h(Q)) is ``start_efficiency``: by default 2 retry steps below
   the efficiency this code is measured to end at for this QBER, less the frame tag
   (:func:`~kvant.qkd._ldpc_start.predicted_efficiency`; 1.05 for a code not measured), and
   sends every frame's syndrome.
3. Bob decodes with layered belief propagation, 16 frames at a time, one per lane of
   :class:`~kvant.qkd._ldpc_lanes.LaneDecoder` (the lanes share every memory access and vector
   instruction, :mod:`kvant.qkd._ldpc_simd`; 32 frames in int16 on CPUs with AVX512-FP16,
   :mod:`kvant.qkd._ldpc_int16`, for frames of at least 32,768 bits of codes of rate <= 0.9,
   the last 16 of a pass in 16 int16 lanes; on CPUs without
   AVX-512 the last frames of a pass move to 8 or 4 lanes: :func:`_lanes_for`). When a
   frame stalls (its count of unsatisfied checks has not reached a new minimum for
   ``stall_iterations`` iterations, or falls too slowly: ``progress_ratio``) Bob reports it
   and Alice reveals the values of ``step`` more of its punctured bits (they become
   shortened); Bob goes on from his messages with the revealed bits pinned, while the other
   lanes never stop. A frame that still fails with no punctured bit left has key bits
   revealed instead (public random order), each counted as leakage, so reconciliation always
   ends with the keys equal (up to the final verification) and the cost shows in the
   efficiency. An attempt that stalls on at most ``trapped_checks`` unsatisfied checks is
   stuck on a trapping set, which more random bits rarely touch: where it costs at most two
   steps, Bob names those checks and Alice discloses their unknown bits instead. A frame
   that decodes leaves its lane to the next one, which starts one step
   below the median of what the finished frames needed (and a failing frame below that level
   is brought up to it), so that later frames need fewer attempts than the first 16.

Leakage of a frame: m - p_0 + r + 32, with r the bits revealed (the syndrome discloses
m - p_0 bits, each revealed bit one more, each check Bob names 32 as sent; untainted
puncturing makes this exact)
and 32 bits of a per-frame hash with which Bob rejects a decoding that satisfies the syndrome
on a wrong codeword (then retried like a failure, from fresh messages). The last, partial
frame pads the key with shortened zeros, whose syndrome is paid in full; by default the rest
of a key beyond its whole frames goes into frames of the one length (65,536 down to 4096 bits)
that discloses least, padding included.
"""

from __future__ import annotations

import functools
import math
import operator
import time
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from kvant.errors import AbortReason, ConfigError, ProtocolAbortError
from kvant.qkd._asymptotic import binary_entropy
from kvant.qkd._classical import ClassicalChannel
from kvant.qkd._ldpc_codes import (
    DEFAULT_FRAME_BITS,
    LONG_FRAME_BITS,
    LONG_FRAME_MIN_RATE,
    LdpcCode,
    code_family,
    distributions_for,
    family_code,
)
from kvant.qkd._ldpc_int16 import INT16_KERNEL, INT16_LANES, INT16_WIDTHS
from kvant.qkd._ldpc_kernels import scatter_columns, scatter_signed
from kvant.qkd._ldpc_lanes import DecoderStats, LaneDecoder
from kvant.qkd._ldpc_phi_ir import Flavour
from kvant.qkd._ldpc_simd import FLAVOUR, LANES, WIDTHS
from kvant.qkd._ldpc_start import predicted_efficiency
from kvant.qkd._polyhash import poly_hash
from kvant.qkd._random import generator
from kvant.qkd._reconcile import ReconciliationResult, check_keys

__all__ = ["LdpcReconciler"]

_KNOWN_LLR = 60.0
_TAIL_FRAME_BITS = (DEFAULT_FRAME_BITS, 32768, 16384, 8192, 4096)  # for the rest of a key
_MIN_QBER = 1e-3
_FRAME_TAG_BITS = 32
_FLOOR_START = 1.05  # the start efficiency of a code with no measured end point
_START_BACKOFF_STEPS = 2.0  # start this many retry steps below the predicted end
_INT16_FIRST_WAVE_STEPS = 0.5  # ... less this many for the first 32 frames of an int16 pass
_FAST_STOP = (3, 0.97)  # (stall_iterations, progress_ratio) of frames below 262,144 bits
_PATIENT_STOP = (12, 0.0)  # ... of the long frames: closer to the threshold, 1.8x the work
INT16_MAX_RATE = 0.9
"""Highest code rate decoded in int16 (QBER above about 1%): with the high-rate codes of the
low QBERs (check degrees 90-130, variable degrees to 50) a frame in int16 could lose its
pinned bits to saturation and never converge: rate 0.94 at n = 65536, QBER 0.58%, 16 frames,
seed 8: f 2.40 and 1070 attempts in int16, 1.18 and 105 in float32."""
INT16_MIN_FRAME_BITS = 32768
"""Shortest frame decoded in int16 (:mod:`kvant.qkd._ldpc_int16`; 2^-8 units are too coarse for
short high-rate codes). 16 frames, seeds 7-8, f int16 / float32: n = 32768, rate 0.945 at QBER
0.52% 1.352 / 1.612 against 1.350 / 1.570, rate 0.94 at 0.55% 1.278 / 1.307 against 1.287 /
1.300; n = 16384, rate 0.92 at 0.72%: 3.34 / 2.29 against 1.23 / 1.24 (1715 attempts); 8
frames at n = 2048, QBER 0.6%: 3.98 against 2.81."""


def _frame_tag(bits: NDArray[np.uint8], key: int) -> int:
    """32 bits of the polynomial hash of a frame's key bits: a decoding that satisfies the
    syndrome but lands on another codeword is caught as a failure (and retried) with
    probability >= 1 - (L + 1) / 2^32 (truncating an epsilon-AXU hash, Stinson 1994)."""
    return poly_hash(np.packbits(bits), key, bits.size) & 0xFFFFFFFF


def _lanes_for(frames: int, int16: bool = False, flavour: Flavour = FLAVOUR) -> int:
    """The decoder layout (lanes) whose sweep costs least for a pass of ``frames`` frames.

    A sweep costs about the same per edge whatever the lane count (the instructions do not get
    cheaper with fewer lanes), so: with ``int16`` (the host runs :mod:`kvant.qkd._ldpc_int16`)
    its 32 lanes, or its 16 (256-bit registers: 0.75x the sweep of 32) for at most 16
    frames; on an AVX-512 host without it, 16 float32 lanes (8 and 4 lanes would take the
    slower AVX2 lookup); elsewhere the narrowest of :data:`~kvant.qkd._ldpc_simd.WIDTHS`
    that holds ``frames`` (all of them up to 16), with no empty lane swept. Milliseconds per
    sweep on one Xeon (Emerald Rapids) core, rate 0.8, 32 int16 / 16 float32 / 8 / 4 lanes:
    0.12 / 0.19 / 0.22 / 0.17 at n = 4096, 2.9 / 3.1 / 3.8 / 3.8 at n = 65536 (16 int16
    lanes: 0.75x of 32); with AVX2 (Zen 3) narrowing to 8 and 4 lanes saved 12% of the
    decoder time of 64 frames.

    >>> _lanes_for(3, flavour="avx2"), _lanes_for(3, flavour="avx512"), _lanes_for(3, True)
    (4, 16, 16)
    """
    if int16:
        return INT16_LANES if frames > INT16_WIDTHS[-1] else INT16_WIDTHS[-1]
    if flavour == "avx512":
        return LANES
    return min((w for w in WIDTHS if w >= frames), default=LANES)


def _clamped(qber: float) -> float:
    """The QBER the codes are chosen and the LLRs computed for (at least 0.1%)."""
    return min(max(qber, _MIN_QBER), 0.5)


def _unknown_bits(
    code: LdpcCode, channel_llr: NDArray[np.float32], checks: NDArray[np.int64]
) -> NDArray[np.int64]:
    """The positions in ``checks`` that Bob does not know yet (not shortened or revealed)."""
    spans = [code.check_vars[code.check_start[c] : code.check_start[c + 1]] for c in checks]
    positions: NDArray[np.int64] = np.unique(np.concatenate(spans)).astype(np.int64)
    unknown: NDArray[np.int64] = positions[np.abs(channel_llr[positions]) < _KNOWN_LLR]
    return unknown


def _pin(
    channel_llr: NDArray[np.float32],
    disclosed: list[tuple[Any, NDArray[np.int64]]],
    bits: NDArray[np.uint8],
) -> list[tuple[NDArray[np.int64], NDArray[np.float32]]]:
    """Bob sets the LLRs of the disclosed positions of each frame to +-60 from ``bits`` (in
    the order of ``disclosed``) and returns, per frame, the positions and how their LLRs
    moved (for :meth:`~kvant.qkd._ldpc_lanes.LaneDecoder.pin`)."""
    out, cursor = [], 0
    for frame, positions in disclosed:
        sign = 1.0 - 2.0 * bits[cursor : cursor + positions.size]
        pinned = (_KNOWN_LLR * sign).astype(np.float32)
        out.append((positions, pinned - channel_llr[frame, positions]))
        channel_llr[frame, positions] = pinned
        cursor += positions.size
    return out


class LdpcReconciler:
    """Blind rate-adaptive LDPC reconciliation behind the :class:`~kvant.qkd.Reconciler`
    interface.

    Args:
        frame_bits: Code length n (the family is built once per length and cached), or
            ``auto`` (default): :data:`~kvant.qkd._ldpc_codes.LONG_FRAME_BITS` (262,144) for
            the codes of rate >= 0.85 (QBER below about 1.8%) in keys that fill at least 16
            of them (about 4 Mbit), as many whole frames as the key fills, and 65,536 for
            the rest of the key and for every other code; what fills no whole frame goes
            into frames of the one length (65,536-4096 bits) that discloses least. Longer
            frames decode closer to the codes' thresholds: at QBER 0.5 / 1 / 1.5 / 2%, 16
            frames, seeds 1-2, f 1.196 / 1.164 / 1.139 / 1.146 at 65,536 and 1.156 / 1.132
            / 1.118 / 1.146 (65,536 at 2%) by default, for 15-25% more decoder time per
            key bit.
        algorithm: ``sum-product`` (default: the codes are designed for it) or ``min-sum``
            (normalised; each iteration is about twice as fast, but on these irregular codes
            with checks of degree 10-90 it needs far more disclosed bits).
        max_iterations: BP iterations per decoding attempt.
        start_efficiency: Efficiency of the first attempt; None (default): predicted per
            code and QBER (:func:`~kvant.qkd._ldpc_start.predicted_efficiency` less 2 steps
            and the frame tag, at least 1.05). Measured at QBER 2% (seeds 1-3): 1.05 -> f
            1.153 and 70 iterations per frame with 16 frames, 1.153 and 52 with 64;
            predicted (2 steps back, 1.11) -> 1.153 and 50, 1.153 and 48; 1.5 steps back
            -> 1.153 and 45, 1.156 and 45; 2.5 -> 1.151 and 54, 1.154 and 48.
        step_efficiency: Efficiency added by each retry (sets how many bits are revealed).
        threshold_margin: A code is used up to QBER ``threshold_margin`` x its threshold.
        min_sum_scale: alpha of normalised min-sum.
        stall_iterations: An attempt ends (Bob asks for more bits) after this many
            iterations without a new minimum of unsatisfied checks; None (default): 3 for
            frames shorter than 262,144 bits, 12 for the long frames, which exist to get
            closer to the threshold (with ``progress_ratio`` off: 16 frames, seeds 1-2, f at
            QBER 0.5 / 0.75% 1.156 / 1.155 with the short frames' rule, 1.150 / 1.149 with
            12, 1.149 / 1.149 with 20, for 1.8x the decoder time). Measured at QBER 2%
            (16 frames, 3 seeds, ``progress_ratio`` off): 6 -> f 1.144, 101 iterations per
            frame; 3 -> f 1.147, 78; 2 -> f 1.153, 67 (``benchmarks/qkd_postprocessing.py``
            has the trade-off).
        progress_ratio: An attempt also ends when the count of unsatisfied checks is above
            ``progress_ratio`` times the count ``progress_window`` iterations before (slow
            progress, a plateau is coming); 0 turns this off. None (default): 0.97 for
            frames shorter than 262,144 bits, off for the long ones. Measured at QBER 2%,
            with ``stall_iterations`` 3 (16 frames, 3 seeds): off -> f 1.147, 78 iterations
            per frame; 0.97 -> f 1.150, 68; 0.95 -> 1.151, 63 (window 4); at 5% and 10% the
            efficiency moves by +0.001.
        progress_window: See ``progress_ratio`` (1 to 16 iterations).
        trapped_checks: An attempt that stalls with at most this many unsatisfied checks
            is stuck on a trapping set (a near-codeword that more random bits rarely
            touch): Bob names those checks and Alice discloses their unknown bits, counted
            as leakage with 32 bits per check named; 0 turns this off. A frame of the
            rate-0.92 code at n = 262,144 (QBER 0.71%, seed 8) stuck at 2 unsatisfied
            checks took 122 attempts and 38k revealed bits without it (16 frames: f 1.314),
            1 targeted disclosure with it (f 1.168).
        exact_phi: Decode with the 4096-entry phi table in the plain kernel (about 5x
            slower) instead of the 64-entry table of the vector kernel
            (:func:`~kvant.qkd._ldpc_kernels.phi_log_table`): to measure what the small
            table costs in efficiency (within the spread between seeds).

    >>> rng = np.random.default_rng(1)
    >>> alice = rng.integers(0, 2, 6000, dtype=np.uint8)
    >>> bob = alice ^ (rng.random(6000) < 0.03).astype(np.uint8)
    >>> from kvant.qkd import ClassicalChannel
    >>> result = LdpcReconciler(frame_bits=2048).reconcile(alice, bob, 0.03, ClassicalChannel())
    >>> bool(np.array_equal(result.bob_key, alice)), result.success
    (True, True)
    """

    def __init__(
        self,
        frame_bits: int | Literal["auto"] = "auto",
        *,
        algorithm: Literal["sum-product", "min-sum"] = "sum-product",
        max_iterations: int = 100,
        start_efficiency: float | None = None,
        step_efficiency: float = 0.02,
        threshold_margin: float = 0.92,
        min_sum_scale: float = 0.8,
        stall_iterations: int | None = None,
        progress_ratio: float | None = None,
        progress_window: int = 4,
        exact_phi: bool = False,
        trapped_checks: int = 8,
    ) -> None:
        if algorithm not in ("sum-product", "min-sum"):
            raise ConfigError(f"unknown BP algorithm {algorithm!r}; use sum-product or min-sum")
        if not 1 <= max_iterations <= 10_000:
            raise ConfigError(f"max_iterations must be in [1, 10000], got {max_iterations}")
        start = _FLOOR_START if start_efficiency is None else start_efficiency
        if not 0.0 < start <= 3.0 or not 0.0 < step_efficiency <= 1.0:
            raise ConfigError(
                "need 0 < start_efficiency <= 3 and 0 < step_efficiency <= 1, got"
                f" {start_efficiency} and {step_efficiency}"
            )
        if not 0.5 <= threshold_margin <= 1.5:
            raise ConfigError(f"threshold_margin must be in [0.5, 1.5], got {threshold_margin}")
        if not 0.0 < min_sum_scale <= 1.0:
            raise ConfigError(f"min_sum_scale must be in (0, 1], got {min_sum_scale}")
        if stall_iterations is not None and not 1 <= stall_iterations <= max_iterations:
            raise ConfigError(
                f"stall_iterations must be in [1, max_iterations={max_iterations}], got"
                f" {stall_iterations}"
            )
        if frame_bits != "auto" and not isinstance(frame_bits, int | np.integer):
            raise ConfigError(f"frame_bits must be an integer or 'auto', got {frame_bits!r}")
        self.frame_bits: int | Literal["auto"] = "auto" if frame_bits == "auto" else int(frame_bits)
        self.algorithm = algorithm
        self.max_iterations = max_iterations
        self.start_efficiency = start_efficiency
        self.step_efficiency = step_efficiency
        self.threshold_margin = threshold_margin
        self.min_sum_scale = min_sum_scale
        ratio = 0.0 if progress_ratio is None else progress_ratio
        if not 0.0 <= ratio <= 1.0 or not 1 <= progress_window <= 16:
            raise ConfigError(
                "need 0 <= progress_ratio <= 1 and 1 <= progress_window <= 16, got"
                f" {progress_ratio} and {progress_window}"
            )
        self.stall_iterations = stall_iterations
        self.progress_ratio = progress_ratio
        self.progress_window = progress_window
        self.exact_phi = bool(exact_phi)
        if not 0 <= trapped_checks <= 64:
            raise ConfigError(f"trapped_checks must be in [0, 64], got {trapped_checks}")
        self.trapped_checks = trapped_checks
        # passes of more than 16 frames decode in int16 where the CPU runs that kernel
        self._int16 = INT16_KERNEL and algorithm == "sum-product" and not self.exact_phi
        # build the family now where that is cheap (n <= 65536: about 9 s once per machine);
        # longer codes are built when first chosen (4-12 s each), not all 20 up front
        short = DEFAULT_FRAME_BITS if self.frame_bits == "auto" else self.frame_bits
        if short <= DEFAULT_FRAME_BITS:
            code_family(short)  # ConfigError for a frame too short

    def stopping(self, num_bits: int) -> tuple[int, float]:
        """(``stall_iterations``, ``progress_ratio``) for frames of ``num_bits``: the
        arguments where given, else the defaults of that length (see the class).

        >>> LdpcReconciler(2048).stopping(65536), LdpcReconciler(2048).stopping(262144)
        ((3, 0.97), (12, 0.0))
        """
        patient = num_bits >= LONG_FRAME_BITS
        default_stall, default_ratio = _PATIENT_STOP if patient else _FAST_STOP
        stall = default_stall if self.stall_iterations is None else self.stall_iterations
        ratio = default_ratio if self.progress_ratio is None else self.progress_ratio
        return min(stall, self.max_iterations), ratio

    @property
    def name(self) -> str:
        """``ldpc``."""
        return "ldpc"

    def __repr__(self) -> str:
        return f"LdpcReconciler(frame_bits={self.frame_bits}, algorithm={self.algorithm!r})"

    def frame_length(self, rate: float) -> int:
        """The longest frame length used with the code of rate ``rate`` (see ``frame_bits``:
        with ``auto``, long frames only in keys that fill 16 of them)."""
        if self.frame_bits != "auto":
            return self.frame_bits
        return LONG_FRAME_BITS if rate >= LONG_FRAME_MIN_RATE else DEFAULT_FRAME_BITS

    def code_rate(self, qber: float, num_bits: int = DEFAULT_FRAME_BITS) -> float:
        """The rate of the family's code for QBER ``qber`` in frames of ``num_bits``: the
        highest whose threshold is at least ``qber / threshold_margin``, the lowest if none
        is (the long frames' rows have their own thresholds: :func:`distributions_for`)."""
        q = _clamped(qber)
        rows = distributions_for(num_bits)
        fitting = [d for d in rows if d.threshold_qber * self.threshold_margin >= q]
        return max(fitting, key=lambda d: d.rate).rate if fitting else rows[0].rate

    def choose_code(self, qber: float, num_bits: int | None = None) -> tuple[LdpcCode, int, int]:
        """(code, initial punctured bits p_0, bits revealed per retry) for QBER ``qber``, of
        length ``num_bits`` (default: :meth:`frame_length` of the chosen rate)."""
        q = _clamped(qber)
        h = binary_entropy(q)
        rate = self.code_rate(q)
        n = num_bits or self.frame_length(rate)
        rate = self.code_rate(q, n)  # the same or, in long frames, perhaps a higher one
        code = family_code(rate, n)
        k = code.num_bits - code.puncture_order.size
        start = self.start_efficiency
        if start is None:
            predicted = predicted_efficiency(code.rate, q, code.num_bits)
            tag = _FRAME_TAG_BITS / (k * h)
            backoff = _START_BACKOFF_STEPS * self.step_efficiency
            start = _FLOOR_START if predicted is None else predicted - tag - backoff
            start = max(start, _FLOOR_START)
        p0 = math.floor(code.num_checks - start * k * h)
        p0 = min(max(p0, 0), code.puncture_order.size)
        step = max(1, math.ceil(self.step_efficiency * k * h))
        return code, p0, step

    def _reveal(
        self,
        channel: ClassicalChannel,
        x: NDArray[np.uint8],
        order: NDArray[np.int64],
        frames: NDArray[np.int64],
        revealed: NDArray[np.int64],
        channel_llr: NDArray[np.float32],
        counts: NDArray[np.int64],
    ) -> list[tuple[NDArray[np.int64], NDArray[np.float32]]]:
        """Alice discloses the next ``counts[i]`` bits (in ``order``) of each frame
        ``frames[i]``; Bob pins them (channel LLR to +-60).

        Returns:
            Per frame: (positions, change of their LLRs), for the frame's decoder lane.
        """
        reveal = [order[revealed[f] : revealed[f] + c] for f, c in zip(frames, counts, strict=True)]
        if sum(r.size for r in reveal) == 0:
            return [(r, np.empty(0, np.float32)) for r in reveal]
        values = np.concatenate([x[f, r] for f, r in zip(frames, reveal, strict=True)])
        received = channel.send(
            "alice", "ldpc/revealed-bits", np.packbits(values).tobytes(),
            leaked_bits=int(values.size),
        )  # fmt: skip
        bits = np.unpackbits(np.frombuffer(received, np.uint8), count=values.size)
        for f, r in zip(frames, reveal, strict=True):
            revealed[f] += r.size
        return _pin(channel_llr, list(zip(frames, reveal, strict=True)), bits)

    def _reveal_checks(
        self,
        channel: ClassicalChannel,
        code: LdpcCode,
        x: NDArray[np.uint8],
        frames_checks: list[tuple[int, NDArray[np.int64], NDArray[np.int64]]],
        channel_llr: NDArray[np.float32],
    ) -> tuple[list[tuple[NDArray[np.int64], NDArray[np.float32]]], int]:
        """Bob names the unsatisfied checks of trapped frames (frame, checks, the bits of
        those checks he does not know yet: :func:`_unknown_bits`); Alice discloses those
        bits, and Bob pins them.

        The check indices depend on Bob's decoding, so each counts as 32 leaked bits (its
        size on the channel), on top of the bits disclosed. Alice works out the same
        positions from the listing, so one that arrives other than sent aborts the round.

        Returns:
            (per frame: positions and the change of their LLRs, bits leaked).
        """
        listing = np.concatenate([[f, c.size, *c] for f, c, _ in frames_checks]).astype("<u4")
        names = sum(c.size for _, c, _ in frames_checks)
        received = channel.send(
            "bob", "ldpc/unsatisfied-checks", listing.tobytes(), leaked_bits=32 * names
        )
        if received != listing.tobytes():
            raise ProtocolAbortError(
                "the list of unsatisfied LDPC checks arrived altered; round aborted",
                AbortReason.RECONCILIATION_FAILED,
            )
        values = np.concatenate([x[f, r] for f, _, r in frames_checks])
        sent = channel.send(
            "alice", "ldpc/revealed-bits", np.packbits(values).tobytes(),
            leaked_bits=int(values.size),
        )  # fmt: skip
        bits = np.unpackbits(np.frombuffer(sent, np.uint8), count=values.size)
        disclosed = [(f, r) for f, _, r in frames_checks]
        return _pin(channel_llr, disclosed, bits), 32 * names + int(values.size)

    def reconcile(
        self,
        alice_key: NDArray[np.uint8],
        bob_key: NDArray[np.uint8],
        qber_estimate: float,
        channel: ClassicalChannel,
        *,
        seed: int | np.random.Generator | None = None,
    ) -> ReconciliationResult:
        """Reconcile frame by frame (module docstring); see :class:`~kvant.qkd.Reconciler`.

        Raises:
            ConfigError: for keys that are not bit arrays of equal length, or a QBER estimate
                outside [0, 0.5].
        """
        result, _ = self.reconcile_with_stats(alice_key, bob_key, qber_estimate, channel, seed=seed)
        return result

    def reconcile_with_stats(
        self,
        alice_key: NDArray[np.uint8],
        bob_key: NDArray[np.uint8],
        qber_estimate: float,
        channel: ClassicalChannel,
        *,
        seed: int | np.random.Generator | None = None,
    ) -> tuple[ReconciliationResult, DecoderStats]:
        """:meth:`reconcile`, and what the decoder did (iterations, edge updates per second).

        >>> rng = np.random.default_rng(2)
        >>> alice = rng.integers(0, 2, 4000, dtype=np.uint8)
        >>> bob = alice ^ (rng.random(4000) < 0.05).astype(np.uint8)
        >>> from kvant.qkd import ClassicalChannel
        >>> result, stats = LdpcReconciler(frame_bits=2048).reconcile_with_stats(
        ...     alice, bob, 0.05, ClassicalChannel(), seed=1)
        >>> bool(np.array_equal(result.bob_key, alice)), stats.frames
        (True, 3)
        """
        start = time.perf_counter()
        alice, bob = check_keys(alice_key, bob_key, qber_estimate)
        rng = generator(seed)
        sent = len(channel.messages)
        if alice.size == 0:  # nothing to reconcile, nothing disclosed
            empty = ReconciliationResult(
                method=self.name, bob_key=alice.copy(), leaked_bits=0, errors_corrected=0,
                messages=0, rounds=0, success=True, seconds=time.perf_counter() - start,
            )  # fmt: skip
            nothing = DecoderStats(frames=0, edges=0, sweeps=0, lane_sweeps=0,
                                   frame_iterations=0, decoder_seconds=0.0)  # fmt: skip
            return empty, nothing
        if self.frame_bits == "auto":
            parts = self._auto_parts(alice.size, qber_estimate)
        else:
            parts = [(*self.choose_code(qber_estimate), 0, alice.size)]
        done = [
            self._reconcile_frames(
                code, p0, step, alice[lo:hi], bob[lo:hi], qber_estimate, channel, rng
            )
            for code, p0, step, lo, hi in parts
        ]
        corrected = np.concatenate([piece for piece, _, _, _ in done])
        result = ReconciliationResult(
            method=self.name,
            bob_key=corrected,
            leaked_bits=sum(leaked for _, leaked, _, _ in done),
            errors_corrected=int(np.count_nonzero(corrected != bob)),
            messages=len(channel.messages) - sent,
            rounds=sum(attempts for _, _, attempts, _ in done),
            success=True,
            seconds=time.perf_counter() - start,
        )
        return result, functools.reduce(operator.add, [stats for _, _, _, stats in done])

    def _auto_parts(self, size: int, qber: float) -> list[tuple[LdpcCode, int, int, int, int]]:
        """How ``frame_bits="auto"`` cuts a key of ``size`` bits: (code, p_0, step, first
        bit, end) per run of frames of one length.

        Whole long frames where the key fills at least 16 of them (rates >= 0.85: a sweep
        of 4 lanes costs most of what one of 16 does, 0.6-0.7x, so the 4 long frames of a
        1.09 Mbit block at QBER 1% decoded at 0.2 Mbit/s against 0.93 in 65,536-bit frames,
        for f 1.15 against 1.20, when every sweep took 16 lanes), then whole frames of
        65,536, then the rest in frames of the one length in :data:`_TAIL_FRAME_BITS` that
        discloses least by the measured end efficiencies
        (:data:`~kvant.qkd._ldpc_start.NEEDED_EFFICIENCY`): the padding of the last frame
        costs its whole syndrome, a short code costs more per key bit (rate 0.8 at QBER 2%:
        1.29 at n = 4096 against 1.15; rate 0.905: 1.84 against 1.16).
        One length, so the rest decodes in one pass of the lanes. 20 kbit at QBER 2% in one
        padded 65,536-bit frame gave f = 3.39, in three of 8192 1.39."""
        rate = self.code_rate(qber)
        code, p0, step = self.choose_code(qber, DEFAULT_FRAME_BITS)  # built with the family
        k = code.num_bits - code.puncture_order.size
        key_fraction = k / code.num_bits
        parts: list[tuple[LdpcCode, int, int, int, int]] = []
        lo = 0
        top = self.frame_length(rate)
        if top > DEFAULT_FRAME_BITS and size >= 0.9 * LANES * key_fraction * top:
            long = self.choose_code(qber, top)  # built only for a key this long
            k_long = long[0].num_bits - long[0].puncture_order.size
            if size // k_long >= LANES:
                lo = size // k_long * k_long
                parts.append((*long, 0, lo))
        whole = (size - lo) // k * k
        rest = size - lo - whole
        q = _clamped(qber)

        def disclosed(n: int) -> float:
            """Syndrome and revealed bits of the rest in frames of n (in units of h(Q))."""
            frame_key = key_fraction * n
            ends = predicted_efficiency(rate, q, n) or _FLOOR_START
            return math.ceil(rest / frame_key) * frame_key * ends

        tail = min(_TAIL_FRAME_BITS, key=disclosed) if rest else DEFAULT_FRAME_BITS
        if tail == DEFAULT_FRAME_BITS:  # the rest pads the last of these frames
            return [*parts, (code, p0, step, lo, size)] if size > lo else parts
        if whole:
            parts.append((code, p0, step, lo, lo + whole))
        return [*parts, (*self.choose_code(qber, tail), lo + whole, size)]

    def _reconcile_frames(
        self,
        code: LdpcCode,
        p0: int,
        step: int,
        alice: NDArray[np.uint8],
        bob: NDArray[np.uint8],
        qber_estimate: float,
        channel: ClassicalChannel,
        rng: np.random.Generator,
    ) -> tuple[NDArray[np.uint8], int, int, DecoderStats]:
        """The protocol on frames of one code: (Bob's corrected key, bits leaked, decoding
        attempts, decoder work)."""
        n, d = code.num_bits, code.puncture_order.size
        k = n - d
        frames = max(1, -(-alice.size // k))
        is_key = np.ones(n, bool)
        is_key[code.puncture_order] = False
        key_positions = np.flatnonzero(is_key).astype(np.int64)  # the rest, in order
        padded = frames * k
        a_key = np.zeros(padded, np.uint8)
        a_key[: alice.size] = alice
        b_key = np.zeros(padded, np.uint8)
        b_key[: bob.size] = bob
        x = np.zeros((frames, n), np.uint8)
        scatter_columns(x, key_positions, a_key.reshape(frames, k))
        punctured = code.puncture_order[:p0]
        x[:, punctured] = rng.integers(0, 2, (frames, p0), dtype=np.uint8)
        syndromes = code.syndrome(x)
        hash_key = int(rng.integers(0, 2**63))
        frame_keys = a_key.reshape(frames, k)
        tags = np.asarray([_frame_tag(frame_keys[f], hash_key) for f in range(frames)], "<u4")
        channel.send(
            "alice",
            "ldpc/syndromes",
            np.asarray([code.num_bits, code.num_checks, p0, hash_key], "<u8").tobytes()
            + tags.tobytes()
            + np.packbits(syndromes).tobytes(),
            leaked_bits=frames * (code.num_checks - p0 + _FRAME_TAG_BITS),
        )
        q = _clamped(qber_estimate)
        llr = math.log((1.0 - q) / q)
        # shortened zeros (modulated, padding) are known: +60
        channel_llr = np.full((frames, n), _KNOWN_LLR, dtype=np.float32)
        scatter_signed(channel_llr, key_positions, b_key.reshape(frames, k), llr)  # 1 -> -llr
        channel_llr[:, punctured] = 0.0
        channel_llr[frames - 1, key_positions[np.arange(alice.size, padded) % k]] = _KNOWN_LLR
        # what Alice reveals on each retry: the punctured bits (last punctured first), then,
        # once none is left, key bits in a public random order (never give up silently)
        order = np.concatenate(
            [code.puncture_order[:p0][::-1], rng.permutation(key_positions)]
        ).astype(np.int64)
        revealed = np.zeros(frames, dtype=np.int64)
        int16 = self._int16 and n >= INT16_MIN_FRAME_BITS and code.rate <= INT16_MAX_RATE
        stall, ratio = self.stopping(n)
        decoder = LaneDecoder(
            code, min_sum=self.algorithm == "min-sum", alpha=self.min_sum_scale,
            stall_iterations=stall, max_iterations=self.max_iterations,
            progress_ratio=ratio, progress_window=self.progress_window,
            exact_phi=self.exact_phi, lanes=_lanes_for(frames, int16), int16=int16,
        )  # fmt: skip
        decided = np.zeros((frames, k), np.uint8)
        history: list[int] = []
        # 32 int16 lanes start twice the frames before any has finished: the first wave
        # starts half a step higher. 64 frames, seeds 1-3, iterations per frame at QBER
        # 1 / 2 / 5%: 52.3 / 49.9 / 64.5 -> 50.3 / 48.1 / 62.6, f within 0.0002 (a whole
        # step: 47.6 / 46.1 / 59.8, f up to +0.0012)
        wide = decoder.lanes == INT16_LANES
        wave = _INT16_FIRST_WAVE_STEPS if wide and self.start_efficiency is None else 0
        first_wave = int(wave * step)

        def start_level() -> int:
            """Bits revealed before a frame's first attempt: one step below the median of
            what earlier frames needed (none yet: 0, i.e. at p_0, or ``first_wave``)."""
            return max(0, int(np.median(history)) - step) if history else first_wave

        attempts = 0
        queued = 0
        extra_leaked = 0  # check indices and the bits of trapped frames' unsatisfied checks
        while True:
            free = decoder.free_lanes()
            entering = np.arange(queued, min(queued + free.size, frames), dtype=np.int64)
            queued += entering.size
            ahead = start_level()
            if entering.size and ahead:
                counts = np.full(entering.size, ahead, np.int64)
                self._reveal(channel, x, order, entering, revealed, channel_llr, counts)
            for lane, frame in zip(free, entering, strict=False):
                decoder.load(int(lane), int(frame), syndromes[frame], channel_llr[frame])
            attempts += entering.size
            if queued == frames:  # no frame left to enter: sweep no more lanes than are held
                held = int(np.count_nonzero(decoder.frame >= 0))
                if _lanes_for(held, int16) < decoder.lanes:
                    decoder.narrow(_lanes_for(held, int16))
            converged, stalled = decoder.run()
            if converged.size == 0 and stalled.size == 0:
                break
            restart, finished, unfinished = [], [], []
            for lane in map(int, converged):
                done = int(decoder.frame[lane])
                bits = decoder.decisions(lane, key_positions)
                if _frame_tag(bits, hash_key) == tags[done]:  # the key bits are Alice's
                    decided[done] = bits
                    history.append(int(revealed[done]))
                    finished.append(done)
                    decoder.release(lane)
                elif decoder.satisfied(lane):  # another codeword with the same syndrome:
                    restart.append(lane)  # retry from fresh messages
                elif not decoder.resume(lane):  # the sweep's count was stale: not done yet
                    unfinished.append(lane)
            stalled = np.concatenate([stalled, unfinished]).astype(np.int64)
            # a stalled lane stuck on a few unsatisfied checks (a trapping set: more random
            # bits rarely touch it) gets the bits of those checks instead of the next step,
            # where that costs at most two steps
            trapped = {}
            for lane in map(int, stalled):
                if not 0 < decoder.unsatisfied_count(lane) <= 2 * self.trapped_checks:
                    continue
                checks = decoder.unsatisfied_checks(lane)
                if not 0 < checks.size <= self.trapped_checks:
                    continue
                unknown = _unknown_bits(code, channel_llr[decoder.frame[lane]], checks)
                if 32 * checks.size + unknown.size <= 2 * step:
                    trapped[lane] = (checks, unknown)
            stuck = [int(lane) for lane in stalled if int(lane) not in trapped]
            if not (restart or stuck or trapped or finished):
                continue  # only resumed lanes: nothing to tell Alice
            failed = np.asarray(restart + stuck, dtype=np.int64)
            # Bob: how many frames failed, which, and which decoded (none of it about the key)
            report = np.concatenate([[failed.size], decoder.frame[failed], finished])
            channel.send("bob", "ldpc/decoding-failed", report.astype("<u4").tobytes())
            # a failed frame gets `step` more bits, or catches up with where new frames start
            counts = np.maximum(step, start_level() - revealed[decoder.frame[failed]])
            pins = self._reveal(
                channel, x, order, decoder.frame[failed], revealed, channel_llr, counts
            )
            for lane, (positions, delta) in zip(failed, pins, strict=True):
                number = int(decoder.frame[lane])
                if revealed[number] >= order.size:  # Alice has disclosed every bit of it:
                    decided[number] = channel_llr[number, key_positions] < 0  # nothing to do
                    decoder.release(int(lane))
                elif int(lane) in restart:
                    decoder.restart(int(lane), channel_llr[number])
                else:
                    decoder.pin(int(lane), positions, delta)
            if trapped:
                frames_checks = [(int(decoder.frame[lane]), *t) for lane, t in trapped.items()]
                pins, disclosed = self._reveal_checks(channel, code, x, frames_checks, channel_llr)
                extra_leaked += disclosed
                for lane, (positions, delta) in zip(trapped, pins, strict=True):
                    decoder.pin(lane, positions, delta)
            attempts += failed.size + len(trapped)
        corrected = decided.reshape(-1)[: bob.size]
        leaked = frames * (code.num_checks - p0 + _FRAME_TAG_BITS) + int(revealed.sum())
        leaked += extra_leaked
        return corrected, leaked, attempts, decoder.stats(frames)
