"""KMS key-store throughput: ``take_for_master`` operations per second, SQLite and PostgreSQL.

Each operation takes one 256-bit key (one unit) for SAE_1 -> SAE_2 in one durable transaction
(SQLite: WAL, synchronous=FULL; PostgreSQL: fsync=on, synchronous_commit=on). Each case is
PROCESSES x THREADS sharing the store, SQLite with group commit (its default) and once without,
PostgreSQL without (its default) and once with. Reports ops/s and the
p50/p99 latency of one operation. Without ``--pg-url`` a throw-away PostgreSQL server is started
with the test suite's helper (tests/kms/_postgres_server.py) and stopped at the end. The end to
end figure (HTTPS, mutual TLS, ETSI 014) is measured by benchmarks/kms.py.

    python benchmarks/kms_store.py --ops 2000 --out benchmarks/results/kms_store.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

KEK = bytes(range(32))
CHILD = r"""
import json, sys, threading, time
from kvant.kms import open_store
url, n, threads, tag, group = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:6]
store = open_store(url, "KME_A", bytes(range(32)), group_commit={"on": True, "off": False}[group])
lat = []
def work(t):
    for i in range(n // threads):
        t0 = time.perf_counter()
        store.take_for_master("KME_B", "SAE_1", "SAE_2", 1, 256, f"{tag}-{t}-{i}")
        lat.append(time.perf_counter() - t0)
t0 = time.perf_counter()
pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
for t in pool: t.start()
for t in pool: t.join()
busy = time.perf_counter() - t0
store.close()
print(json.dumps({"lat": lat, "busy": busy}))
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_case(url: str, ops: int, workers: int, threads: int, group: bool) -> dict[str, Any]:
    """Fill a fresh store with enough key, then time ``workers`` processes of ``threads``
    threads taking keys (``group``: group commit on)."""
    from kvant.kms import KeyUnit, open_store

    store = open_store(url, "KME_A", KEK)
    per = ops // workers // threads * threads
    store.supply(
        "KME_B", [KeyUnit(str(uuid.uuid4()), os.urandom(32)) for _ in range(per * workers)]
    )
    store.close()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                url,
                str(per),
                str(threads),
                f"w{w}-{uuid.uuid4().hex[:6]}",
                "on" if group else "off",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    lat: list[float] = []
    busy = 0.0
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        got = json.loads(out)
        lat += got["lat"]
        busy = max(busy, got["busy"])
    return {
        "workers": workers,
        "threads": threads,
        "group_commit": group,
        "ops": len(lat),
        "ops_per_s": len(lat) / busy,
        "p50_ms": 1e3 * _percentile(lat, 0.50),
        "p99_ms": 1e3 * _percentile(lat, 0.99),
    }


def _postgres_helper() -> Any:
    path = Path(__file__).resolve().parents[1] / "tests" / "kms" / "_postgres_server.py"
    spec = importlib.util.spec_from_file_location("_postgres_server", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="operations per case")
    parser.add_argument(
        "--cases",
        nargs="+",
        default=["1x1", "1x8", "2x8"],
        help="PROCESSESxTHREADS sharing the store (default: 1x1 1x8 2x8)",
    )
    parser.add_argument(
        "--sqlite-dir",
        type=Path,
        help="where the SQLite files go (e.g. /dev/shm to take the "
        "disk's fsync out of the figure; default: a temporary directory)",
    )
    parser.add_argument("--pg-url", help="an existing PostgreSQL database (default: start one)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()

    cases = [tuple(int(x) for x in c.split("x")) for c in args.cases]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=args.sqlite_dir) as tmp:
        for w, t in cases:
            url = f"sqlite:///{tmp}/kme-{w}x{t}.db"
            results.append({"backend": "sqlite", **run_case(url, args.ops, w, t, True)})
        url = f"sqlite:///{tmp}/kme-nogroup.db"
        results.append({"backend": "sqlite", **run_case(url, args.ops, 1, 8, False)})
    if not args.no_postgres:
        helper, server, root = None, None, None
        if args.pg_url is None:
            helper = _postgres_helper()
            server, root = helper.start_server(fsync=True)
        try:
            for w, t, group in [*((w, t, False) for w, t in cases), (1, 8, True)]:
                url = args.pg_url or server.create_database()
                results.append({"backend": "postgresql", **run_case(url, args.ops, w, t, group)})
        finally:
            if helper is not None:
                helper.stop_server(server, root)

    header = f"{'backend':<11} {'procs':>5} {'threads':>7} {'group':>5} {'ops':>6} {'ops/s':>8}"
    print(header + f" {'p50 ms':>7} {'p99 ms':>7}")
    for r in results:
        print(
            f"{r['backend']:<11} {r['workers']:>5} {r['threads']:>7} "
            f"{'on' if r['group_commit'] else 'off':>5} {r['ops']:>6} {r['ops_per_s']:>8.0f} "
            f"{r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f}"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "sqlite_dir": str(args.sqlite_dir or tempfile.gettempdir()),
        }
        args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
