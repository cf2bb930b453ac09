"""Carry-less middle products (the Toeplitz hash without an FFT), bit for bit against integer
convolution and the FFT backend, for every instruction width the host runs."""

from __future__ import annotations

import platform
import re

import llvmlite.binding as llvm  # type: ignore[import-untyped]
import numba
import numpy as np
import pytest

from kvant.errors import BackendUnavailableError, ConfigError
from kvant.qkd import _clmul, _toeplitz
from kvant.qkd._clmul import FLAVOURS, block_ir, host_flavours, middle_product, split_products


def _reference(seed: np.ndarray, x: np.ndarray, m: int) -> np.ndarray:
    out = np.zeros(m, np.uint8)
    if seed.size == 0:  # an empty seed: every product is zero
        return out
    full = np.convolve(seed.astype(np.int64), x.astype(np.int64)) % 2
    part = full[x.size - 1 : x.size - 1 + m]
    out[: part.size] = part
    return out


def test_the_host_runs_what_its_cpu_has() -> None:
    flavours = host_flavours()
    assert flavours == tuple(f for f in FLAVOURS if f in flavours)  # widest first
    assert (flavours[0] if flavours else None) == _clmul.FLAVOUR
    if platform.machine() in ("x86_64", "AMD64"):
        assert "xmm" in flavours  # PCLMULQDQ: every x86-64 CPU since 2010
    else:
        assert flavours == ()
        with pytest.raises(BackendUnavailableError, match="carry-less"):
            middle_product(np.ones(3, np.uint8), np.ones(2, np.uint8), 1)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_every_flavour_equals_integer_convolution(flavour: str) -> None:
    # 400 random shapes around word boundaries, seeds longer and shorter than the slice needs
    if flavour not in host_flavours():
        with pytest.raises(BackendUnavailableError):
            middle_product(np.ones(3, np.uint8), np.ones(2, np.uint8), 1, flavour)  # type: ignore[arg-type]
        return
    rng = np.random.default_rng(len(flavour))
    for case in range(400):
        width = int(rng.choice([1, 2, 63, 64, 65, 127, 128, 129, int(rng.integers(1, 700))]))
        m = int(rng.integers(0, 600))
        extra = int(rng.integers(-min(width + m - 1, 70), 70)) if case % 3 else 0
        seed = rng.integers(0, 2, max(0, width + m - 1 + extra), dtype=np.uint8)
        x = rng.integers(0, 2, width, dtype=np.uint8)
        got = middle_product(seed, x, m, flavour)  # type: ignore[arg-type]
        np.testing.assert_array_equal(got, _reference(seed, x, m), err_msg=f"{width} {m}")


@pytest.mark.skipif(_clmul.FLAVOUR is None, reason="no carry-less multiply on this CPU")
@pytest.mark.parametrize("split_bits", [1, 64, 129, 320])
def test_the_split_product_equals_integer_convolution(split_bits: int) -> None:
    # every cut on words: wide, tall, odd and even squares, sizes off the word, seeds longer
    # and shorter than read (a split size below 2 words splits at 2)
    rng = np.random.default_rng(split_bits)
    for case in range(100):
        width, m = (int(v) for v in rng.integers(1, 3000, 2))
        extra = int(rng.integers(-min(width + m - 1, 70), 70)) if case % 3 else 0
        seed = rng.integers(0, 2, max(0, width + m - 1 + extra), dtype=np.uint8)
        x = rng.integers(0, 2, width, dtype=np.uint8)
        got = middle_product(seed, x, m, split_bits=split_bits)
        np.testing.assert_array_equal(got, _reference(seed, x, m), err_msg=f"{width} {m}")


def test_split_costs_three_halves_per_square() -> None:
    assert split_products(640, 640, 0) == 100  # schoolbook: 10 x 10 words
    assert split_products(1280, 1280, 1280) == 3 * 100
    assert split_products(1280, 1280, 640) == 9 * 25  # 320-bit squares: 5 x 5 words
    # wide and tall: squares, then the rest (1344 = 640 + 640 + 64: two split squares, 10 x 1)
    assert split_products(1344, 640, 640) == 2 * 3 * 25 + 1 * 10
    assert split_products(640, 1344, 640) == 2 * 3 * 25 + 10 * 1
    assert split_products(1281, 1281, 1280) == 3 * 11 * 11  # odd: padded to 1282, halves of 641
    bits = np.ones(3, np.uint8)
    for bad in (-1, True, 2.5):
        with pytest.raises(ConfigError, match="split_bits"):
            middle_product(bits, bits[:2], 1, split_bits=bad)  # type: ignore[arg-type]


@pytest.mark.skipif(_clmul.FLAVOUR is None, reason="no carry-less multiply on this CPU")
def test_a_split_four_megabit_hash_equals_the_schoolbook() -> None:
    rng = np.random.default_rng(12)
    n, m = 4_000_003, 1_600_001  # odd sizes: every kind of cut on the way down
    x = rng.integers(0, 2, n - m, dtype=np.uint8)
    seed = rng.integers(0, 2, n - 1, dtype=np.uint8)
    assert split_products(n - m, m) < split_products(n - m, m, 0) / 2
    np.testing.assert_array_equal(
        middle_product(seed, x, m), middle_product(seed, x, m, split_bits=0)
    )


@pytest.mark.skipif(_clmul.FLAVOUR is None, reason="no carry-less multiply on this CPU")
def test_a_megabit_hash_equals_the_fft() -> None:
    rng = np.random.default_rng(11)
    n, m = 1_000_000, 400_000
    x = rng.integers(0, 2, n, dtype=np.uint8)
    seed = rng.integers(0, 2, n - 1, dtype=np.uint8)
    np.testing.assert_array_equal(
        _toeplitz.toeplitz_hash(x, seed, m, backend="clmul"),
        _toeplitz.toeplitz_hash(x, seed, m, backend="scipy"),
    )


def test_auto_takes_the_cheaper_method() -> None:
    # the split product grows as n^1.585, the FFT as n log n: clmul for 1 Mbit blocks, the
    # FFT for 1 Gbit (by the measured per-operation times in kvant.qkd._toeplitz)
    fft = _toeplitz._resolve("auto")
    small = _toeplitz._choose("auto", 999_999, 600_000, 400_000)
    large = _toeplitz._choose("auto", 999_999_999, 600_000_000, 400_000_000)
    assert small == ("clmul" if _clmul.FLAVOUR else fft)
    assert large == fft
    assert _toeplitz._choose("scipy", 999_999, 600_000, 400_000) == "scipy"


def test_numba_for_another_cpu_gets_no_host_instructions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numba.config, "CPU_NAME", "generic", raising=False)
    assert host_flavours() == ()


# what each flavour must become in machine code, on a CPU that has it
_LOWERED = {"zmm": ("icelake-server", r"vpclmulqdq\s.*%zmm"),
            "ymm": ("znver3", r"vpclmulqdq\s.*%ymm"),
            "xmm": ("westmere", r"pclmulqdq\s.*%xmm")}  # fmt: skip


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_block_ir_lowers_to_the_carry_less_multiply(flavour: str) -> None:
    text = block_ir(flavour)  # type: ignore[arg-type]
    module = llvm.parse_assembly(text)
    module.verify()
    if platform.machine() not in ("x86_64", "AMD64"):
        return  # the x86 targets below need an x86 LLVM; parsing is checked above
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    cpu, pattern = _LOWERED[flavour]
    machine = llvm.Target.from_triple("x86_64-unknown-linux-gnu").create_target_machine(
        cpu=cpu, opt=3
    )
    builder = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(3))
    builder.getModulePassManager().run(module, builder)
    assert re.search(pattern, machine.emit_assembly(module))
