"""phi(x) on 16 float32 lanes in LLVM IR, one body per instruction set, for the 16-frame check
update of :mod:`kvant.qkd._ldpc_simd`.

Every body returns the same entries of :func:`~kvant.qkd._ldpc_kernels.phi_log_table`: entry
``clamp((bits(x) >> 21) - 476, 0, 63)`` (4 x the biased exponent + the top two mantissa bits
of x, which :func:`~kvant.qkd._ldpc_kernels.phi_log_index` computes exactly), so the decoders
agree bit for bit whichever body the CPU runs. They differ only in how the 64-entry table is
read:

- ``avx512``: the table in four 512-bit registers, two ``vpermi2ps`` and a select.
- ``avx2``: the 48 non-zero entries in six 256-bit registers; per 8 lanes six ``vpermps``,
  a select tree on index bits 3-5 and a zero for index >= 48. On a Zen 3 core: 9.6 ms per
  sweep of 16 frames at n = 65,536 (392k edges), against 10.9 ms for ``gather`` and 143 ms
  for the plain Numba sweep.
- ``gather``: ``llvm.masked.gather`` from the table in memory; LLVM turns it into
  ``vgatherdps`` where the CPU has one and into scalar loads elsewhere, so it runs on any
  target LLVM knows (and is what a Numba pinned to a generic CPU gets).

The table is passed by pointer; its loads are loop-invariant and LLVM keeps them in registers
across the check's edges.
"""

from __future__ import annotations

from typing import Literal

from kvant.errors import ConfigError
from kvant.qkd._ldpc_kernels import (
    PHI_LOG_BINS_PER_OCTAVE,
    PHI_LOG_MIN_EXPONENT,
    PHI_LOG_TABLE_SIZE,
)

__all__ = ["FLAVOURS", "LANES", "Flavour", "phi_ir", "splat"]

Flavour = Literal["avx512", "avx2", "gather"]
FLAVOURS: tuple[Flavour, ...] = ("avx512", "avx2", "gather")
"""Fastest first: the host runs the first one its CPU supports (``gather`` runs anywhere)."""

LANES = 16
"""Frames per vector: 16 float32 lanes, one 64-byte cache line per row."""
_LOG_SHIFT = 24 - PHI_LOG_BINS_PER_OCTAVE.bit_length()  # keeps the top 2 mantissa bits
_LOG_BASE = (127 + PHI_LOG_MIN_EXPONENT) * PHI_LOG_BINS_PER_OCTAVE  # biased exponent of 2^-8
_NONZERO = 48  # entries >= 48 (x >= 16) are 0 in phi_log_table
_F, _I = f"<{LANES} x float>", f"<{LANES} x i32>"


def splat(kind: str, value: str, lanes: int = LANES) -> str:
    """An IR vector constant with every lane ``value``: ``splat("i32", "3", 2)`` is
    ``<i32 3, i32 3>``."""
    return "<" + ", ".join([f"{kind} {value}"] * lanes) + ">"


def _index(name: str) -> str:
    """``%i``: the table entry of every lane of ``%x`` (see the module docstring)."""
    top = splat("i32", str(PHI_LOG_TABLE_SIZE - 1))
    return f"""define weak_odr {_F} @{name}({_F} %x, ptr noalias %table) alwaysinline {{
  %b = bitcast {_F} %x to {_I}
  %s = lshr {_I} %b, {splat("i32", str(_LOG_SHIFT))}
  %i0 = sub {_I} %s, {splat("i32", str(_LOG_BASE))}
  %i1 = call {_I} @llvm.smax.v{LANES}i32({_I} %i0, {_I} zeroinitializer)
  %i = call {_I} @llvm.smin.v{LANES}i32({_I} %i1, {_I} {top})
"""


def _avx512(name: str) -> str:
    loads = "".join(
        f"  %tp{r} = getelementptr {_F}, ptr %table, i64 {r}\n"
        f"  %t{r} = load {_F}, ptr %tp{r}, align 4\n"
        for r in range(4)
    )
    permute = "llvm.x86.avx512.vpermi2var.ps.512"
    return f"""declare {_F} @{permute}({_F}, {_I}, {_F})
{_index(name)}{loads}  %lo = call {_F} @{permute}({_F} %t0, {_I} %i, {_F} %t1)
  %hi = call {_F} @{permute}({_F} %t2, {_I} %i, {_F} %t3)
  %up = icmp sgt {_I} %i, {splat("i32", "31")}
  %r = select <{LANES} x i1> %up, {_F} %hi, {_F} %lo
  ret {_F} %r
}}
"""


def _avx2(name: str) -> str:
    f8, i8 = "<8 x float>", "<8 x i32>"
    lines = [
        f"declare {f8} @llvm.x86.avx2.permps({f8}, {i8})",
        _index(name).rstrip("\n"),
    ]
    for r in range(_NONZERO // 8):
        lines.append(f"  %tp{r} = getelementptr {f8}, ptr %table, i64 {r}")
        lines.append(f"  %t{r} = load {f8}, ptr %tp{r}, align 4")
    for h in range(2):  # lanes 0-7, then 8-15
        picks = ", ".join(f"i32 {8 * h + j}" for j in range(8))
        lines.append(f"  %ih{h} = shufflevector {_I} %i, {_I} poison, {i8} <{picks}>")
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
    both = ", ".join(f"i32 {j}" for j in range(LANES))
    lines += [
        f"  %r = shufflevector {f8} %r0, {f8} %r1, <{LANES} x i32> <{both}>",
        f"  ret {_F} %r",
        "}",
        "",
    ]
    return "\n".join(lines)


def _gather(name: str) -> str:
    gather = f"llvm.masked.gather.v{LANES}f32.v{LANES}p0"
    return f"""declare {_F} @{gather}(<{LANES} x ptr>, i32, <{LANES} x i1>, {_F})
{_index(name)}  %p = getelementptr float, ptr %table, {_I} %i
  %r = call {_F} @{gather}(<{LANES} x ptr> %p, i32 4, <{LANES} x i1> {splat("i1", "true")},
        {_F} poison)
  ret {_F} %r
}}
"""


def phi_ir(flavour: Flavour, name: str) -> str:
    """The IR of ``{_F} @name({_F} %x, ptr %table)``: phi of every lane of x >= 0 from the
    64-entry table at ``%table``, with the declarations it needs (``llvm.smax``/``smin`` on
    ``<16 x i32>`` are declared by the caller).

    >>> [("permps" in phi_ir(f, "phi"), "gather" in phi_ir(f, "phi")) for f in FLAVOURS]
    [(False, False), (True, False), (False, True)]
    """
    if flavour == "avx512":
        return _avx512(name)
    if flavour == "avx2":
        return _avx2(name)
    if flavour == "gather":
        return _gather(name)
    raise ConfigError(f"unknown phi flavour {flavour!r}; use one of {', '.join(FLAVOURS)}")
