"""Running a KME: the server process (Uvicorn over mutual TLS) and a handle to start one.

``serve(config)`` runs in the foreground until SIGINT/SIGTERM, then shuts down gracefully (open
requests finish, the store is closed). With ``workers > 1`` Uvicorn's supervisor forks worker
processes that each build the app from the config file (``KVANT_KME_CONFIG``).

:class:`KmeProcess` starts ``python -m kvant.kms CONFIG`` as a child process and waits
until it accepts TLS connections: what tests, the benchmark and the demo use.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from kvant.errors import ConfigError, KmsError
from kvant.kms._config import KmeConfig, load_config
from kvant.kms._tls import TLS12_CIPHERS, client_ssl_context, mtls_protocol

__all__ = ["KmeProcess", "app_from_env", "main", "serve"]

CONFIG_ENV = "KVANT_KME_CONFIG"


def app_from_env() -> Any:
    """App factory for worker processes: the config file path is in ``$KVANT_KME_CONFIG``."""
    from kvant.kms._app import kme_asgi_app

    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise ConfigError(f"${CONFIG_ENV} must name the kme.toml of the worker")
    return kme_asgi_app(load_config(path))


def _uvicorn_config(config: KmeConfig, app: Any, **extra: Any) -> Any:
    import ssl as _ssl

    import uvicorn

    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:  # pragma: no cover - uvloop is optional
        loop = "asyncio"
    for what, path in (
        ("certificate", config.tls.cert_path),
        ("key", config.tls.key_path),
        ("CA", config.tls.ca_path),
    ):
        if not path.is_file():
            raise ConfigError(
                f"TLS {what} file {path} does not exist; create one with `kvant kms certs`"
            )
    return uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        ssl_certfile=str(config.tls.cert_path),
        ssl_keyfile=str(config.tls.key_path),
        ssl_ca_certs=str(config.tls.ca_path),
        ssl_cert_reqs=_ssl.CERT_REQUIRED,
        # Uvicorn builds the server context itself, like server_ssl_context: its default
        # cipher string "TLSv1" would allow CBC and SHA-1 suites under TLS 1.2 (Python's
        # default minimum version is already TLS 1.2)
        ssl_ciphers=TLS12_CIPHERS,
        http=mtls_protocol(),
        loop=loop,
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
        server_header=False,
        proxy_headers=False,
        date_header=False,
        backlog=4096,
        **extra,
    )


def serve(config: KmeConfig, config_path: str | Path | None = None) -> None:
    """Run the KME in the foreground until SIGINT or SIGTERM (graceful shutdown).

    Args:
        config: The KME configuration.
        config_path: Its file; needed for ``workers > 1`` (each worker re-reads it).

    Raises:
        ConfigError: a TLS file or the KEK is missing, or workers > 1 without a config file.

    >>> from pathlib import Path
    >>> from kvant.kms import KmeConfig, TlsConfig
    >>> tls = TlsConfig(Path("a.pem"), Path("a.key"), Path("ca.pem"))
    >>> serve(KmeConfig("kme-a", tls, "a.db", kek_env="KVANT_DOCTEST_NO_KEK"))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kvant.errors.ConfigError: no key-encryption key: set $KVANT_DOCTEST_NO_KEK to 64 hex ...
    """
    import uvicorn

    config.load_kek()  # fail early, in the parent, when the KEK is missing
    if config.workers > 1:
        if config_path is None:
            raise ConfigError("workers > 1 needs the config file path (each worker reads it)")
        os.environ[CONFIG_ENV] = str(Path(config_path).resolve())
        ucfg = _uvicorn_config(
            config, "kvant.kms._server:app_from_env", factory=True, workers=config.workers
        )
        sock = ucfg.bind_socket()
        from uvicorn.supervisors import Multiprocess

        Multiprocess(ucfg, sockets=[sock]).run()
        return
    from kvant.kms._app import kme_asgi_app

    uvicorn.Server(_uvicorn_config(config, kme_asgi_app(config))).run()


class KmeProcess:
    """A KME server running as a child process (``python -m kvant.kms CONFIG``).

    Args:
        config_path: The KME's ``kme.toml``.
        env: Extra environment (e.g. the KEK variable).
        log_path: File for the child's stdout/stderr (default: discarded).

    Use as a context manager; :meth:`kill` sends SIGKILL (crash tests), :meth:`stop` SIGTERM.

    Raises:
        ConfigError: the config file is missing or invalid.

    >>> KmeProcess("no-such-kme.toml")
    Traceback (most recent call last):
    ...
    kvant.errors.ConfigError: cannot read KME config no-such-kme.toml: No such file or directory
    """

    def __init__(
        self,
        config_path: str | Path,
        env: dict[str, str] | None = None,
        log_path: str | Path | None = None,
    ) -> None:
        self.config_path = Path(config_path)
        self.config = load_config(self.config_path)
        self.env = {**os.environ, **(env or {})}
        self.log_path = Path(log_path) if log_path else None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"https://{self.config.host}:{self.config.port}"

    def start(self, timeout_s: float = 20.0) -> KmeProcess:
        """Start the server and wait until it completes a TLS handshake.

        Raises:
            KmsError: the process exited or did not get ready within ``timeout_s``.
        """
        self.launch()
        self.wait_ready(timeout_s)
        return self

    def launch(self) -> KmeProcess:
        """Start the server process without waiting (then call :meth:`wait_ready`)."""
        out: Any = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kvant.kms", str(self.config_path)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        finally:
            if self.log_path:
                out.close()
        return self

    def wait_ready(self, timeout_s: float = 20.0) -> None:
        """Block until the server answers a TLS handshake (raises :class:`KmsError` if not)."""
        cfg = self.config
        ctx = client_ssl_context(cfg.tls.ca_path, cfg.tls.cert_path, cfg.tls.key_path)
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise KmsError(
                    f"KME {cfg.kme_id} exited with code {self.proc.returncode} at start; "
                    f"see {self.log_path or 'its log (pass log_path)'}"
                )
            try:
                with (
                    socket.create_connection((cfg.host, cfg.port), timeout=1.0) as raw,
                    ctx.wrap_socket(raw, server_hostname=cfg.host),
                ):
                    return
            except (OSError, ssl.SSLError):
                if time.monotonic() > deadline:
                    raise KmsError(
                        f"KME {cfg.kme_id} did not accept TLS on {cfg.host}:{cfg.port} within "
                        f"{timeout_s:g} s"
                    ) from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the server (no cleanup: a crash) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM the server, wait for the graceful shutdown; SIGKILL after ``timeout_s``.

        Returns:
            The exit code (None if it was never started).
        """
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> KmeProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    """``python -m kvant.kms KME.toml``: run one KME; returns the exit status."""
    if len(argv) != 1:
        print("usage: python -m kvant.kms KME.toml", file=sys.stderr)
        return 2
    try:
        serve(load_config(argv[0]), argv[0])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
