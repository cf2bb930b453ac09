# Numba compiles these functions from their argument types; Python annotations would be
# ignored by it, so mypy checks neither their signatures nor their bodies:
# mypy: disallow-untyped-defs=False, check-untyped-defs=False
"""The layered sweep on 32 (or 16) frames at once in int16, for CPUs with AVX512-FP16.

The same rule as :mod:`kvant.qkd._ldpc_simd` (layered sum-product, phi from the 64-entry
:func:`~kvant.qkd._ldpc_kernels.phi_log_table`), with posteriors, messages and phi values in
int16 units of 2^-8 (:data:`UNIT_BITS`): 32 lanes fill one 512-bit register, so every
instruction serves twice the frames of the float32 kernel. ``vcvtw2ph`` turns |Q| into a half
float, whose exponent and top two mantissa bits are the table index (as for float32);
``vpermi2w`` reads 64 int16 entries for 32 lanes at once. Arithmetic saturates at +-32767
units (+-128): a posterior must hold the channel LLR plus what its checks say (up to
d_v x 6.93); 2^-10 units (+-32) saturated, and a frame at QBER 0.5% then took 703 iterations.
The phi sums saturate at 32767 units (128), which changes nothing, since phi(x >= 16) = 0.

The index costs three instructions: ``vcvtw2ph`` of max(x, 1) (unsigned, so that a saturated
-32768 stays put), a shift by 8, and ``vpermi2w`` itself, which reads only bits 0-5 of it: the
sign (bit 7) and the exponent's top bit fall away, so phi(|x|) needs no ``abs`` and no clamp,
with the table rotated once per check so that slot ``raw mod 64`` holds the raw index's entry.
Lanes are swept whatever their ``active`` flag (an idle lane, 0, is swept as a fresh one, 2,
and holds no state worth keeping: :class:`~kvant.qkd._ldpc_lanes.LaneDecoder` leaves a lane
idle during a sweep only when it holds no frame); no select guards the stores. Against the
kernel with the clamp, ``abs`` and guarded stores (30 vector operations per edge against 22),
the same decodings bit for bit, 7% less time per sweep (interleaved, one Xeon VM core).

A pass of at most 16 frames (or the last 16 of a longer one) takes 16 lanes in 256-bit
registers: Intel cores run 256-bit vector operations on three ports and 512-bit ones on two,
so the sweep of 16 costs 0.75x that of 32 (n = 4096 and 65536, rate 0.8, bit for bit the
same lanes), though the 64-entry table then needs two ``vpermi2w`` of 32 entries and a select.

Measured (``benchmarks/ldpc_int16_study.py``): with 2^-8 units the blind protocol ends at
the efficiency of float32 (16 frames of n = 65536, seeds 1-4: 1.2025 / 1.1654 / 1.1501 /
1.0906 / 1.0676 against 1.2019 / 1.1648 / 1.1491 / 1.0910 / 1.0694 at QBER 0.5 / 1 / 2 / 5 /
10%); per frame, a sweep is 2.0x as fast as the float32 one where the frames fit in cache and
1.7x at n = 65536.

:func:`sweep_int16` is the LLVM IR kernel (where :data:`INT16_KERNEL`); :func:`sweep_int16_plain`
does the same in plain Numba, bit for bit (the test of the kernel, with the half-float
rounding of the index emulated).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from kvant.qkd._ldpc_kernels import phi_log_table
from kvant.qkd._ldpc_phi_ir import splat
from kvant.qkd._ldpc_simd import check_intrinsic, check_layout, checks_loop, edge_ir
from kvant.qkd._llvm_ir import cache_follows, host_features, parses

__all__ = [
    "INT16_KERNEL",
    "INT16_LANES",
    "INT16_WIDTHS",
    "UNIT_BITS",
    "int16_table",
    "sweep_int16",
    "sweep_int16_plain",
    "to_units",
]

INT16_LANES = 32
"""Frames per vector: 32 int16 lanes, one 64-byte row."""
INT16_WIDTHS = (32, 16)
"""Lane counts of the int16 sweep: 16 lanes (256-bit registers, which three ports execute
against two for 512-bit ones) cost 0.75x the sweep of 32, for passes and tails of at most 16
frames."""
UNIT_BITS = 8
"""Posteriors, messages and phi values are int16 multiples of 2^-UNIT_BITS."""
_TOP = 32767
_INDEX_BASE = 4 * UNIT_BITS + 28  # (half-float exponent field x 4) of 2^-8, in units
_NAME = "kvant_ldpc_check32_int16"
_SLOT_SHIFT = 64 - _INDEX_BASE % 64  # raw index r = entry + _INDEX_BASE sits in slot r mod 64


def int16_table() -> NDArray[np.int16]:
    """:func:`~kvant.qkd._ldpc_kernels.phi_log_table` rounded to int16 units.

    >>> int(int16_table()[32]), int(int16_table()[63])  # phi of [1, 1.25): 0.68; of >= 16: 0
    (174, 0)
    """
    table: NDArray[np.int16] = np.round(phi_log_table().astype(np.float64) * 2**UNIT_BITS).astype(
        np.int16
    )
    return table


def to_units(values: Any) -> NDArray[np.int16]:
    """Values (LLRs) as int16 units, rounded and clamped to +-32767.

    >>> to_units(np.array([1.0, -60.0, 200.0])).tolist()
    [256, -15360, 32767]
    """
    scaled = np.rint(np.asarray(values, np.float64) * 2**UNIT_BITS)
    out: NDArray[np.int16] = np.clip(scaled, -_TOP, _TOP).astype(np.int16)
    return out


def _splat(value: int, lanes: int = INT16_LANES) -> str:
    return splat("i16", str(value), lanes)


def _phi_ir(lanes: int) -> str:
    """phi(|x|) on ``lanes`` int16 lanes from the rotated table: one ``vpermi2w`` of 64
    entries in two 512-bit registers for 32 lanes; for 16 lanes two 256-bit ``vpermi2w`` of
    32 entries each and a select on index bit 5."""
    v, w = f"<{lanes} x i16>", lanes
    tables = ", ".join(f"{v} %t{j}" for j in range(64 // lanes))
    head = f"""
; phi(|x|) of {w} int16 lanes: the half float of max(x, 1) (unsigned max: -32768 stays), shifted
; right by 8, holds the exponent field and the top two mantissa bits in bits 0-6 and the sign
; in bit 7; vpermi2w reads bits 0-5 only (0-4 for 16 lanes, bit 5 picks the pair of tables),
; so the sign and the exponent's top bit fall away and the raw value addresses the rotated
; table (slot s holds entry s + {_SLOT_SHIFT} mod 64)
define internal {v} @kvant_ldpc_phi{w}_int16({v} %x, {tables}) alwaysinline {{
  %x1 = call {v} @llvm.umax.v{w}i16({v} %x, {v} {_splat(1, w)})
  %h = sitofp {v} %x1 to <{w} x half>
  %b = bitcast <{w} x half> %h to {v}
  %i = lshr {v} %b, {_splat(8, w)}
"""
    if lanes == 32:
        return (
            head
            + f"""  %r = call {v} @llvm.x86.avx512.vpermi2var.hi.512({v} %t0, {v} %i, {v} %t1)
  ret {v} %r
}}
"""
        )
    return (
        head
        + f"""  %lo = call {v} @llvm.x86.avx512.vpermi2var.hi.256({v} %t0, {v} %i, {v} %t1)
  %hi = call {v} @llvm.x86.avx512.vpermi2var.hi.256({v} %t2, {v} %i, {v} %t3)
  %half = and {v} %i, {_splat(32, w)}
  %up = icmp ne {v} %half, zeroinitializer
  %r = select <{w} x i1> %up, {v} %hi, {v} %lo
  ret {v} %r
}}
"""
    )


def check_name(lanes: int = INT16_LANES) -> str:
    """The IR name of the check update on ``lanes`` int16 lanes."""
    return _NAME if lanes == INT16_LANES else f"kvant_ldpc_check{lanes}_int16"


def check_ir(lanes: int = INT16_LANES) -> str:
    """LLVM IR of one check update on ``lanes`` (32 or 16) int16 lanes (module docstring)."""
    v, w = f"<{lanes} x i16>", lanes
    rotation = ", ".join(f"i32 {(s + _SLOT_SHIFT) % 64}" for s in range(64))
    parts = 64 // lanes
    tables = "\n".join(
        f"  %t{j} = shufflevector <64 x i16> %rot, <64 x i16> poison, <{w} x i32> <"
        + ", ".join(f"i32 {s}" for s in range(j * lanes, (j + 1) * lanes))
        + ">"
        for j in range(parts)
    )
    args = ", ".join(f"{v} %t{j}" for j in range(parts))
    first, second = edge_ir("i16", lanes)
    phi = f"@kvant_ldpc_phi{w}_int16"
    return f"""
declare {v} @llvm.sadd.sat.v{w}i16({v}, {v})
declare {v} @llvm.ssub.sat.v{w}i16({v}, {v})
declare {v} @llvm.usub.sat.v{w}i16({v}, {v})
declare {v} @llvm.umax.v{w}i16({v}, {v})
declare {v} @llvm.x86.avx512.vpermi2var.hi.{16 * w}({v}, {v}, {v})
declare void @llvm.prefetch.p0(ptr, i32, i32, i32)
{_phi_ir(lanes)}
define weak_odr void @{check_name(lanes)}(ptr noalias %post, ptr noalias %msg,
    ptr noalias %f, ptr noalias %vars, i64 %lo, i64 %hi, ptr noalias %syn,
    ptr noalias %active, ptr noalias %table, ptr noalias %unsat, i64 %last) alwaysinline {{
entry:
  %act = load {v}, ptr %active, align 2
  %keep = icmp eq {v} %act, {_splat(1, w)}
  %s0 = load {v}, ptr %syn, align 2
  %e = load <64 x i16>, ptr %table, align 2
  %rot = shufflevector <64 x i16> %e, <64 x i16> poison, <64 x i32> <{rotation}>
{tables}
  br label %in
in:
  %k = phi i64 [ %lo, %entry ], [ %k1, %in ]
  %tot = phi {v} [ zeroinitializer, %entry ], [ %tot1, %in ]
  %sgn = phi {v} [ %s0, %entry ], [ %sgn1, %in ]
{first}  %pv = load {v}, ptr %pvp, align 2
  %mk = load {v}, ptr %mkp, align 2
  %mka = select <{w} x i1> %keep, {v} %mk, {v} zeroinitializer
  %val = call {v} @llvm.ssub.sat.v{w}i16({v} %pv, {v} %mka)
  store {v} %val, ptr %pvp, align 2
  %sgn1 = xor {v} %sgn, %val
  %p = call {v} {phi}({v} %val, {args})
  store {v} %p, ptr %fp, align 2
  %tot1 = call {v} @llvm.sadd.sat.v{w}i16({v} %tot, {v} %p)
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %hi
  br i1 %more, label %in, label %out
out:
  %q = phi i64 [ %lo, %in ], [ %q1, %out ]
  %par = phi {v} [ %s0, %in ], [ %par1, %out ]
{second}  %wv = load {v}, ptr %qpvp, align 2
  %fq = load {v}, ptr %qfp, align 2
  %ex = call {v} @llvm.usub.sat.v{w}i16({v} %tot1, {v} %fq)
  %mag = call {v} {phi}({v} %ex, {args})
  %t = xor {v} %wv, %sgn1
  %neg = icmp slt {v} %t, zeroinitializer
  %minus = sub {v} zeroinitializer, %mag
  %r = select <{w} x i1> %neg, {v} %minus, {v} %mag
  store {v} %r, ptr %qmkp, align 2
  %u = call {v} @llvm.sadd.sat.v{w}i16({v} %wv, {v} %r)
  store {v} %u, ptr %qpvp, align 2
  %par1 = xor {v} %par, %u
  %q1 = add i64 %q, 1
  %qmore = icmp slt i64 %q1, %hi
  br i1 %qmore, label %out, label %done
done:
  %bad = lshr {v} %par1, {_splat(15, w)}
  %count = load {v}, ptr %unsat, align 2
  %count1 = add {v} %count, %bad
  store {v} %count1, ptr %unsat, align 2
  ret void
}}
"""


_FEATURES = host_features()
INT16_KERNEL = (
    bool(_FEATURES.get("avx512fp16") and _FEATURES.get("avx512bw") and _FEATURES.get("avx512vl"))
    and parses(check_ir(32))
    and parses(check_ir(16))
)
"""Whether this CPU (and LLVM) runs :func:`sweep_int16` (else the decoder stays float32):
AVX512-FP16 for ``vcvtw2ph``, AVX512-BW for ``vpermi2w``, AVX512-VL for their 256-bit forms."""


if INT16_KERNEL:
    _checks32 = checks_loop(check_intrinsic(check_ir(32), check_name(32), 32, int16=True))
    _checks16 = checks_loop(check_intrinsic(check_ir(16), check_name(16), 16, int16=True))

    @njit(cache=True)
    def sweep_int16(  # pragma: no cover - compiled
        check_start, check_vars, syn, posterior, messages, active, table, unsatisfied, scratch
    ):
        """One layered sweep of 32 or 16 int16 lanes in place (arguments as
        :func:`~kvant.qkd._ldpc_simd.sweep_vector`, all int16: ``syn`` +-1, ``active``
        1, or 2 for a fresh lane, whose messages are read as zero; an idle lane, 0, is swept
        as a fresh one: module docstring; ``unsatisfied`` counted modulo 2^16, to be read as
        uint16)."""
        lanes = posterior.shape[1]
        if lanes != 32 and lanes != 16:
            raise ValueError("sweep_int16: arrays must have 32 or 16 lanes per row")
        check_layout(check_start, check_vars, syn, posterior, messages, active, table,
                     unsatisfied, scratch)  # fmt: skip
        unsatisfied[:] = 0
        if lanes == 32:
            _checks32(check_start, check_vars, syn, posterior, messages, active, table,
                      unsatisfied, scratch)  # fmt: skip
        else:
            _checks16(check_start, check_vars, syn, posterior, messages, active, table,
                      unsatisfied, scratch)  # fmt: skip

    cache_follows(sweep_int16, check_ir(32), check_ir(16))

else:

    def sweep_int16(  # type: ignore[misc]
        check_start, check_vars, syn, posterior, messages, active, table, unsatisfied, scratch
    ):
        """Not on this CPU (:data:`INT16_KERNEL` is False)."""
        raise RuntimeError("this CPU has no AVX512-FP16: the int16 sweep cannot run")


@njit(cache=True)
def _half_index(x):  # pragma: no cover - compiled
    """The table entry that ``vcvtw2ph`` + shift gives for ``x`` in [1, 32768] (module
    docstring): 4 x (exponent + 15) + the top two mantissa bits of the half float of ``x``
    (rounded to 11 significant bits, ties to even), less the base of 2^-8."""
    e = 0
    while (x >> (e + 1)) > 0:
        e += 1
    rounded = x
    if e > 10:  # half floats keep 11 significant bits: round to nearest, ties to even
        shift = e - 10
        low = x & ((1 << shift) - 1)
        half = 1 << (shift - 1)
        rounded = x >> shift
        if low > half or (low == half and (rounded & 1) == 1):
            rounded += 1
        rounded <<= shift
        if rounded >> (e + 1):
            e += 1
    top2 = ((rounded << 2) >> e) & 3
    return 4 * (e + 15) + top2 - _INDEX_BASE


@njit(cache=True)
def sweep_int16_plain(  # pragma: no cover - compiled
    check_start, check_vars, syn, posterior, messages, active, table, unsatisfied, scratch
):
    """:func:`sweep_int16` in plain Numba, bit for bit (runs on any CPU; for tests)."""
    lanes = posterior.shape[1]
    if lanes != 32 and lanes != 16:
        raise ValueError("sweep_int16_plain: arrays must have 32 or 16 lanes per row")
    check_layout(check_start, check_vars, syn, posterior, messages, active, table, unsatisfied,
                 scratch)  # fmt: skip
    unsatisfied[:] = 0
    total = np.zeros(lanes, np.int64)
    negative = np.zeros(lanes, np.bool_)
    odd = np.zeros(lanes, np.bool_)
    for c in range(check_start.size - 1):
        lo, hi = check_start[c], check_start[c + 1]
        for lane in range(lanes):
            total[lane] = 0
            negative[lane] = syn[c, lane] < 0
            odd[lane] = syn[c, lane] < 0
        for k in range(lo, hi):
            v = check_vars[k]
            for lane in range(lanes):
                old = np.int64(messages[k, lane]) if active[lane] == 1 else 0
                value = min(max(np.int64(posterior[v, lane]) - old, -32768), _TOP)
                posterior[v, lane] = value
                negative[lane] ^= value < 0
                p = np.int64(table[_half_index(max(abs(value), 1))])
                scratch[k - lo, lane] = p
                total[lane] = min(total[lane] + p, _TOP)
        for k in range(lo, hi):
            v = check_vars[k]
            for lane in range(lanes):
                w = np.int64(posterior[v, lane])
                excess = max(total[lane] - np.int64(scratch[k - lo, lane]), 0)
                r = np.int64(table[_half_index(max(excess, 1))])
                if (w < 0) != negative[lane]:
                    r = -r
                messages[k, lane] = r
                w = min(max(w + r, -32768), _TOP)
                posterior[v, lane] = w
                odd[lane] ^= w < 0
        for lane in range(lanes):
            unsatisfied[lane] += odd[lane]
