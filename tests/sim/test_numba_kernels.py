"""The chunk copy of the Numba engine: each of its three ways (contiguous lanes, run tables,
tiles) gathers exactly the amplitudes the window's bit order names, checked against a NumPy
gather built from the qubit list alone, and scatters them back to the same places. And the
block kernels with controls on lanes (blended, not enumerated), against dense matrices."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kvant.sim._blocks import Block, make_block
from kvant.sim._numba_engine import _Kernels
from kvant.sim._numba_kernels import _chunk_io
from kvant.sim._numba_plan import encode_window
from kvant.sim._windows import Window
from kvant.testing import random_unitary

N = 11


def _expected_indices(qubits: tuple[int, ...], chunk_bits: int) -> np.ndarray:
    """State index of each buffer index: local bit m of the buffer is ``qubits[m]``."""
    local = np.arange(1 << len(qubits))
    index = np.full_like(local, chunk_bits)
    for m, q in enumerate(qubits):
        index |= ((local >> m) & 1) << q
    return index


# (window qubits in local order with 3 lanes first, which copy the encoding picks)
LAYOUTS = [
    ((0, 1, 2, 5, 3, 9, 4, 8), "contiguous"),
    ((1, 3, 4, 0, 2, 7, 10, 5), "runs"),  # qubits 0..5 in the window: runs of 64
    ((2, 4, 6, 0, 1, 3, 5, 9), "runs"),  # runs of 128
    ((1, 3, 9, 0, 2, 4, 5, 6), "runs"),  # runs of 128, a lane above them
    ((0, 3, 8, 1, 2, 6, 7, 10), "tiles"),  # qubit 4 outer: runs of 16 are too short
    ((5, 7, 9, 0, 1, 2, 3, 10), "tiles"),
]


@pytest.mark.parametrize(("qubits", "way"), LAYOUTS)
@pytest.mark.parametrize("real", [np.float32, np.float64])
def test_chunk_copy_gathers_the_named_amplitudes_and_scatters_them_back(
    qubits: tuple[int, ...], way: str, real: type
) -> None:
    window = Window(qubits, 3, ())
    encoded = encode_window(window, N, np.dtype(real))
    runs = encoded.io[3].shape[0]
    assert (way == "runs") == (runs > 0)
    assert (way == "contiguous") == (qubits[:3] == (0, 1, 2))
    rng = np.random.default_rng(7)
    state = (rng.normal(size=1 << N) + 1j * rng.normal(size=1 << N)).astype(
        np.complex64 if real is np.float32 else np.complex128
    )
    original = state.copy()
    floats = state.view(real)
    size = 1 << len(qubits)
    re, im = np.empty(size, real), np.empty(size, real)
    outer = window.outer_qubits(N)
    for chunk in (0, 5, (1 << len(outer)) - 1):
        base = int(encoded.outer_offsets[chunk])
        chunk_bits = sum(((chunk >> j) & 1) << q for j, q in enumerate(outer))
        assert base == chunk_bits
        index = _expected_indices(qubits, chunk_bits)
        _chunk_io(floats, np.uint64(base), encoded.io, re, im, True)
        np.testing.assert_array_equal(re + 1j * im, original[index])
        _chunk_io(floats, np.uint64(base), encoded.io, -re, 2 * im, False)
        expected = original.copy()
        expected[index] = -original[index].real + 2j * original[index].imag
        np.testing.assert_array_equal(state, expected)
        state[:] = original


def test_tiles_and_runs_agree_where_both_apply() -> None:
    window = Window((1, 3, 4, 0, 2, 7, 10, 5), 3, ())
    encoded = encode_window(window, N, np.dtype(np.float64))
    empty = np.zeros(0, np.int64)
    tiles = replace(encoded, io=(*encoded.io[:3], empty, empty, empty))
    state = np.random.default_rng(3).normal(size=2 << N)
    out = [np.empty(1 << 8) for _ in range(4)]
    for chunk in range(1 << 3):
        base = np.uint64(encoded.outer_offsets[chunk])
        _chunk_io(state, base, encoded.io, out[0], out[1], True)
        _chunk_io(state, base, tiles.io, out[2], out[3], True)
        np.testing.assert_array_equal(out[0], out[2])
        np.testing.assert_array_equal(out[1], out[3])


def _full_matrix(block: Block, n: int) -> np.ndarray:
    """The block as a ``2**n`` matrix (little-endian), built from its own matrix alone."""
    small = block.unitary()  # over block.qubits, ascending, little-endian
    index = np.arange(1 << n)
    local = np.zeros_like(index)
    for m, q in enumerate(block.qubits):
        local |= ((index >> q) & 1) << m
    mask = sum(1 << q for q in block.qubits)
    same_rest = (index[:, None] & ~mask) == (index[None, :] & ~mask)
    return np.where(same_rest, small[local[:, None], local[None, :]], 0)


def _lane_controlled_blocks(rng: np.random.Generator) -> list[Block]:
    """Every kernel with a control on a lane (qubits 0-2 are the lanes below)."""
    phases = np.exp(1j * rng.uniform(0, 6, 8))
    cycle = np.eye(8, dtype=complex)[[3, 0, 7, 1, 2, 6, 4, 5]] * phases[:, None]
    flip = np.eye(2, dtype=complex)[::-1]
    return [
        make_block(random_unitary(1, seed=rng), (5,), (1,)),  # dense1
        make_block(random_unitary(2, seed=rng), (4, 6), (0, 8)),  # dense2, lane + body control
        make_block(random_unitary(3, seed=rng), (3, 5, 7), (0, 2)),  # dense_k
        make_block(flip, (6,), (2,)),  # plain swap
        make_block(np.diag(phases[:2]) @ flip, (3,), (1, 2)),  # swap with phases
        make_block(cycle, (4, 5, 8), (0,)),  # generic permutation
        make_block(random_unitary(1, seed=rng), (7,), (1, 10)),  # a lane and an outer control
    ]


@pytest.mark.parametrize(("real", "tol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_kernels_blend_controls_on_lanes(real: type, tol: float) -> None:
    rng = np.random.default_rng(11)
    blocks = _lane_controlled_blocks(rng)
    kinds = ["dense"] * 3 + ["permutation"] * 3 + ["dense"]
    assert [b.kind for b in blocks] == kinds
    window = Window((0, 1, 2, 3, 4, 5, 6, 7, 8), 3, tuple(blocks))
    encoded = encode_window(window, N, np.dtype(real))
    assert (encoded.plan[6] != 0).all(), "every block has a lane control"
    dtype = np.complex64 if real is np.float32 else np.complex128
    start = rng.normal(size=1 << N) + 1j * rng.normal(size=1 << N)
    expected = start.copy()
    for block in blocks:
        expected = _full_matrix(block, N) @ expected
    state = start.astype(dtype)
    kernels = _Kernels(2, len(window.qubits), np.dtype(real))
    try:
        kernels.apply(state.view(real), encoded)
    finally:
        kernels.close()
    np.testing.assert_allclose(np.asarray(state, dtype=complex), expected, atol=20 * tol)
