"""A real ``eur1pdf serve`` (uvicorn) with a registry, in a subprocess on a free loopback port,
for the registry's HTTP and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

# name:scopes:KEY (EUR1PDF_API_KEYS): a clerk issues, an officer finalizes and cancels, an auditor reads.
# The officer acts on the clerk's certificates, so it holds "others" (a key changes only its own without it).
CLERK, OFFICER, AUDITOR = "clerk-key-0123456789", "officer-key-0123456789", "auditor-key-0123456789"
KEYS = f"clerk:issue,read:{CLERK};officer:finalize,cancel,read,others:{OFFICER};auditor:read:{AUDITOR}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(args: list[str], env: dict[str, str], folder: Path) -> Iterator[str]:
    """``eur1pdf serve ARGS`` on a free loopback port until the block ends; its base URL (the log in
    ``folder``, shown when it does not start)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "eur1pdf.cli", "serve", "--port", str(port), *args]
    command = [part.replace("{url}", url) for part in command]
    log = (folder / f"serve-{port}.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {Path(log.name).read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hang is the failure to report
            process.kill()
            raise
        finally:
            log.close()


@contextmanager
def running_server(db_url: str, folder: Path, *extra: str) -> Iterator[str]:
    """``eur1pdf serve --db db_url`` with the test keys, its public URL its own; its base URL."""
    env = dict(os.environ, EUR1PDF_API_KEYS=KEYS, PYTHONPATH=os.environ.get("PYTHONPATH", ""))
    args = ["--workers", "2", "--db", db_url, "--public-url", "{url}", "--log-level", "warning", *extra]
    with serving(args, env, folder) as url:
        yield url
