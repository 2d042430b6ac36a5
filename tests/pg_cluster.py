"""A throw-away PostgreSQL/PostGIS cluster for the tests, on a Unix socket in a temporary folder.

Uses Debian's server binaries (``postgresql-15``, ``postgresql-15-postgis-3``; ``.ci/run`` installs
them). No TCP port is opened. As root the cluster runs as the ``postgres`` system user (initdb
refuses root). Tests skip with the reason when the binaries or PostGIS are missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _bindir() -> Path | None:
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    return next((Path(d) for d in dirs if (Path(d) / "initdb").exists()), None)


def missing_reason() -> str | None:
    """Why a cluster cannot start here, or None."""
    bindir = _bindir()
    if bindir is None:
        return "PostgreSQL-Server nicht installiert (apt-get install postgresql)"
    version = bindir.parent.name
    if not glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
        return f"PostGIS für PostgreSQL {version} nicht installiert (apt-get install postgresql-{version}-postgis-3)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg nicht installiert (pip install 'nachverdichtung[postgis]')"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "Systembenutzer 'postgres' fehlt"
    return None


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def cluster():
    """Start a cluster; yield ``(socket_dir, superuser)``; stop and remove it afterwards."""
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="nv-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        os.chmod(root, 0o755)
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    run = dict(check=True, capture_output=True, text=True, timeout=120)
    subprocess.run(_as_owner([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8",
                              "--no-sync"]), **run)
    opts = f"-k {sock} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"),
                              "-w", "start"]), **run)
    try:
        yield sock, user
    finally:
        subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def create_database(sock: Path, user: str, name: str, *, postgis: bool = True) -> str:
    """Create database ``name`` (with PostGIS) and return its URI."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"host={sock} user={user} dbname=postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    if postgis:
        with psycopg.connect(f"host={sock} user={user} dbname={name}", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
    return f"postgresql://{user}@/{name}?host={sock}"
