"""A chain of KME processes on loopback: PKI, configs, link key supply, start and stop.

``A - B - ... - Z``: consecutive KMEs share a QKD link (key supplied from a seeded
:class:`~kvant.kms._supply.LinkFeed`, as the network layer would deliver it); every KME lists all
the others as peers, far ones with the trusted nodes between as ``via``. What the demo, the tests
and the benchmark run.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from kvant.errors import ConfigError
from kvant.kms._certs import make_dev_pki
from kvant.kms._client import KmeClient
from kvant.kms._config import check_id
from kvant.kms._server import KmeProcess
from kvant.kms._store import open_store
from kvant.kms._supply import LinkFeed

__all__ = ["LoopbackNetwork", "free_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LoopbackNetwork:
    """KMEs in a chain on 127.0.0.1, each its own process with its own SQLite store.

    Args:
        root: Working directory (certificates, configs, databases, logs).
        chain: KME ids in route order.
        saes: SAE ids attached to each KME.
        seed: Seed of the link key streams.
        workers: Uvicorn workers per KME.
        store_urls: Store URL per KME (default ``<root>/<kme>.db``).
        extra_config: Extra TOML lines for every ``kme.toml``.

    >>> net = LoopbackNetwork("/tmp/x", ["kme-a", "kme-b"], {"kme-a": ["sae-1"]})
    >>> net.links
    [('kme-a', 'kme-b')]
    """

    def __init__(
        self,
        root: str | Path,
        chain: Sequence[str],
        saes: Mapping[str, Sequence[str]],
        *,
        seed: int = 0,
        workers: int = 1,
        store_urls: Mapping[str, str] | None = None,
        extra_config: str = "",
    ) -> None:
        self.chain = [check_id(k, "kme id") for k in chain]
        if len(self.chain) < 2 or len(set(self.chain)) != len(self.chain):
            raise ConfigError(f"a loopback network needs >= 2 distinct KMEs, got {list(chain)}")
        unknown = set(saes) - set(self.chain)
        if unknown:
            raise ConfigError(f"SAEs attached to KMEs not in the chain: {sorted(unknown)}")
        self.root = Path(root).resolve()  # configs name files relative to themselves
        self.saes = {k: [check_id(s, "sae id") for s in saes.get(k, ())] for k in self.chain}
        self.seed = seed
        self.workers = workers
        self.store_urls = dict(store_urls or {})
        self.extra_config = extra_config
        self.kek_hex = secrets.token_hex(32)
        self.ports: dict[str, int] = {}
        self.procs: dict[str, KmeProcess] = {}
        self._supplied: dict[tuple[str, str], int] = {}

    @property
    def links(self) -> list[tuple[str, str]]:
        """The QKD links (consecutive KMEs)."""
        return list(zip(self.chain, self.chain[1:], strict=False))

    @property
    def env(self) -> dict[str, str]:
        """Environment of the KME processes (the KEK)."""
        return {"KVANT_KEK": self.kek_hex}

    def config_path(self, kme_id: str) -> Path:
        """The ``kme.toml`` of ``kme_id``."""
        return self.root / f"{kme_id}.toml"

    def store_url(self, kme_id: str) -> str:
        """The store URL of ``kme_id``."""
        return self.store_urls.get(kme_id, str(self.root / f"{kme_id}.db"))

    def write(self) -> LoopbackNetwork:
        """Create the PKI and one ``kme.toml`` per KME."""
        self.root.mkdir(parents=True, exist_ok=True)
        all_saes = [s for k in self.chain for s in self.saes[k]]
        make_dev_pki(self.root / "certs", self.chain, all_saes)
        self.ports = {k: free_port() for k in self.chain}
        for i, kme in enumerate(self.chain):
            lines = [
                f'kme_id = "{kme}"',
                f'listen = "127.0.0.1:{self.ports[kme]}"',
                f'store = "{self.store_url(kme)}"',
                f"workers = {self.workers}",
                self.extra_config,
                "[tls]",
                f'cert = "certs/{kme}.pem"',
                f'key = "certs/{kme}.key"',
                'ca = "certs/ca.pem"',
            ]
            for j, other in enumerate(self.chain):
                if other == kme:
                    continue
                between = self.chain[i + 1 : j] if j > i else self.chain[j + 1 : i][::-1]
                via = ", ".join(f'"{v}"' for v in between)
                lines += [
                    "[[peers]]",
                    f'kme_id = "{other}"',
                    f'url = "https://127.0.0.1:{self.ports[other]}"',
                    f"via = [{via}]",
                ]
            for owner in self.chain:
                for sae in self.saes[owner]:
                    lines += ["[[saes]]", f'sae_id = "{sae}"', f'kme_id = "{owner}"']
            self.config_path(kme).write_text("\n".join(lines) + "\n")
        return self

    def supply_links(self, units_per_link: int, unit_size_bits: int = 256) -> int:
        """Give both ends of every link ``units_per_link`` more units of link key.

        Returns:
            Units added in all stores together.
        """
        kek = bytes.fromhex(self.kek_hex)
        added = 0
        for index, (a, b) in enumerate(self.links):
            feed = LinkFeed(f"{a}~{b}", self.seed, index, 1.0, unit_size_bits)
            first = self._supplied.get((a, b), 0)
            units = feed.units(first, units_per_link)
            self._supplied[(a, b)] = first + units_per_link
            for me, peer in ((a, b), (b, a)):
                store = open_store(self.store_url(me), me, kek, unit_size_bits)
                try:
                    added += store.supply(peer, units)
                finally:
                    store.close()
        return added

    def start(self, timeout_s: float = 30.0) -> LoopbackNetwork:
        """Start every KME process (all at once) and wait until all accept TLS."""
        started = []
        for kme in self.chain:
            if kme not in self.procs:
                log = self.root / f"{kme}.log"
                self.procs[kme] = KmeProcess(self.config_path(kme), self.env, log).launch()
                started.append(self.procs[kme])
        for proc in started:
            proc.wait_ready(timeout_s)
        return self

    def stop(self) -> None:
        """Stop every KME (SIGTERM, graceful)."""
        for proc in self.procs.values():
            proc.stop()
        self.procs.clear()

    def url(self, kme_id: str) -> str:
        """Base URL of ``kme_id``."""
        return f"https://127.0.0.1:{self.ports[kme_id]}"

    def kme_of(self, sae_id: str) -> str:
        """The KME ``sae_id`` is attached to."""
        for kme, saes in self.saes.items():
            if sae_id in saes:
                return kme
        raise ConfigError(f"no SAE {sae_id!r} in this network")

    def client(self, sae_id: str) -> KmeClient:
        """An ETSI 014 client with ``sae_id``'s certificate, connected to its KME."""
        certs = self.root / "certs"
        return KmeClient(
            self.url(self.kme_of(sae_id)),
            certs / "ca.pem",
            certs / f"{sae_id}.pem",
            certs / f"{sae_id}.key",
        )

    def __enter__(self) -> LoopbackNetwork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
