"""A real, throw-away PostgreSQL server for the key-store tests.

The session fixture :func:`postgres_server` finds ``initdb``/``pg_ctl`` (on ``PATH``, under
``/usr/lib/postgresql/*/bin``, or bundled in the ``pgserver`` pip package), runs ``initdb`` into
a temporary directory, starts the server on a free loopback port (and a Unix socket in the same
directory) and stops it at the end of the session. One server per pytest-xdist worker. As root
(initdb refuses to run as root) the binaries run as an unprivileged system user (``postgres``,
``pgserver`` or ``nobody``) through ``runuser``. When no binaries can be found the PostgreSQL
tests are skipped with a reason that says how to install them.

:func:`postgres_url` gives each test a fresh, empty schema (``search_path`` in the URL).
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = (
    "install PostgreSQL (e.g. `apt-get install postgresql`) or the pgserver package "
    "(`pip install pgserver`, part of kvant's dev extra) to run the PostgreSQL store tests"
)


def find_postgres_bin() -> Path | None:
    """Directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    candidates: list[Path] = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    spec = importlib.util.find_spec("pgserver")  # locate without importing (it warns on import)
    if spec is not None and spec.origin is not None:
        candidates.append(Path(spec.origin).parent / "pginstall" / "bin")
    for cand in candidates:
        if all((cand / exe).is_file() for exe in ("initdb", "pg_ctl", "postgres")):
            return cand
    return None


def _run_as() -> str | None:
    """The user to run the server as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "pgserver", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    """A running server: connect as ``user`` on ``127.0.0.1:port``."""

    port: int
    user: str
    bin_dir: Path
    data_dir: Path

    def url(self, database: str = "postgres") -> str:
        """Connection URL of ``database``."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create a fresh, empty database; its URL."""
        import psycopg

        name = "kvant_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def fresh_url(self) -> str:
        """URL of a fresh, empty schema in the shared test database (``search_path`` set in
        the URL): much cheaper than a database per test, which copies ~8 MB of files."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(TEST_DATABASE), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return self.url(TEST_DATABASE) + f"?options=-csearch_path%3D{name}"


TEST_DATABASE = "kvant_tests"


def _cmd(argv: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if user else argv


def start_server(fsync: bool = False) -> tuple[PostgresServer, Path]:
    """Start a server in a new temporary directory; ``(server, root)`` (caller stops it).

    Raises:
        RuntimeError: when initdb or pg_ctl fail (their output is in the message).
    """
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise FileNotFoundError(INSTALL_HINT)
    user = _run_as()
    if os.geteuid() == 0 and (user is None or shutil.which("runuser") is None):
        raise PermissionError("running as root without an unprivileged user and runuser")
    root = Path(tempfile.mkdtemp(prefix="kvant-pg-"))
    data = root / "data"
    if user:
        pw = pwd.getpwnam(user)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    init = subprocess.run(
        _cmd(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "kvant",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            user,
        ),
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=root,
    )
    if init.returncode:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stdout}\n{init.stderr}")
    port = _free_port()
    durable = "on" if fsync else "off"
    opts = f"-p {port} -h 127.0.0.1 -k {root} -c max_connections=200 -c fsync={durable}"
    start = subprocess.run(
        _cmd(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(root / "log"),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
            user,
        ),
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=root,
    )
    if start.returncode:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"pg_ctl start failed: {start.stdout}\n{start.stderr}\n{log}")
    server = PostgresServer(port, "kvant", bin_dir, data)
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{TEST_DATABASE}"')
    return server, root


def stop_server(server: PostgresServer, root: Path) -> None:
    """Stop the server and delete its directory."""
    subprocess.run(
        _cmd(
            [
                str(server.bin_dir / "pg_ctl"),
                "-D",
                str(server.data_dir),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            _run_as(),
        ),
        capture_output=True,
        check=False,
        cwd=root,
    )
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this test session (per xdist worker); skips when unavailable."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg 3 is not installed: `pip install 'psycopg[binary]'`")
    try:
        server, root = start_server()
    except (FileNotFoundError, PermissionError, RuntimeError) as exc:
        pytest.skip(f"no PostgreSQL server could be started ({exc}); {INSTALL_HINT}")
    try:
        yield server
    finally:
        stop_server(server, root)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """URL of a fresh, empty schema on the session's server."""
    return postgres_server.fresh_url()
