"""Toeplitz privacy amplification, bit-exact against the direct GF(2) matrix product."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from kvant.errors import BackendUnavailableError, ConfigError, SimulationError
from kvant.qkd import ClassicalChannel, _toeplitz, amplify_privacy, toeplitz_hash, toeplitz_matrix
from kvant.qkd._clmul import FLAVOUR as CLMUL
from kvant.qkd._toeplitz import percival_error_bound, toeplitz_seed_length, transform_length

# every backend this host runs (clmul: tests/qkd/test_clmul.py checks it where it cannot)
BACKENDS = (
    ["numpy", "scipy"]
    + (["pyfftw"] if importlib.util.find_spec("pyfftw") else [])
    + (["clmul"] if CLMUL else [])
)


def _dense(seed: np.ndarray, x: np.ndarray, m: int, modified: bool) -> np.ndarray:
    matrix = toeplitz_matrix(seed, x.size, m, modified=modified).astype(np.int64)
    return (matrix @ x.astype(np.int64) % 2).astype(np.uint8)


def _rows(seed: np.ndarray, x: np.ndarray, rows: np.ndarray, m: int, modified: bool) -> np.ndarray:
    """Selected rows of T x straight from T[i, j] = s[i - j + w - 1] (no matrix built)."""
    head, tail = (x[:m], x[m:]) if modified else (np.zeros(m, np.uint8), x)
    w = tail.size
    out = []
    for i in rows:
        row = seed[i : i + w][::-1].astype(np.int64)  # s[i - j + w - 1] for j = 0..w-1
        out.append((int(row @ tail) + int(head[i])) % 2)
    return np.asarray(out, dtype=np.uint8)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("modified", [True, False])
@pytest.mark.parametrize(
    ("n", "m"), [(1, 0), (1, 1), (2, 1), (7, 3), (64, 64), (65, 1), (300, 299), (2049, 1000)]
)
def test_equals_the_dense_matrix_product(n: int, m: int, modified: bool, backend: str) -> None:
    rng = np.random.default_rng(n * 7 + m)
    x = rng.integers(0, 2, n, dtype=np.uint8)
    seed = rng.integers(0, 2, toeplitz_seed_length(n, m, modified=modified), dtype=np.uint8)
    got = toeplitz_hash(x, seed, m, modified=modified, backend=backend)
    np.testing.assert_array_equal(got, _dense(seed, x, m, modified))


@pytest.mark.parametrize("modified", [True, False])
def test_all_ones_inputs_reach_the_largest_sums(modified: bool) -> None:
    n, m = 4000, 2500
    x = np.ones(n, np.uint8)
    seed = np.ones(toeplitz_seed_length(n, m, modified=modified), np.uint8)
    np.testing.assert_array_equal(
        toeplitz_hash(x, seed, m, modified=modified), _dense(seed, x, m, modified)
    )


@pytest.mark.parametrize("backend", ["auto", "scipy"])
@pytest.mark.parametrize(("n", "m"), [(100_003, 40_000), (1_000_000, 300_000)])
def test_large_inputs_match_the_direct_product_on_sampled_rows(
    n: int, m: int, backend: str
) -> None:
    rng = np.random.default_rng(n)
    x = rng.integers(0, 2, n, dtype=np.uint8)
    for modified in (True, False):
        seed = rng.integers(0, 2, toeplitz_seed_length(n, m, modified=modified), dtype=np.uint8)
        got = toeplitz_hash(x, seed, m, modified=modified, backend=backend)  # type: ignore[arg-type]
        rows = np.unique(np.concatenate([[0, 1, m - 2, m - 1], rng.integers(0, m, 40)]))
        np.testing.assert_array_equal(got[rows], _rows(seed, x, rows, m, modified))


def test_transform_lengths_are_7_smooth_and_within_one_seventh() -> None:
    for size in [*range(1, 5000), 999_999, 1_090_042, 2**20 + 1, 3**13]:
        length = transform_length(size)
        assert size <= length <= max(16, size * 8 / 7)
        rest = length
        for prime in (2, 3, 5, 7):
            while rest % prime == 0:
                rest //= prime
        assert rest == 1, (size, length)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mantissa", [18, 20, 21, 24, 25, 27, 28, 30])
def test_every_non_power_of_two_length_is_exact(mantissa: int, backend: str) -> None:
    seed_size = mantissa * 128 - 1  # the transform is mantissa x 2^7 (radix 3, 5, 7 steps)
    assert transform_length(seed_size) == mantissa * 128
    n = seed_size // 2 + 1
    m = seed_size - n + 1
    rng = np.random.default_rng(mantissa)
    x = rng.integers(0, 2, n, dtype=np.uint8)
    seed = rng.integers(0, 2, seed_size, dtype=np.uint8)
    got = toeplitz_hash(x, seed, m, modified=False, backend=backend)
    np.testing.assert_array_equal(got, _dense(seed, x, m, False))


def test_chunked_path_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2, 3000, dtype=np.uint8)
    seed = rng.integers(0, 2, 3000 + 1200 - 1, dtype=np.uint8)
    expected = _dense(seed, x, 1200, False)
    monkeypatch.setattr(_toeplitz, "_SPLIT_AT", -1.0)  # force splitting down to single bits
    np.testing.assert_array_equal(toeplitz_hash(x, seed, 1200, modified=False), expected)


def test_percival_bound_is_tiny_at_practical_sizes() -> None:
    assert percival_error_bound(2**10, 2**10, 2**21) < 1e-7
    assert percival_error_bound(2**22, 2**22, 2**45) > 0.5  # where splitting would start


def test_bad_inputs() -> None:
    x = np.zeros(8, np.uint8)
    with pytest.raises(ConfigError):
        toeplitz_hash(x, np.zeros(3, np.uint8), 4)
    with pytest.raises(ConfigError):
        toeplitz_hash(x, np.zeros(7, np.uint8), 9)
    with pytest.raises(ConfigError):
        toeplitz_hash(np.packbits(np.ones(16, np.uint8)), np.zeros(1, np.uint8), 1)
    with pytest.raises(ConfigError):
        toeplitz_hash(x, np.zeros(7, np.uint8), 4, backend="fftx")  # type: ignore[arg-type]
    if importlib.util.find_spec("cupy") is None:
        with pytest.raises(BackendUnavailableError):
            toeplitz_hash(x, np.zeros(7, np.uint8), 4, backend="cupy")


def test_the_gpu_code_runs_on_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    # the cupy backend's own code (transfer, cuFFT convolution, rounding check, parity back to
    # the host) with NumPy standing in for CuPy: everything but the device itself
    real = _toeplitz._module
    monkeypatch.setattr(_toeplitz, "_module", lambda name: np if name == "cupy" else real(name))
    rng = np.random.default_rng(6)
    x = rng.integers(0, 2, 3001, dtype=np.uint8)
    seed = rng.integers(0, 2, 3000, dtype=np.uint8)
    direct = toeplitz_matrix(seed, 3001, 1200) @ x.astype(np.int64) % 2
    np.testing.assert_array_equal(toeplitz_hash(x, seed, 1200, backend="cupy"), direct)
    monkeypatch.setattr(_toeplitz, "_MAX_ERROR", -1.0)  # every rounding now fails the check
    with pytest.raises(SimulationError, match="cupy FFT is not accurate enough"):
        toeplitz_hash(x, seed, 1200, backend="cupy")


@pytest.mark.gpu
@pytest.mark.skipif(importlib.util.find_spec("cupy") is None, reason="CuPy is not installed")
def test_cupy_backend_matches_cpu() -> None:  # pragma: no cover - needs a GPU
    rng = np.random.default_rng(5)
    x = rng.integers(0, 2, 200_000, dtype=np.uint8)
    seed = rng.integers(0, 2, 199_999, dtype=np.uint8)
    np.testing.assert_array_equal(
        toeplitz_hash(x, seed, 80_000, backend="cupy"), toeplitz_hash(x, seed, 80_000)
    )


def test_amplify_privacy_sends_the_seed_and_hashes_both_keys() -> None:
    rng = np.random.default_rng(9)
    key = rng.integers(0, 2, 5000, dtype=np.uint8)
    channel = ClassicalChannel()
    alice, bob = amplify_privacy(key, key.copy(), 1600, channel, np.random.default_rng(1))
    assert alice == bob
    assert len(alice) == 200
    assert channel.leaked_bits == 0
    assert channel.messages[0].kind == "privacy/toeplitz-seed"
    seed = np.unpackbits(np.frombuffer(channel.messages[0].payload, np.uint8), count=4999)
    np.testing.assert_array_equal(
        np.unpackbits(np.frombuffer(alice, np.uint8)), _dense(seed, key, 1600, True)
    )
