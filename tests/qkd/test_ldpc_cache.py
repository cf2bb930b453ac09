"""The on-disk cache of LDPC codes: same bytes as a fresh build, keyed, verified, atomic."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kvant.qkd._ldpc_cache as cache
import kvant.qkd._ldpc_codes as codes
from kvant.cli import main
from kvant.errors import ConfigError
from kvant.qkd._ldpc_codes import DEGREE_DISTRIBUTIONS, LdpcCode, build_code, cached_code

N = 2048
DIST = DEGREE_DISTRIBUTIONS[4]  # rate 0.70


def _same(a: LdpcCode, b: LdpcCode) -> None:
    assert (a.rate, a.num_bits, a.num_checks, a.threshold_qber) == (
        b.rate,
        b.num_bits,
        b.num_checks,
        b.threshold_qber,
    )
    for name in ("check_start", "check_vars", "puncture_order"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype == np.int32
        np.testing.assert_array_equal(x, y)


def _no_build(*_: object, **__: object) -> LdpcCode:
    raise AssertionError("the code should have come from the cache")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    return tmp_path / "ldpc-codes"


def test_loaded_code_is_the_built_code(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = build_code(DIST, N, seed=3)
    first = cached_code(DIST, N, seed=3)  # a miss: built and stored
    _same(first, fresh)
    [entry] = cache_dir.glob("*.npz")
    assert entry.name.startswith(f"rate{DIST.rate}-n{N}-")
    assert not list(cache_dir.glob("*.tmp"))  # the temporary file was renamed into place
    monkeypatch.setattr(codes, "build_code", _no_build)
    _same(cached_code(DIST, N, seed=3), fresh)  # a hit: nothing is built


def test_every_input_of_the_code_is_in_the_key(cache_dir: Path) -> None:
    cached_code(DIST, N, seed=3)
    cached_code(DIST, N, seed=4)
    cached_code(DIST, 2 * N, seed=3)
    cached_code(DEGREE_DISTRIBUTIONS[5], N, seed=3)
    assert len(list(cache_dir.glob("*.npz"))) == 4
    fields = {"distribution": DIST.to_dict(), "num_bits": N, "seed": 3}
    key = cache.cache_key(fields)
    assert key == cache.cache_key(dict(reversed(fields.items())))  # order does not matter
    assert key != cache.cache_key({**fields, "seed": 4})
    changed = dict(DIST.to_dict(), threshold_qber=0.05)
    assert key != cache.cache_key({**fields, "distribution": changed})


def test_a_new_builder_version_misses(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cached_code(DIST, N, seed=3)
    monkeypatch.setattr(cache, "BUILDER_VERSION", cache.BUILDER_VERSION + 1)
    calls: list[int] = []

    def counting(*args: object, **kwargs: object) -> LdpcCode:
        calls.append(1)
        return build_code(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(codes, "build_code", counting)
    cached_code(DIST, N, seed=3)
    assert calls == [1]
    assert len(list(cache_dir.glob("*.npz"))) == 2


def _flip_last_index_byte(path: Path) -> None:
    # the arrays are stored uncompressed: the last bytes of check_vars' data sit just before
    # its zip header; flip one byte inside check_vars (a valid bit index either way)
    raw = bytearray(path.read_bytes())
    marker = raw.find(b"check_vars.npy")
    position = raw.find(b"\x93NUMPY", marker) + 256
    raw[position] ^= 0x01
    path.write_bytes(bytes(raw))


def test_a_corrupted_entry_is_rebuilt(cache_dir: Path) -> None:
    fresh = build_code(DIST, N, seed=3)
    cached_code(DIST, N, seed=3)
    [entry] = cache_dir.glob("*.npz")
    intact = entry.read_bytes()
    _flip_last_index_byte(entry)
    assert entry.read_bytes() != intact
    assert cache._load(entry, cache.cache_key(_fields(3))) is None  # zip CRC or digest
    # a well-formed file whose arrays do not match the digest in its header
    key = cache.cache_key(_fields(3))
    arrays = codes._code_arrays(fresh)
    header = f'{{"key": "{key}", "digest": "{cache._digest({"x": np.zeros(1)})}"}}'.encode()
    _write(entry, header, arrays)
    assert cache._load(entry, key) is None
    header = f'{{"key": "{key}", "digest": "{cache._digest(arrays)}"}}'.encode()
    _write(entry, header, arrays)
    assert cache._load(entry, key) is not None  # the same file with the right digest loads
    assert cache._load(entry, cache.cache_key(_fields(4))) is None  # another key: refused
    _flip_last_index_byte(entry)
    _same(cached_code(DIST, N, seed=3), fresh)
    assert entry.read_bytes() == intact  # rewritten
    entry.write_bytes(b"not a zip file")
    _same(cached_code(DIST, N, seed=3), fresh)
    entry.write_bytes(intact[: len(intact) // 2])  # truncated
    _same(cached_code(DIST, N, seed=3), fresh)


def _write(path: Path, header: bytes, arrays: dict[str, np.ndarray]) -> None:
    payload: dict[str, Any] = {"__meta__": np.frombuffer(header, np.uint8), **arrays}
    np.savez(path, **payload)


def _fields(seed: int) -> dict[str, object]:
    return {"distribution": DIST.to_dict(), "num_bits": N, "seed": seed}


def test_an_intact_entry_of_the_wrong_code_is_rebuilt(cache_dir: Path) -> None:
    # right key and digest, wrong content (another rate's code): the structural check of the
    # loaded arrays (column weights of lambda, CSR shape) refuses it
    fresh = build_code(DIST, N, seed=3)
    cached_code(DIST, N, seed=3)
    [entry] = cache_dir.glob("*.npz")
    other = build_code(DEGREE_DISTRIBUTIONS[0], N, seed=3)
    arrays = codes._code_arrays(other)
    cache._store(entry, cache.cache_key(_fields(3)), arrays)
    assert cache._load(entry, cache.cache_key(_fields(3))) is not None
    assert not codes._intact(DIST, N, arrays)
    _same(cached_code(DIST, N, seed=3), fresh)
    # the same code with one edge moved to another bit keeps the CSR shape but not the weights
    moved = codes._code_arrays(fresh)
    moved["check_vars"] = moved["check_vars"].copy()
    moved["check_vars"][0] = (moved["check_vars"][0] + 1) % N
    assert codes._intact(DIST, N, codes._code_arrays(fresh))
    assert not codes._intact(DIST, N, moved)
    assert not codes._intact(DIST, N, dict(moved, check_vars=moved["check_vars"].astype(np.int64)))


def test_cache_off_and_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = build_code(DIST, N, seed=3)
    for off in ("off", ""):
        monkeypatch.setenv(cache.CACHE_ENV, off)
        assert cache.cache_directory() is None
        _same(cached_code(DIST, N, seed=3), fresh)
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache directory cannot be made under a file")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker))
    _same(cached_code(DIST, N, seed=3), fresh)  # no cache, no error
    monkeypatch.delenv(cache.CACHE_ENV)
    assert cache.cache_directory() == Path.home() / ".cache" / "kvant" / "ldpc-codes"

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert cache.cache_directory() is None
    assert not list(tmp_path.rglob("*.npz"))


def test_family_seeds_are_per_rate_and_short_frames_are_refused() -> None:
    # each code keeps its seed whatever rows are added: 1000 + its place in the original
    # family of 16 rates (rates 0.50-0.95)
    assert codes._CODE_SEEDS[0.5] == 1000
    assert codes._CODE_SEEDS[0.95] == 1015
    assert len(set(codes._CODE_SEEDS.values())) == len(DEGREE_DISTRIBUTIONS)
    with pytest.raises(ConfigError, match="at least 1024"):
        cached_code(DIST, 512, seed=0)


def test_family_code_is_one_member_of_the_family() -> None:
    family = codes.code_family(N)
    for index in (0, 8, len(DEGREE_DISTRIBUTIONS) - 1):
        rate = DEGREE_DISTRIBUTIONS[index].rate
        assert codes.family_code(rate, N) is family[index]
        _same(family[index], build_code(DEGREE_DISTRIBUTIONS[index], N, codes._CODE_SEEDS[rate]))
    with pytest.raises(ConfigError, match=r"no code of rate 0\.97"):
        codes.family_code(0.97, N)


def _entry(name: str, days_unused: float) -> Path:
    """A cache entry (a real one, through cached_arrays) last used ``days_unused`` ago."""
    cache.cached_arrays(name, {"name": name}, lambda: {"a": np.arange(4)}, lambda a: True)
    (path,) = cache.cache_directory().glob(f"{name}-*.npz")  # type: ignore[union-attr]
    stamp = time.time() - days_unused * 86400.0
    os.utime(path, (stamp, stamp))
    return path


def test_prune_deletes_what_was_not_used_and_loading_counts_as_use(cache_dir: Path) -> None:
    old, recent, reloaded = _entry("old", 40), _entry("recent", 2), _entry("reloaded", 40)
    loaded = cache.cached_arrays(
        "reloaded", {"name": "reloaded"}, lambda: {"a": np.zeros(4)}, lambda a: True
    )
    assert loaded["a"].tolist() == [0, 1, 2, 3]  # from the file, which is now "used"
    partial = cache_dir / "killed-writer.tmp"  # a writer killed before its rename
    partial.write_bytes(b"half")
    os.utime(partial, (time.time() - 7200, time.time() - 7200))
    in_flight = cache_dir / "writing-now.tmp"  # may be a write in progress: kept
    in_flight.write_bytes(b"half")
    entries = cache.cache_entries()
    assert [e.path for e in entries][:3] == [old, recent, partial]  # least recently used first
    assert sum(e.partial for e in entries) == 2
    removed = cache.prune_cache(30)
    assert {e.path for e in removed} == {old, partial}
    assert {e.path for e in cache.cache_entries()} == {recent, reloaded, in_flight}
    assert {e.path for e in cache.prune_cache(None)} == {recent, reloaded}
    with pytest.raises(ConfigError, match="unused_days"):
        cache.prune_cache(-1)


def test_cache_command_shows_and_prunes(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _entry("old", 40)
    _entry("recent", 1)

    def run(*args: str) -> int:
        with pytest.raises(SystemExit) as info:
            main(["qkd", "cache", *args])
        return int(info.value.code or 0)

    assert run("--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["directory"] == str(cache_dir)
    assert shown["entries"] == 2
    assert shown["oldest_use_days"] == pytest.approx(40, abs=0.01)
    assert run("--prune-days", "30", "--json") == 0
    pruned = json.loads(capsys.readouterr().out)
    assert (pruned["entries"], pruned["removed"]) == (1, 1)
    assert pruned["removed_bytes"] > 0
    assert run("--clear") == 0
    assert "Deleted 1 files" in capsys.readouterr().out
    assert run("--clear", "--prune-days", "3") == 2
    assert "not both" in capsys.readouterr().err
    assert run("--prune-days", "-1") == 2
    assert "--prune-days must be >= 0" in capsys.readouterr().err
