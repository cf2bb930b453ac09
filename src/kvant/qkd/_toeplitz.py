"""Privacy amplification by Toeplitz hashing, exact at every length.

A Toeplitz matrix T (m x n over GF(2)) is fixed by n + m - 1 seed bits s, T[i, j] =
s[i - j + n - 1]; the family {T_s} is 2-universal (Krawczyk, CRYPTO 1994, LNCS 839, p. 129;
Carter & Wegman 1979), so by the leftover hash lemma its output is close to uniform given
Eve's information. The default is the *modified* Toeplitz family y = x[:m] + T' x[m:] with T'
an m x (n - m) Toeplitz matrix (n - 1 seed bits), which is 2-universal too and needs a shorter
transform (Hayashi & Tsurumaru, IEEE Trans. Inf. Theory 62, 2213 (2016), Sec. VIII).

T x is a slice of the linear convolution s * x over the integers, reduced mod 2. It is computed
by real FFTs in float64 of a length N >= len(s) (no wrap-around reaches the slice) and
rounded. N is the smallest 7-smooth number m x 2^k with m in [16, 32) that fits: at most 14.3%
above len(s) instead of up to 100% for a power of two (a 1.09 Mbit key: N = 1,179,648 instead
of 2,097,152, 2.6x faster with FFTW), from few enough distinct lengths per octave that FFTW's
measured plans are reused. Rounding is exact when the absolute error is below 1/2; Percival,
Math. Comp. 72, 387 (2003), Theorem 5.1 bounds the error of an FFT convolution by

    |error| <= ||a||_2 ||b||_2 [(1 + eps)^(3L) (1 + eps sqrt(5))^(3L+1) (1 + beta)^(3L) - 1]

with L = ceil(log2 N), eps = 2^-53 and beta the error of the twiddle factors (taken as
2^-52). The bound is evaluated for every call (about 1e-8 at n = 1e6; it would pass 1/8 only
near n = 2^44) and x is split into exact chunks (T x = T_1 x_1 + T_2 x_2) wherever it exceeds
1/8. Percival's theorem is for radix-2 transforms; pocketfft's and FFTW's radix-3, -5 and -7
steps have the same O(eps log N) growth, and every output is also checked to lie within 1/4
of an integer: a wrong rounding cannot pass silently.

Backends: ``clmul`` (no FFT: the slice of the product over GF(2) from carry-less multiplies,
exact by construction, :mod:`kvant.qkd._clmul`; x86 CPUs with ``PCLMULQDQ``), ``numpy`` and
``scipy`` (pocketfft), ``pyfftw`` (FFTW, optional), ``cupy`` (cuFFT on a GPU, optional; not yet
run on one, its code runs in the tests with NumPy standing in for CuPy). ``auto`` takes
``clmul`` where the CPU has it and its work (word products of the split middle product,
:func:`kvant.qkd._clmul.split_products`, growing as n^1.585) is estimated below the FFT's,
else pyfftw when installed, else scipy. A 1 Mbit -> 0.4 Mbit hash on
a Xeon VM (``benchmarks/qkd_postprocessing.py``): 4-4.6 ms with 512-bit ``VPCLMULQDQ``, 22 ms
for FFTW and 54 ms for scipy; 10 Mbit: 0.12 s against 0.63 s for FFTW. The FFT's n log n wins
only above about 150 Mbit with 512-bit products (30 Mbit with 128-bit ones).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import math
from collections.abc import Callable
from typing import Any, Literal, get_args

import numba
import numpy as np
from numpy.typing import NDArray

from kvant.errors import BackendUnavailableError, ConfigError, SimulationError
from kvant.qkd import _clmul
from kvant.qkd._classical import ClassicalChannel
from kvant.qkd._ldpc_cache import cache_root

__all__ = [
    "FftBackend",
    "FftPlanning",
    "amplify_privacy",
    "percival_error_bound",
    "toeplitz_hash",
    "toeplitz_matrix",
    "toeplitz_seed_length",
]

FftBackend = Literal["auto", "clmul", "numpy", "scipy", "pyfftw", "cupy"]
_EPS = 2.0**-53
_BETA = 2.0**-52
_MAX_ERROR = 0.25
_SPLIT_AT = 0.125
_LENGTH_MANTISSAS = (16, 18, 20, 21, 24, 25, 27, 28, 30, 32)
FftPlanning = Literal["estimate", "measure"]


def toeplitz_seed_length(input_bits: int, output_bits: int, *, modified: bool = True) -> int:
    """Seed bits of an ``output_bits`` x ``input_bits`` (modified) Toeplitz hash.

    >>> toeplitz_seed_length(10, 4), toeplitz_seed_length(10, 4, modified=False)
    (9, 13)
    """
    _check_sizes(input_bits, output_bits)
    if output_bits == 0:
        return 0
    return input_bits - 1 if modified else input_bits + output_bits - 1


def _check_sizes(input_bits: int, output_bits: int) -> None:
    if input_bits < 1 or not 0 <= output_bits <= input_bits:
        raise ConfigError(
            f"need input_bits >= 1 and 0 <= output_bits <= input_bits, got {input_bits} "
            f"and {output_bits}"
        )


def toeplitz_matrix(
    seed_bits: NDArray[np.uint8], input_bits: int, output_bits: int, *, modified: bool = True
) -> NDArray[np.uint8]:
    """The dense GF(2) matrix of the hash (for tests and small inputs): T[i, j] = s[i - j + n - 1],
    or [I_m | T'] for the modified family.

    >>> toeplitz_matrix(np.array([1, 0, 1], np.uint8), 2, 2, modified=False).tolist()
    [[0, 1], [1, 0]]
    """
    seed = _bits(seed_bits, "seed_bits")
    if seed.size != toeplitz_seed_length(input_bits, output_bits, modified=modified):
        raise ConfigError("seed_bits has the wrong length; see toeplitz_seed_length")
    if output_bits == 0:
        return np.zeros((0, input_bits), dtype=np.uint8)
    width = input_bits - output_bits if modified else input_bits
    i, j = np.indices((output_bits, width))
    block = seed[i - j + width - 1] if width else np.zeros((output_bits, 0), np.uint8)
    if not modified:
        return block.astype(np.uint8)
    return np.concatenate([np.eye(output_bits, dtype=np.uint8), block], axis=1)


def percival_error_bound(norm_a: float, norm_b: float, fft_length: int) -> float:
    """Percival 2003, Theorem 5.1: bound on the absolute error of an FFT convolution.

    Args:
        norm_a: Euclidean norm of the first input.
        norm_b: Euclidean norm of the second input.
        fft_length: Transform length N (L = ceil(log2 N) levels).

    Returns:
        The bound (module docstring).

    >>> percival_error_bound(1000.0, 1000.0, 2**21) < 1e-7
    True
    """
    levels = max(1, math.ceil(math.log2(max(fft_length, 2))))
    growth = (
        math.exp(3 * levels * math.log1p(_EPS))
        * math.exp((3 * levels + 1) * math.log1p(_EPS * math.sqrt(5.0)))
        * math.exp(3 * levels * math.log1p(_BETA))
    ) - 1.0
    return norm_a * norm_b * growth


def transform_length(size: int) -> int:
    """The FFT length used for a convolution whose longer input has ``size`` elements: the
    smallest m x 2^k >= size with m a 7-smooth number in [16, 32] (module docstring).

    >>> transform_length(1_000_000), transform_length(1_090_042), transform_length(5)
    (1048576, 1179648, 16)
    """
    if size <= 16:
        return 16
    octave = 1 << max(0, (size - 1).bit_length() - 5)
    return min(m * octave for m in _LENGTH_MANTISSAS if m * octave >= size)


def _bits(bits: Any, name: str) -> NDArray[np.uint8]:
    array = np.asarray(bits)
    if array.ndim != 1 or array.dtype not in (np.uint8, np.bool_):
        raise ConfigError(f"{name} must be a 1-D uint8 or bool array of 0/1 bits")
    out = array.astype(np.uint8, copy=False)
    if out.size and out.max() > 1:
        raise ConfigError(f"{name} must hold bits (0 or 1), not packed bytes")
    return out


class _Fftw:
    """FFTW plans for one length (pyfftw): two forward transforms into separate spectra, one
    backward; ``measure`` plans are slower to make but about twice as fast to run, and their
    wisdom is kept on disk (``fftw-wisdom`` in :func:`~kvant.qkd._ldpc_cache.cache_root`,
    nowhere when caching is off)."""

    def __init__(self, length: int, effort: str) -> None:
        pyfftw = importlib.import_module("pyfftw")
        root = cache_root()
        wisdom = None if root is None else root / "fftw-wisdom"
        if effort == "measure" and wisdom is not None and wisdom.exists():
            with contextlib.suppress(Exception):
                pyfftw.import_wisdom(tuple(wisdom.read_bytes().split(b"\x00\x00")))
        self.real = pyfftw.empty_aligned(length, dtype="float64")
        self.spectra = [pyfftw.empty_aligned(length // 2 + 1, dtype="complex128") for _ in "ab"]
        flags = ("FFTW_MEASURE" if effort == "measure" else "FFTW_ESTIMATE", "FFTW_DESTROY_INPUT")
        self.forward = [pyfftw.FFTW(self.real, out, flags=flags, threads=1) for out in self.spectra]
        self.backward = pyfftw.FFTW(
            self.spectra[0], self.real, direction="FFTW_BACKWARD", flags=flags, threads=1
        )
        if effort == "measure" and wisdom is not None:
            with contextlib.suppress(OSError):
                wisdom.parent.mkdir(parents=True, exist_ok=True)
                wisdom.write_bytes(b"\x00\x00".join(pyfftw.export_wisdom()))

    def convolve(self, a: NDArray[np.uint8], b: NDArray[np.uint8]) -> NDArray[np.float64]:
        for plan, data in zip(self.forward, (a, b), strict=True):
            self.real[: data.size] = data
            self.real[data.size :] = 0.0
            plan.execute()
        _multiply(self.spectra[0], self.spectra[1], 1.0 / self.real.size)
        self.backward.execute()
        out: NDArray[np.float64] = self.real
        return out


@numba.njit(cache=True)
def _multiply(
    a: NDArray[np.complex128], b: NDArray[np.complex128], scale: float
) -> None:  # pragma: no cover - compiled
    for i in range(a.size):
        a[i] = a[i] * b[i] * scale


@numba.njit(cache=True)
def _round_parity(raw: NDArray[np.float64], out: NDArray[np.uint8]) -> float:  # pragma: no cover
    worst = 0.0
    for i in range(raw.size):
        r = np.rint(raw[i])
        worst = max(worst, abs(raw[i] - r))
        out[i] = np.uint8(np.int64(r) & 1)
    return worst


@functools.lru_cache(maxsize=8)
def _fftw(length: int, effort: str) -> _Fftw:
    return _Fftw(length, effort)


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise BackendUnavailableError(
            f"FFT backend {name!r} is not installed; pip install {name} or use backend='scipy'"
        ) from err


@functools.cache
def _resolve(backend: str) -> str:
    """The FFT backend ``auto`` stands for (pyfftw is found, not imported: 0.5 s)."""
    if backend != "auto":
        return backend
    return "pyfftw" if importlib.util.find_spec("pyfftw") else "scipy"


# seconds per carry-less product of 64 x 64 bits (the split's copies, XORs and calls included:
# 1.45-1.6e-10 at 1, 4 and 10 Mbit with zmm, 2.0-2.2e-10 ymm, 3.4-3.5e-10 xmm), and per point
# and level of a real FFT (N log2 N), measured on a Xeon VM: only their ratio matters
_CLMUL_SECONDS = {"zmm": 1.5e-10, "ymm": 2.1e-10, "xmm": 3.5e-10}
_FFT_SECONDS = {"pyfftw": 2.0e-9, "scipy": 5.2e-9, "numpy": 5.2e-9}


def _choose(backend: str, seed_bits: int, width: int, output_bits: int) -> str:
    """The backend that computes a middle product of these sizes: ``auto`` takes ``clmul``
    where the host has it and its estimated time is below the FFT's."""
    if backend != "auto":
        return backend
    fft = _resolve("auto")
    if _clmul.FLAVOUR is None:
        return fft
    products = _clmul.split_products(width, output_bits)
    length = transform_length(seed_bits)
    fft_seconds = _FFT_SECONDS[fft] * length * math.log2(length)
    return "clmul" if products * _CLMUL_SECONDS[_clmul.FLAVOUR] < fft_seconds else fft


def _convolver(
    backend: str, planning: str
) -> Callable[[NDArray[np.uint8], NDArray[np.uint8], int], Any]:
    """A function (a, b, N) -> the cyclic convolution of a and b of length N, float64."""
    if backend == "pyfftw":
        _module("pyfftw")
        return lambda a, b, n: _fftw(n, planning).convolve(a, b)
    if backend == "cupy":
        return _device_convolver(_module("cupy"))
    if backend in ("numpy", "scipy"):
        fft = np.fft if backend == "numpy" else importlib.import_module("scipy.fft")

        def cpu(a: NDArray[np.uint8], b: NDArray[np.uint8], n: int) -> Any:
            fa = fft.rfft(a.astype(np.float64), n)
            fa *= fft.rfft(b.astype(np.float64), n)
            return fft.irfft(fa, n)

        return cpu
    raise ConfigError(f"unknown backend {backend!r}; use auto, clmul, numpy, scipy, pyfftw or cupy")


def _device_convolver(xp: Any) -> Callable[[NDArray[np.uint8], NDArray[np.uint8], int], Any]:
    """The FFT convolution on the array module ``xp`` (CuPy: cuFFT on the GPU; the tests run
    the same code with NumPy). The bits travel to the device as bytes and widen there."""

    def convolve(a: NDArray[np.uint8], b: NDArray[np.uint8], n: int) -> Any:
        fa = xp.fft.rfft(xp.asarray(a).astype(xp.float64), n)
        fa *= xp.fft.rfft(xp.asarray(b).astype(xp.float64), n)
        return xp.fft.irfft(fa, n)

    return convolve


def _device_round_parity(xp: Any, raw: Any) -> tuple[NDArray[np.uint8], float]:
    """(parity of the nearest integers, largest distance to them) of ``raw`` on the device of
    ``xp``; only the output bits and one number come back to the host."""
    rounded = xp.rint(raw)
    worst = float(xp.max(xp.abs(raw - rounded))) if raw.size else 0.0
    parity = (rounded.astype(xp.int64) & 1).astype(xp.uint8)
    host: NDArray[np.uint8] = getattr(xp, "asnumpy", np.asarray)(parity)
    return host, worst


def _middle_product(
    seed: NDArray[np.uint8], x: NDArray[np.uint8], output_bits: int, backend: str, planning: str
) -> NDArray[np.uint8]:
    """Bits (seed * x)[len(x) - 1 : len(x) - 1 + output_bits] mod 2, exactly."""
    if backend == "clmul":
        return _clmul.middle_product(seed, x, output_bits)
    width = x.size
    length = transform_length(seed.size)
    bound = percival_error_bound(
        math.sqrt(float(np.count_nonzero(seed))), math.sqrt(float(np.count_nonzero(x))), length
    )
    if bound > _SPLIT_AT and width > 1:  # never at practical sizes; split x exactly
        half, m = width // 2, output_bits
        low = _middle_product(seed[width - half : width + m - 1], x[:half], m, backend, planning)
        high = _middle_product(seed[: width - half + m - 1], x[half:], m, backend, planning)
        return low ^ high
    raw = _convolver(backend, planning)(seed, x, length)[width - 1 : width - 1 + output_bits]
    if backend == "cupy":
        parity, worst = _device_round_parity(_module("cupy"), raw)
    else:
        parity = np.empty(output_bits, dtype=np.uint8)
        worst = _round_parity(np.ascontiguousarray(raw), parity)
    if worst > _MAX_ERROR:
        raise SimulationError(
            f"FFT rounding check failed (error {worst:.3g} > 1/4, bound {bound:.3g}); "
            f"the {backend} FFT is not accurate enough"
        )
    out: NDArray[np.uint8] = parity
    return out


def toeplitz_hash(
    key_bits: NDArray[np.uint8],
    seed_bits: NDArray[np.uint8],
    output_bits: int,
    *,
    modified: bool = True,
    backend: FftBackend = "auto",
    planning: FftPlanning = "estimate",
) -> NDArray[np.uint8]:
    """T_s x over GF(2), bit-exact (module docstring).

    Args:
        key_bits: The input x, one bit per element (uint8 0/1 or bool), length n.
        seed_bits: The seed, :func:`toeplitz_seed_length` bits.
        output_bits: m <= n.
        modified: Use the modified family [I | T'] (default) instead of plain Toeplitz.
        backend: ``auto``, ``clmul``, ``numpy``, ``scipy``, ``pyfftw`` or ``cupy``.
        planning: FFTW planning effort (``measure`` is slow once per length, then faster).

    Returns:
        The m output bits (uint8 0/1).

    Raises:
        ConfigError: for wrong lengths or non-bit inputs.
        BackendUnavailableError: for a backend that is not installed.

    >>> x, s = np.array([1, 1, 0], np.uint8), np.array([1, 0, 1, 1], np.uint8)
    >>> toeplitz_hash(x, s, 2, modified=False).tolist()
    [1, 0]
    >>> (toeplitz_matrix(s, 3, 2, modified=False) @ x % 2).tolist()
    [1, 0]
    """
    x = _bits(key_bits, "key_bits")
    seed = _bits(seed_bits, "seed_bits")
    _check_sizes(x.size, output_bits)
    if seed.size != toeplitz_seed_length(x.size, output_bits, modified=modified):
        raise ConfigError(
            f"seed_bits must have {toeplitz_seed_length(x.size, output_bits, modified=modified)} "
            f"bits for a {output_bits} x {x.size} {'modified ' if modified else ''}Toeplitz hash"
        )
    if planning not in ("estimate", "measure"):
        raise ConfigError(f"planning must be 'estimate' or 'measure', got {planning!r}")
    if backend not in get_args(FftBackend):
        raise ConfigError(f"unknown backend {backend!r}; use {', '.join(get_args(FftBackend))}")
    if output_bits == 0:
        return np.zeros(0, dtype=np.uint8)
    if not modified:
        chosen = _choose(backend, seed.size, x.size, output_bits)
        return _middle_product(seed, x, output_bits, chosen, planning)
    head = x[:output_bits].copy()
    if x.size == output_bits:
        return head
    chosen = _choose(backend, seed.size, x.size - output_bits, output_bits)
    return head ^ _middle_product(seed, x[output_bits:], output_bits, chosen, planning)


def amplify_privacy(
    alice_key: NDArray[np.uint8],
    bob_key: NDArray[np.uint8],
    output_bits: int,
    channel: ClassicalChannel,
    rng: np.random.Generator,
    *,
    modified: bool = True,
    backend: FftBackend = "auto",
    planning: FftPlanning = "estimate",
) -> tuple[bytes, bytes]:
    """The privacy-amplification stage: Alice draws a seed, sends it, both hash.

    Args:
        alice_key: Alice's reconciled bits.
        bob_key: Bob's reconciled bits (equal to Alice's after verification).
        output_bits: Secret key length from the finite-key bound.
        channel: The classical channel (the seed is public: no leakage).
        rng: Alice's source of the seed.
        modified: Use the modified Toeplitz family.
        backend: FFT backend.
        planning: FFTW planning effort.

    Returns:
        (Alice's key, Bob's key) as packed bytes (``numpy.packbits`` order).
    """
    seed_length = toeplitz_seed_length(alice_key.size, output_bits, modified=modified)
    seed = rng.integers(0, 2, seed_length, dtype=np.uint8)
    received = channel.send("alice", "privacy/toeplitz-seed", np.packbits(seed).tobytes())
    bob_seed = np.unpackbits(np.frombuffer(received, np.uint8), count=seed_length)
    options: dict[str, Any] = {"modified": modified, "backend": backend, "planning": planning}
    out_a = toeplitz_hash(alice_key, seed, output_bits, **options)
    out_b = toeplitz_hash(bob_key, bob_seed, output_bits, **options)
    return np.packbits(out_a).tobytes(), np.packbits(out_b).tobytes()
