"""KME throughput: ETSI 014 ``enc_keys`` requests per second for one 256-bit key, and latency.

Target (issue 9): >= 2,000 requests/s with p99 latency <= 20 ms on 2 cores, over mutual TLS,
SQLite store (WAL, synchronous=FULL); PostgreSQL reported too when a server can be started.

Setup: two KME processes on loopback (``kme-a`` serves the master SAE, ``kme-b`` the slave SAE's
KME that every key is announced to before kme-a answers), link key supplied to both stores.
Load: ``--connections`` keep-alive TLS connections from one asyncio client process (uvloop when
installed), each sending ``POST /api/v1/keys/sae-2/enc_keys`` with ``{"number": 1, "size": 256}``
back to back for ``--seconds`` after a ``--warmup``. The client is a minimal HTTP/1.1 writer and
reader so that it costs little CPU: client and both servers share the same 2 cores, as a
deployment with the encryptor on the KME host would. Every key received is checked afterwards to
be fetchable once by the slave SAE (a sample of ``--verify`` keys), so the figure counts only
keys delivered exactly once.

    python benchmarks/kms.py --out benchmarks/results/kms.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import platform
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from kvant.kms import LoopbackNetwork

SAES = {"kme-a": ["sae-1"], "kme-b": ["sae-2"]}
BODY = b'{"number":1,"size":256}'


def _request(host: str, port: int) -> bytes:
    return (
        f"POST /api/v1/keys/sae-2/enc_keys HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY


async def _connection(
    host: str,
    port: int,
    ctx: ssl.SSLContext,
    t_start: float,
    t_end: float,
    lat: list[float],
    keys: list[str],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
    req = _request(host, port)
    try:
        while True:
            t0 = time.perf_counter()
            if t0 >= t_end:
                break
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            t1 = time.perf_counter()
            if t0 >= t_start:
                if status == 200:
                    lat.append(t1 - t0)
                    keys.append(json.loads(body)["keys"][0]["key_ID"])
                else:
                    errors.append(status)
    finally:
        writer.close()


async def _load(
    host: str, port: int, ctx: ssl.SSLContext, connections: int, warmup: float, seconds: float
) -> tuple[list[float], list[str], list[int], float]:
    lat: list[float] = []
    keys: list[str] = []
    errors: list[int] = []
    now = time.perf_counter()
    t_start, t_end = now + warmup, now + warmup + seconds
    await asyncio.gather(
        *(
            _connection(host, port, ctx, t_start, t_end, lat, keys, errors)
            for _ in range(connections)
        )
    )
    return lat, keys, errors, seconds


def _verify(net: LoopbackNetwork, keys: list[str], sample: int) -> int:
    """Fetch a sample of the delivered keys as the slave SAE; returns how many came back."""
    ids = keys[:: max(1, len(keys) // sample)][:sample]
    got = 0
    with net.client("sae-2") as slave:
        for i in range(0, len(ids), 100):
            got += len(slave.get_key_with_ids("sae-1", ids[i : i + 100]))
    return got


def _cpu(proc: Any) -> float:
    """CPU seconds of a process and its children (the Uvicorn workers)."""
    import psutil

    p = psutil.Process(proc.pid)
    total = sum(p.cpu_times()[:2])
    for child in p.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += sum(child.cpu_times()[:2])
    return float(total)


def run_case(
    store: str,
    workers: int,
    connections: int,
    seconds: float,
    warmup: float,
    verify: int,
    pg_url: Any = None,
) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix=f"kvant-bench-kms-{store}-"))
    urls = None
    if store == "postgresql":
        urls = {k: pg_url() for k in SAES}
    net = LoopbackNetwork(root, ["kme-a", "kme-b"], SAES, workers=workers, store_urls=urls)
    net.write()
    # more link key than the KMEs can hand out in the time (supplying PostgreSQL is slower)
    units = int((5000 if store == "sqlite" else 2500) * (seconds + warmup)) + 1000
    t = time.perf_counter()
    net.supply_links(units)
    supply_s = time.perf_counter() - t
    with net:
        net.start()
        certs = root / "certs"
        ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
        ctx.load_cert_chain(str(certs / "sae-1.pem"), str(certs / "sae-1.key"))
        try:
            import uvloop

            runner: Any = uvloop.run
        except ImportError:  # pragma: no cover
            runner = asyncio.run
        cpu0 = {k: _cpu(p.proc) for k, p in net.procs.items()}
        client0 = time.process_time()
        lat, keys, errors, dur = runner(
            _load("127.0.0.1", net.ports["kme-a"], ctx, connections, warmup, seconds)
        )
        cpu = {k: _cpu(p.proc) - cpu0[k] for k, p in net.procs.items()}
        cpu["client"] = time.process_time() - client0
        checked = _verify(net, keys, verify)
    lat.sort()
    n = len(lat)

    def pct(q: float) -> float:
        return 1e3 * lat[min(n - 1, int(q * n))] if n else float("nan")

    return {
        "store": store,
        "workers": workers,
        "connections": connections,
        "seconds": dur,
        "requests": n,
        "errors": len(errors),
        "requests_per_s": n / dur,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": 1e3 * lat[-1] if n else float("nan"),
        "mean_ms": 1e3 * statistics.fmean(lat) if n else float("nan"),
        "unique_key_ids": len(set(keys)) == len(keys),
        "slave_verified": f"{checked}/{min(verify, len(keys))}",
        "supply_units_per_s": 2 * units / supply_s,
        "cpu_us_per_request": {k: round(1e6 * v / max(1, n), 1) for k, v in cpu.items()},
    }


def _postgres() -> tuple[Any, Any] | None:
    """Start a throw-away PostgreSQL server with the KMS tests' helper, if one can be had."""
    path = Path(__file__).resolve().parents[1] / "tests" / "kms" / "_postgres_server.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("_kvant_pg_bench", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    try:
        server, root = module.start_server(fsync=True)
    except (OSError, RuntimeError) as exc:
        print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
        return None
    return server, lambda: module.stop_server(server, root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Measured seconds per case.")
    parser.add_argument("--warmup", type=float, default=2.0, help="Unmeasured seconds first.")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--verify", type=int, default=500, help="Keys checked at the slave.")
    parser.add_argument("--out", type=Path, help="Write the results as JSON here.")
    args = parser.parse_args(argv)
    console = Console()
    pg = _postgres() if "postgresql" in args.stores else None
    results = []
    try:
        for store in args.stores:
            if store == "postgresql" and pg is None:
                console.print("[yellow]PostgreSQL: no server could be started; skipped[/]")
                continue
            for workers in args.workers:
                for conns in args.connections:
                    factory = (lambda s=pg[0]: s.create_database()) if pg else None
                    res = run_case(
                        store, workers, conns, args.seconds, args.warmup, args.verify, factory
                    )
                    results.append(res)
                    console.print(
                        f"{store} workers={workers} conns={conns}: "
                        f"{res['requests_per_s']:,.0f} req/s, p99 {res['p99_ms']:.1f} ms, "
                        f"CPU us/request {res['cpu_us_per_request']}"
                    )
    finally:
        if pg is not None:
            pg[1]()
    table = Table(title="KME enc_keys, one 256-bit key per request, mutual TLS, 2 KMEs")
    for col in ("store", "workers", "conns", "req/s", "p50 ms", "p99 ms", "errors", "slave ok"):
        table.add_column(col, justify="right")
    for r in results:
        table.add_row(
            r["store"],
            str(r["workers"]),
            str(r["connections"]),
            f"{r['requests_per_s']:,.0f}",
            f"{r['p50_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            str(r["errors"]),
            r["slave_verified"],
        )
    console.print(table)
    console.print("target: >= 2,000 req/s and p99 <= 20 ms")
    doc = {
        "benchmark": "kms",
        "target": {"requests_per_s": 2000, "p99_ms": 20},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": results,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(doc, indent=1))
        console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
