"""phi(x) on 16 (or 8, or 4) float32 lanes in LLVM IR, one body per instruction set, for the
multi-frame check update of :mod:`kvant.qkd._ldpc_simd`.

Every body returns the same entries of :func:`~kvant.qkd._ldpc_kernels.phi_log_table`: entry
``clamp((bits(x) >> 21) - 476, 0, 63)`` (4 x the biased exponent + the top two mantissa bits
of x, which :func:`~kvant.qkd._ldpc_kernels.phi_log_index` computes exactly), so the decoders
agree bit for bit whichever body the CPU runs. They differ only in how the 64-entry table is
read:

- ``avx512``: the table in four 512-bit registers, rotated so that the raw ``bits(x) >> 21``
  of x clamped to [2^-8, 16] addresses it: two float min/max and a shift for the index, two
  ``vpermi2ps`` and a select (the rotated table is a constant of the IR). Against the clamp
  in integers (four operations) 4% less time per sweep where the frames fit in cache
  (n = 4096 and 16384), 2% at n = 65536 (memory-bound there): sweeps interleaved in one
  process on a Xeon VM, decodings bit for bit the same.
- ``avx2``: the 48 non-zero entries in six 256-bit registers; per 8 lanes six ``vpermps``,
  a select tree on index bits 3-5 and a zero for index >= 48. On a Zen 3 core: 9.6 ms per
  sweep of 16 frames at n = 65,536 (392k edges), against 10.9 ms for ``gather`` and 143 ms
  for the plain Numba sweep.
- ``gather``: ``llvm.masked.gather`` from the table in memory; LLVM turns it into
  ``vgatherdps`` where the CPU has one and into scalar loads elsewhere, so it runs on any
  target LLVM knows (and is what a Numba pinned to a generic CPU gets).

The table is passed by pointer (``avx512`` holds its own rotated copy); its loads are
loop-invariant and LLVM keeps them in registers across the check's edges.
"""

from __future__ import annotations

import struct
from typing import Literal

import numpy as np

from kvant.errors import ConfigError
from kvant.qkd._ldpc_kernels import (
    PHI_LOG_BINS_PER_OCTAVE,
    PHI_LOG_MIN_EXPONENT,
    PHI_LOG_TABLE_SIZE,
    phi_log_table,
)

__all__ = ["FLAVOURS", "LANES", "WIDTHS", "Flavour", "ir_float", "phi_ir", "splat", "vectors"]

Flavour = Literal["avx512", "avx2", "gather"]
FLAVOURS: tuple[Flavour, ...] = ("avx512", "avx2", "gather")
"""Fastest first: the host runs the first one its CPU supports (``gather`` runs anywhere)."""

LANES = 16
"""Frames per vector at most: 16 float32 lanes, one 64-byte cache line per row."""
WIDTHS = (16, 8, 4)
"""Lane counts a sweep is compiled for: a pass left with few frames moves them to a narrower
layout instead of sweeping empty lanes (:meth:`kvant.qkd._ldpc_lanes.LaneDecoder.narrow`)."""
_LOG_SHIFT = 24 - PHI_LOG_BINS_PER_OCTAVE.bit_length()  # keeps the top 2 mantissa bits
_LOG_BASE = (127 + PHI_LOG_MIN_EXPONENT) * PHI_LOG_BINS_PER_OCTAVE  # biased exponent of 2^-8
_NONZERO = 48  # entries >= 48 (x >= 16) are 0 in phi_log_table


def vectors(lanes: int) -> tuple[str, str]:
    """The IR types of ``lanes`` floats and ``lanes`` i32."""
    return f"<{lanes} x float>", f"<{lanes} x i32>"


def splat(kind: str, value: str, lanes: int = LANES) -> str:
    """An IR vector constant with every lane ``value``: ``splat("i32", "3", 2)`` is
    ``<i32 3, i32 3>``."""
    return "<" + ", ".join([f"{kind} {value}"] * lanes) + ">"


def _index(name: str, lanes: int) -> str:
    """``%i``: the table entry of every lane of ``%x`` (see the module docstring)."""
    f, i = vectors(lanes)
    top = splat("i32", str(PHI_LOG_TABLE_SIZE - 1), lanes)
    return f"""define weak_odr {f} @{name}({f} %x, ptr noalias %table) alwaysinline {{
  %b = bitcast {f} %x to {i}
  %s = lshr {i} %b, {splat("i32", str(_LOG_SHIFT), lanes)}
  %i0 = sub {i} %s, {splat("i32", str(_LOG_BASE), lanes)}
  %i1 = call {i} @llvm.smax.v{lanes}i32({i} %i0, {i} zeroinitializer)
  %i = call {i} @llvm.smin.v{lanes}i32({i} %i1, {i} {top})
"""


def ir_float(value: float) -> str:
    """A float32 value as LLVM IR writes it exactly (the hex digits of the double)."""
    return f"0x{struct.unpack('<Q', struct.pack('<d', float(np.float32(value))))[0]:016X}"


_ROTATION = _LOG_BASE % PHI_LOG_TABLE_SIZE  # entry i sits at (i + _LOG_BASE) mod 64 below
_FIRST_ZERO = 48  # phi_log_table's entry of 16.0, the first of its zeros


def _avx512(name: str) -> str:
    """No index arithmetic beyond one shift: x is clamped to [2^-8, 16] as a float (two
    min/max, which the caller's max(x, 0) folds into), and the table is held rotated so that
    the raw ``bits(x) >> 21`` addresses it (``vpermi2ps`` reads index bits 0-4, bit 5 picks the
    half); the rotated table is a constant of the IR, so ``%table`` is not read."""
    fv, iv = vectors(LANES)
    rotated = np.roll(phi_log_table(), _ROTATION)
    tables = [
        f"<{', '.join(f'float {ir_float(v)}' for v in rotated[16 * r : 16 * r + 16])}>"
        for r in range(4)
    ]
    low = splat("float", ir_float(2.0**PHI_LOG_MIN_EXPONENT))
    high = splat(
        "float", ir_float(2.0 ** (_FIRST_ZERO // PHI_LOG_BINS_PER_OCTAVE + PHI_LOG_MIN_EXPONENT))
    )
    permute = "llvm.x86.avx512.vpermi2var.ps.512"
    return f"""declare {fv} @{permute}({fv}, {iv}, {fv})
define weak_odr {fv} @{name}({fv} %x, ptr noalias %table) alwaysinline {{
  %above = fcmp ogt {fv} %x, {low}
  %x0 = select <{LANES} x i1> %above, {fv} %x, {fv} {low}
  %below = fcmp olt {fv} %x0, {high}
  %x1 = select <{LANES} x i1> %below, {fv} %x0, {fv} {high}
  %b = bitcast {fv} %x1 to {iv}
  %i = lshr {iv} %b, {splat("i32", str(_LOG_SHIFT))}
  %lo = call {fv} @{permute}({fv} {tables[0]}, {iv} %i, {fv} {tables[1]})
  %hi = call {fv} @{permute}({fv} {tables[2]}, {iv} %i, {fv} {tables[3]})
  %half = and {iv} %i, {splat("i32", "32")}
  %up = icmp ne {iv} %half, zeroinitializer
  %r = select <{LANES} x i1> %up, {fv} %hi, {fv} %lo
  ret {fv} %r
}}
"""


def _avx2(name: str, lanes: int) -> str:
    f8, i8 = "<8 x float>", "<8 x i32>"
    f, i = vectors(lanes)
    lines = [
        f"declare {f8} @llvm.x86.avx2.permps({f8}, {i8})",
        _index(name, lanes).rstrip("\n"),
    ]
    for r in range(_NONZERO // 8):
        lines.append(f"  %tp{r} = getelementptr {f8}, ptr %table, i64 {r}")
        lines.append(f"  %t{r} = load {f8}, ptr %tp{r}, align 4")
    halves = -(-lanes // 8)
    for h in range(halves):  # lanes 0-7, then 8-15; 4 lanes are padded with index 0
        picks = ", ".join(f"i32 {8 * h + j if 8 * h + j < lanes else lanes}" for j in range(8))
        lines.append(f"  %ih{h} = shufflevector {i} %i, {i} zeroinitializer, {i8} <{picks}>")
        for r in range(_NONZERO // 8):  # entry (i mod 8) of every register
            lines.append(f"  %p{h}{r} = call {f8} @llvm.x86.avx2.permps({f8} %t{r}, {i8} %ih{h})")
        lines += [
            f"  %m{h} = and {i8} %ih{h}, {splat('i32', '8', 8)}",
            f"  %odd{h} = icmp ne {i8} %m{h}, zeroinitializer",
            f"  %n{h} = and {i8} %ih{h}, {splat('i32', '16', 8)}",
            f"  %hi{h} = icmp ne {i8} %n{h}, zeroinitializer",
            f"  %top{h} = icmp sgt {i8} %ih{h}, {splat('i32', '31', 8)}",
            f"  %zero{h} = icmp sgt {i8} %ih{h}, {splat('i32', str(_NONZERO - 1), 8)}",
        ]
        for pair in range(3):  # registers 2 pair, 2 pair + 1 by bit 3
            lines.append(
                f"  %a{h}{pair} = select <8 x i1> %odd{h}, {f8} %p{h}{2 * pair + 1}, "
                f"{f8} %p{h}{2 * pair}"
            )
        lines += [
            f"  %b{h} = select <8 x i1> %hi{h}, {f8} %a{h}1, {f8} %a{h}0",
            f"  %c{h} = select <8 x i1> %top{h}, {f8} %a{h}2, {f8} %b{h}",
            f"  %r{h} = select <8 x i1> %zero{h}, {f8} zeroinitializer, {f8} %c{h}",
        ]
    both = ", ".join(f"i32 {j}" for j in range(lanes))
    second = "%r1" if halves == 2 else "poison"
    lines += [
        f"  %r = shufflevector {f8} %r0, {f8} {second}, <{lanes} x i32> <{both}>",
        f"  ret {f} %r",
        "}",
        "",
    ]
    return "\n".join(lines)


def _gather(name: str, lanes: int) -> str:
    f, i = vectors(lanes)
    gather = f"llvm.masked.gather.v{lanes}f32.v{lanes}p0"
    return f"""declare {f} @{gather}(<{lanes} x ptr>, i32, <{lanes} x i1>, {f})
{_index(name, lanes)}  %p = getelementptr float, ptr %table, {i} %i
  %r = call {f} @{gather}(<{lanes} x ptr> %p, i32 4, <{lanes} x i1> {splat("i1", "true", lanes)},
        {f} poison)
  ret {f} %r
}}
"""


def phi_ir(flavour: Flavour, name: str, lanes: int = LANES) -> str:
    """The IR of ``<lanes x float> @name(<lanes x float> %x, ptr %table)``: phi of every
    lane of x >= 0 from the 64-entry table at ``%table``, with the declarations it needs
    (``llvm.smax``/``smin`` on ``<lanes x i32>`` are declared by the caller). Fewer than 16
    lanes take the ``avx2`` body on an AVX-512 CPU (which has AVX2): a 512-bit permute
    would fetch entries for lanes that are not there.

    >>> [("permps" in phi_ir(f, "phi"), "gather" in phi_ir(f, "phi")) for f in FLAVOURS]
    [(False, False), (True, False), (False, True)]
    >>> "vpermi2var" in phi_ir("avx512", "phi", 8), "permps" in phi_ir("avx512", "phi", 8)
    (False, True)
    """
    if lanes not in WIDTHS:
        raise ConfigError(f"phi_ir is written for {WIDTHS} lanes, not {lanes}")
    if flavour == "avx512":
        return _avx512(name) if lanes == LANES else _avx2(name, lanes)
    if flavour == "avx2":
        return _avx2(name, lanes)
    if flavour == "gather":
        return _gather(name, lanes)
    raise ConfigError(f"unknown phi flavour {flavour!r}; use one of {', '.join(FLAVOURS)}")
