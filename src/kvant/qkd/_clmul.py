# Numba compiles these functions from their argument types; Python annotations would be
# ignored by it, so mypy checks neither their signatures nor their bodies:
# mypy: disallow-untyped-defs=False, check-untyped-defs=False
"""Exact GF(2) middle products by carry-less multiplication: Toeplitz hashing without an FFT.

The Toeplitz hash T x (:mod:`kvant.qkd._toeplitz`) is a slice of the product of two
polynomials over GF(2), the seed S(z) and the input X(z). Packed 64 coefficients to a word,
the product's word r is the XOR, over all word pairs (a, b) with a + b = r, of the low half
of the 128-bit carry-less product S_a X_b, and of the high half where a + b = r - 1. The
x86 ``PCLMULQDQ`` instruction computes one such product; ``VPCLMULQDQ`` computes 2 (256-bit)
or 4 (512-bit) at once. Only the words of the slice are formed (a schoolbook middle product:
about output words x input words products, 59 million for a 1 Mbit -> 0.4 Mbit hash), so the
work is ~n m / 4096 instructions with no rounding anywhere: exact by construction, where the
FFT needs an error bound and a check of every output. Above :data:`SPLIT_BITS` on both sides
the product is cut Karatsuba-style into three half-size products per square
(:func:`split_products`), so the work grows as n^1.585 rather than n m: a 4 Mbit -> 1.6 Mbit
hash 3x faster than the schoolbook, a 1 Mbit one 1.8x.

The inner loop is written in LLVM IR (:func:`block_ir`) for a block of B consecutive output
words (B = 8, 4, 2 words for the 512-, 256- and 128-bit instruction): per input word, one
unaligned load of B seed words, a broadcast of the input word, two multiplies (even and odd
seed words of each 128-bit lane) and two XORs into accumulators. :data:`FLAVOUR` is the
widest the host runs (None where it has no carry-less multiply, or Numba compiles for
another CPU: ``NUMBA_CPU_NAME``); :mod:`kvant.qkd._toeplitz` then uses its FFT.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Literal

import llvmlite.binding as llvm  # type: ignore[import-untyped]
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import NDArray

from kvant.errors import BackendUnavailableError, ConfigError
from kvant.qkd._llvm_ir import host_features, parses

__all__ = [
    "FLAVOUR",
    "FLAVOURS",
    "SPLIT_BITS",
    "ClmulFlavour",
    "block_ir",
    "host_flavours",
    "middle_product",
    "split_products",
]

ClmulFlavour = Literal["zmm", "ymm", "xmm"]
FLAVOURS: tuple[ClmulFlavour, ...] = ("zmm", "ymm", "xmm")
"""Widest first: 4, 2 and 1 carry-less products per instruction."""

_WORDS: dict[ClmulFlavour, int] = {"zmm": 8, "ymm": 4, "xmm": 2}  # seed words per load
_INTRINSIC = {"zmm": "llvm.x86.pclmulqdq.512", "ymm": "llvm.x86.pclmulqdq.256",
              "xmm": "llvm.x86.pclmulqdq"}  # fmt: skip
_FEATURES: dict[ClmulFlavour, tuple[str, ...]] = {
    "zmm": ("vpclmulqdq", "avx512f"),
    "ymm": ("vpclmulqdq", "avx2"),
    "xmm": ("pclmul",),
}


def block_ir(flavour: ClmulFlavour) -> str:
    """LLVM IR of ``void @name(ptr %s, ptr %x, i64 %nx, ptr %out)``: for the B output words
    r0 .. r0 + B - 1 (``%s`` points at seed word r0), the XOR over q < nx of the carry-less
    products S[r0 + k - q] X[q]; stored as B 128-bit products for even k, then B for odd k.

    >>> "pclmulqdq.512" in block_ir("zmm"), "<2 x i64>" in block_ir("xmm")
    (True, True)
    """
    words = _WORDS[flavour]
    vec = f"<{words} x i64>"
    clmul = _INTRINSIC[flavour]
    return f"""
declare {vec} @{clmul}({vec}, {vec}, i8)

define weak_odr void @{_name(flavour)}(ptr noalias %s, ptr noalias %x, i64 %nx,
    ptr noalias %out) alwaysinline {{
entry:
  br label %loop
loop:
  %q = phi i64 [ 0, %entry ], [ %q1, %loop ]
  %even = phi {vec} [ zeroinitializer, %entry ], [ %even1, %loop ]
  %odd = phi {vec} [ zeroinitializer, %entry ], [ %odd1, %loop ]
  %back = sub i64 0, %q
  %sp = getelementptr i64, ptr %s, i64 %back
  %sv = load {vec}, ptr %sp, align 8
  %xp = getelementptr i64, ptr %x, i64 %q
  %xw = load i64, ptr %xp, align 8
  %xi = insertelement {vec} poison, i64 %xw, i64 0
  %xv = shufflevector {vec} %xi, {vec} poison, <{words} x i32> zeroinitializer
  %pe = call {vec} @{clmul}({vec} %sv, {vec} %xv, i8 0)
  %po = call {vec} @{clmul}({vec} %sv, {vec} %xv, i8 1)
  %even1 = xor {vec} %even, %pe
  %odd1 = xor {vec} %odd, %po
  %q1 = add i64 %q, 1
  %more = icmp slt i64 %q1, %nx
  br i1 %more, label %loop, label %done
done:
  store {vec} %even1, ptr %out, align 8
  %op = getelementptr i64, ptr %out, i64 {words}
  store {vec} %odd1, ptr %op, align 8
  ret void
}}
"""


def _name(flavour: ClmulFlavour) -> str:
    return f"kvant_clmul_block_{flavour}"


def host_flavours() -> tuple[ClmulFlavour, ...]:
    """The flavours this process can run, widest first (none off x86, or where Numba
    compiles for another CPU than this one)."""
    features = host_features()
    return tuple(
        f
        for f in FLAVOURS
        if all(features.get(name) for name in _FEATURES[f]) and parses(block_ir(f))
    )


_HOST = host_flavours()
FLAVOUR: ClmulFlavour | None = _HOST[0] if _HOST else None
"""The carry-less multiply this host runs (None: none; the Toeplitz hash uses an FFT)."""


def _block_intrinsic(flavour: ClmulFlavour) -> Any:
    """A Numba intrinsic running :func:`block_ir` at word ``start`` of ``s``."""
    text, name = block_ir(flavour), _name(flavour)

    def block(typingctx, s, start, x, nx, out):
        def codegen(context, builder, signature, args):
            context.active_code_library.add_llvm_module(llvm.parse_assembly(text))
            pointer = ir.PointerType()
            fnty = ir.FunctionType(ir.VoidType(), [pointer, pointer, ir.IntType(64), pointer])
            fn = builder.module.globals.get(name) or ir.Function(builder.module, fnty, name)
            data = [
                context.make_array(signature.args[i])(context, builder, args[i]).data
                for i in (0, 2, 4)
            ]
            seed = builder.gep(data[0], [args[1]], source_etype=ir.IntType(64))
            builder.call(fn, [builder.bitcast(seed, pointer), builder.bitcast(data[1], pointer),
                              args[3], builder.bitcast(data[2], pointer)])  # fmt: skip
            return context.get_dummy_value()

        for array in (s, x, out):
            if not (isinstance(array, types.Array) and array.layout == "C"):
                return None
            if array.ndim != 1 or array.dtype != types.uint64:
                return None
        return types.none(s, types.int64, x, types.int64, out), codegen

    block.__name__ = f"clmul_block_{flavour}"
    return intrinsic(block)


def _words_with(flavour: ClmulFlavour) -> Callable[..., None]:
    """The Python body of the word loop around ``flavour``'s block (compiled by the caller)."""
    block = _block_intrinsic(flavour)
    width = _WORDS[flavour]

    def words(padded, x, first, out):
        # out[k] = word first + k of S X; padded = [nx zeros | S | zeros] (module docstring)
        nx = x.size
        acc = np.empty(2 * width, np.uint64)
        last = first + out.size - 1
        for r0 in range(first - 1, last + 1, width):  # products with a + b = r0 .. r0 + B - 1
            block(padded, np.int64(nx + r0), x, np.int64(nx), acc)
            for k in range(width):
                lo, hi = acc[k // 2 * 2 + (k % 2) * width], acc[k // 2 * 2 + 1 + (k % 2) * width]
                r = r0 + k
                if first <= r <= last:
                    out[r - first] ^= lo
                if first <= r + 1 <= last:
                    out[r + 1 - first] ^= hi

    return words


@functools.cache
def _compiled(flavour: ClmulFlavour) -> Callable[..., None]:
    """The word loop with ``flavour``: the host's is compiled once per machine (on disk),
    another width the host runs (for tests and benchmarks) once per process."""
    if flavour == FLAVOUR:
        return _host_words
    return njit(_words_with(flavour))  # type: ignore[no-any-return]


if FLAVOUR is not None:
    _host_body = njit(inline="always")(_words_with(FLAVOUR))

    @njit(cache=True)
    def _host_words(padded, x, first, out):  # pragma: no cover - compiled
        _host_body(padded, x, first, out)


def _packed(bits: NDArray[np.uint8], words: int) -> NDArray[np.uint64]:
    """Bits as uint64 words, coefficient k at bit k % 64 of word k // 64."""
    out = np.zeros(words * 8, np.uint8)
    packed = np.packbits(bits, bitorder="little")
    out[: packed.size] = packed
    return out.view("<u8").astype(np.uint64, copy=False)


SPLIT_BITS = 1 << 15
"""Smallest side of a middle product that :func:`middle_product` splits; below it the
schoolbook's n m / 4096 word products cost less than a split's copies, XORs and calls.
Modified hash with output 0.4 n, one core, ms at split sizes 2^14 / 2^15 / 2^16 / 2^17:
n = 1 Mbit 3.8 / 3.0 / 2.7 / 3.2, 4 Mbit 59 / 24 / 23 / 27, 10 Mbit 141 / 110 / 133 / 152
(unsplit: 5.5 and 75 ms at 1 and 4 Mbit)."""


def middle_product(
    seed: NDArray[np.uint8],
    x: NDArray[np.uint8],
    output_bits: int,
    flavour: ClmulFlavour | None = None,
    *,
    split_bits: int | None = None,
) -> NDArray[np.uint8]:
    """Bits (seed * x)[len(x) - 1 : len(x) - 1 + output_bits] of the product over GF(2),
    exactly (the modified Toeplitz hash's T' x, :mod:`kvant.qkd._toeplitz`).

    Blocks of at least ``split_bits`` on both sides are cut as in :func:`split_products`
    (three half-size products per square); smaller ones are schoolbook products.

    Args:
        seed: Seed bits (uint8 0/1).
        x: Input bits (uint8 0/1), at least one.
        output_bits: Bits wanted.
        flavour: Carry-less multiply to use (default: :data:`FLAVOUR`).
        split_bits: Smallest side that is split (default :data:`SPLIT_BITS`; 0 never splits).

    Raises:
        BackendUnavailableError: the host has no carry-less multiply (or not ``flavour``).

    >>> s, x = np.array([1, 0, 1, 1], np.uint8), np.array([1, 1, 0], np.uint8)
    >>> middle_product(s, x, 2).tolist() if FLAVOUR else [1, 0]  # toeplitz_hash's example
    [1, 0]
    """
    chosen = flavour or FLAVOUR
    if chosen is None or chosen not in _HOST:
        raise BackendUnavailableError(
            f"this CPU has no {chosen or 'carry-less multiply'} instruction (or Numba compiles"
            " for another CPU); use an FFT backend"
        )
    if split_bits is not None and (
        isinstance(split_bits, bool) or not isinstance(split_bits, int) or split_bits < 0
    ):
        raise ConfigError(f"split_bits must be a non-negative integer, got {split_bits!r}")
    if output_bits == 0:
        return np.zeros(0, np.uint8)
    limit = _limit_words(SPLIT_BITS if split_bits is None else split_bits)
    return _aligned_product(seed[: x.size + output_bits - 1], x, output_bits, chosen, limit)


def split_products(input_bits: int, output_bits: int, split_bits: int = SPLIT_BITS) -> int:
    """64 x 64-bit products that a middle product of these sizes costs when cut as
    :func:`middle_product` cuts it: the cost model of ``backend="auto"``.

    The cuts are made on whole 64-bit words (both sides are padded with zeros to whole words).
    The m x w Toeplitz matrix is cut into a square and a rest (a wide one by columns, a tall
    one by rows) until it is square; an n x n square of at least ``split_bits`` is cut in
    halves, T = [[A, B], [C, A]] (Toeplitz blocks: A on the diagonal, B above, C below), and

        y0 = A x0 + B x1 = A (x0 + x1) + (A + B) x1
        y1 = C x0 + A x1 = A (x0 + x1) + (A + C) x0

    over GF(2): three half-size products instead of four (the Karatsuba step of a middle
    product, Hanrot, Quercia & Zimmermann, AAECC 14, 415 (2004)), each again a Toeplitz
    matrix whose seed is the XOR of two slices of the seed. The work grows as n^1.585.

    >>> split_products(1 << 20, 1 << 20, 1 << 20) == 3 * split_products(1 << 19, 1 << 19, 0)
    True
    """
    return _word_products(-(-input_bits // 64), -(-output_bits // 64), _limit_words(split_bits))


def _limit_words(split_bits: int) -> int:
    """The smallest side, in words, that is split (0: none; a side of one word never is)."""
    return max(-(-split_bits // 64), 2) if split_bits else 0


@functools.lru_cache(maxsize=4096)  # a few entries per size: bounded in a long-lived process
def _word_products(w: int, m: int, limit: int) -> int:
    if min(w, m) == 0:
        return 0
    if not limit or min(w, m) < limit:
        return w * m
    side = min(w, m)
    if w != m:
        rest = (w - side, m) if w > m else (w, m - side)
        return _word_products(side, side, limit) + _word_products(*rest, limit)
    half = -(-w // 2)
    return 3 * _word_products(half, half, limit)


def _aligned_product(
    seed: NDArray[np.uint8], x: NDArray[np.uint8], m: int, flavour: ClmulFlavour, limit: int
) -> NDArray[np.uint8]:
    """The middle product on whole words (``seed``: at most w + m - 1 bits, the rest zero): x
    is padded with zeros to W bits and the output to M bits, and the seed becomes t with
    y_i = sum_j t[i - j + W] x_j (``W - w + 1`` zeros in front of it), so that every slice of
    t, x and y that :func:`_split_words` cuts (sides of ``limit`` words and more) starts on a
    word."""
    w = x.size
    big_w, big_m = 64 * -(-w // 64), 64 * -(-m // 64)
    t = np.zeros(big_w + big_m, np.uint8)
    t[big_w - w + 1 : big_w - w + 1 + seed.size] = seed
    xs = np.zeros(big_w, np.uint8)
    xs[:w] = x
    words = _split_words(
        _packed(t, len(t) // 64), _packed(xs, big_w // 64), big_m // 64, flavour, limit
    )
    bits: NDArray[np.uint8] = np.unpackbits(words.view(np.uint8), bitorder="little")[:m]
    return bits


def _split_words(
    t: NDArray[np.uint64], x: NDArray[np.uint64], m: int, flavour: ClmulFlavour, limit: int
) -> NDArray[np.uint64]:
    """Words y_i = sum_j t[i - j + W] x_j of the aligned middle product (t has len(x) + m
    words), cut as :func:`split_products` says."""
    w = x.size
    if not limit or min(w, m) < limit:
        return _schoolbook_words(t, x, m, flavour)
    if w > m:  # columns [0, m) read t[w - m : w + m], columns [m, w) read t[: w]
        return _split_words(t[w - m :], x[:m], m, flavour, limit) ^ _split_words(
            t[:w], x[m:], m, flavour, limit
        )
    if m > w:  # rows [0, w) read t[: 2w], rows [w, m) read t[w :]
        top = _split_words(t[: 2 * w], x, w, flavour, limit)
        return np.concatenate([top, _split_words(t[w:], x, m - w, flavour, limit)])
    if w % 2:  # pad to even: a zero input word, and a seed word each side (rows and columns)
        padded = np.zeros(t.size + 2, np.uint64)
        padded[1:-1] = t
        return _split_words(padded, np.append(x, np.uint64(0)), m + 1, flavour, limit)[:m]
    h = w // 2
    a, b, c = t[h : 3 * h], t[: 2 * h], t[2 * h :]
    x0, x1 = x[:h], x[h:]
    shared = _split_words(a, x0 ^ x1, h, flavour, limit)
    top = _split_words(a ^ b, x1, h, flavour, limit)
    bottom = _split_words(a ^ c, x0, h, flavour, limit)
    top ^= shared
    bottom ^= shared
    return np.concatenate([top, bottom])


def _schoolbook_words(
    t: NDArray[np.uint64], x: NDArray[np.uint64], m: int, flavour: ClmulFlavour
) -> NDArray[np.uint64]:
    """The m words from word len(x) of the product t x, by the word loop."""
    nx = x.size
    padded = np.zeros(nx + t.size + 2 * _WORDS[flavour], np.uint64)
    padded[nx : nx + t.size] = t
    out = np.zeros(m, np.uint64)
    _compiled(flavour)(padded, np.ascontiguousarray(x), nx, out)
    return out
