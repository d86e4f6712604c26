"""A throwaway PostgreSQL server for the tests and benchmarks.

``start()`` runs ``initdb`` and ``pg_ctl`` from Debian's ``postgresql-NN``
package (off PATH) on a temporary data folder, listening on 127.0.0.1 only, on
a free port, with password (SCRAM) authentication for TCP. As root it runs them
as the ``postgres`` user (the server refuses root). ``Server.stop()`` stops it
and removes the folder.

Set ``NETLEDGER_TEST_DATABASE_URL`` (a superuser URL) to use a server of your own
instead; ``make test`` then starts none.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ENV_URL = "NETLEDGER_TEST_DATABASE_URL"


def bin_dir() -> Path:
    """The newest installed PostgreSQL server's bin folder."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError(
            "PostgreSQL server binaries not found: run 'make system-packages' (apt-get install postgresql)"
        )
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running server: its superuser URL, and how to make databases on it."""

    admin_url: str
    folder: Path | None = None
    _run_as: list[str] = field(default_factory=list)

    def url(self, dbname: str, user: str | None = None, password: str | None = None) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        if user is not None:
            host = base.split("@", 1)[1]
            base = f"postgresql://{user}" + (f":{password}" if password else "") + f"@{host}"
        return f"{base}/{dbname}"

    def execute(self, *statements: str, dbname: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its superuser URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.folder is None:
            return
        subprocess.run(
            [*self._run_as, str(bin_dir() / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None


def start(*, durable: bool = False) -> Server:
    """Start a throwaway server (or use ``NETLEDGER_TEST_DATABASE_URL``).

    Tests run it with ``fsync=off``; benchmarks ask for a *durable* one.
    """
    if os.environ.get(ENV_URL):
        return Server(os.environ[ENV_URL])
    binaries = bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="netledger-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    password = secrets.token_urlsafe(16)
    pwfile = folder / "pw"
    pwfile.write_text(password)
    if run_as:
        shutil.chown(pwfile, "postgres", "postgres")
    port = free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*run_as, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")

    run(
        str(binaries / "initdb"),
        "-D",
        str(folder / "data"),
        "-U",
        "postgres",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        f"--pwfile={pwfile}",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    )
    pwfile.unlink()
    options = f"-h 127.0.0.1 -p {port} -k {folder} -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    run(str(binaries / "pg_ctl"), "-D", str(folder / "data"), "-o", options, "-l", str(folder / "log"), "-w", "start")
    return Server(f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres", folder, run_as)
