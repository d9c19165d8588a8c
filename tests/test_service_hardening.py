"""The HTTP service against slow, idle, keyless and duplicate-key clients, crashed workers and a
broken configuration (issue 21): each attack gets a clear refusal or the right result, within a
time and a memory bound. The real ``eur1pdf serve`` in a subprocess, talked to over real sockets."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import psutil
import pytest

from .conftest import EXAMPLE
from .registry_server import free_port

KEY = "hardening-key-5d1c9a"
AUTH = {"X-API-Key": KEY}
JSON = {**AUTH, "Content-Type": "application/json"}
HEADER_S, BODY_S, KEEP_ALIVE_S = 2.0, 2.0, 1.0
SLACK_S = 1.5  # the loop's timer and a loaded test machine: a refusal comes within its limit plus this
ADDRESS_SPACE = 2 << 30  # the server and its workers each: an attack that grows them fails the test


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@contextmanager
def serve(folder: Path, *args: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """``eur1pdf serve ARGS`` (with the test key, short timeouts) on a free port, in 2 GB of address
    space: (port, process)."""
    port = free_port()
    command = [sys.executable, "-m", "eur1pdf.cli", "serve", "--port", str(port), "--api-key-env", "HARD_KEY"]
    command += ["--header-timeout", str(HEADER_S), "--body-timeout", str(BODY_S)]
    command += ["--keep-alive", str(KEEP_ALIVE_S), "--log-level", "warning", "--workers", "2", *args]
    log = (folder / f"serve-{port}.log").open("w")
    env = dict(os.environ, HARD_KEY=KEY)
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder, preexec_fn=_bounded
    )
    try:
        deadline = time.monotonic() + 60
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {Path(log.name).read_text()}")
            time.sleep(0.2)
        yield port, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
        log.close()


def _healthy(port: int, timeout: float = 1.0) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=timeout).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[int, subprocess.Popen]]:
    with serve(tmp_path_factory.mktemp("hardening"), "--max-connections", "450") as running:
        yield running


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def until_closed(sock: socket.socket, within_s: float, drip: bytes = b"") -> tuple[float, bytes]:
    """Read until the server closes the connection (sending ``drip`` a byte every half second, the
    slow client's way): (seconds it took, what was answered). Fails past ``within_s``."""
    start = time.monotonic()
    answer = b""
    sock.settimeout(0.5)
    while time.monotonic() - start < within_s:
        try:
            if drip:
                sock.sendall(drip[:1])
                drip = drip[1:] or drip
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start, answer
        if not chunk:
            return time.monotonic() - start, answer
        answer += chunk
    raise AssertionError(f"still open after {within_s} s; answered {answer[:200]!r}")


def head(path: str, length: int, key: str | None = KEY) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: x", "Content-Type: application/json"]
    lines += [f"Content-Length: {length}"]
    lines += [f"X-API-Key: {key}"] if key else []
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --------------------------------------------------------------------------- the request


@pytest.mark.slow
def test_a_key_given_twice_is_refused_naming_it(server):
    port, _ = server
    example = EXAMPLE.read_text(encoding="utf-8")
    twice = example.replace("{", '{"serial": "A-1", ', 1)  # the example has its own serial further on
    assert json.loads(twice)["serial"] != "A-1"  # what json.loads alone would keep: the last, silently
    large = twice + " " * 200_000  # checked in a thread beside the event loop
    for path, body in (("/v1/validate", twice), ("/v1/certificates", twice), ("/v1/preview", large)):
        response = httpx.post(f"http://127.0.0.1:{port}{path}", content=body, headers=JSON, timeout=30)
        assert response.status_code == 422, response.text
        body = response.json()
        assert "'serial' is given twice" in body["message"]
        assert body["findings"][0]["field"] == "serial" and body["findings"][0]["code"]
    nested = '{"exporter": {"name": "A", "name": "B"}}'
    response = httpx.post(f"http://127.0.0.1:{port}/v1/validate", content=nested, headers=JSON)
    assert response.status_code == 422 and "'name' is given twice" in response.json()["message"]
    once = httpx.post(f"http://127.0.0.1:{port}/v1/validate", content=example, headers=JSON, timeout=30)
    assert once.status_code == 200 and once.json()["valid"]


@pytest.mark.slow
def test_no_key_is_refused_before_the_body_is_read(server):
    """Headers announcing a megabyte, a few bytes sent: 401 at once, and the connection closed."""
    port, _ = server
    for key in (None, "wrong-key"):
        with connect(port) as sock:
            start = time.monotonic()
            sock.sendall(head("/v1/certificates", 1_000_000, key) + b'{"a')
            took, answer = until_closed(sock, within_s=3)
            assert answer.startswith(b"HTTP/1.1 401") and b'"message"' in answer, answer
            assert time.monotonic() - start < 2.5, took  # the body would take 20 s (the body timeout)


# --------------------------------------------------------------------------- slow and idle clients


@pytest.mark.slow
def test_a_head_sent_a_line_a_second_is_closed(server):
    port, _ = server
    with connect(port) as sock:
        sock.sendall(b"POST /v1/validate HTTP/1.1\r\n")
        took, answer = until_closed(sock, HEADER_S + SLACK_S, drip=b"X-Slow: 1\r\n")
    assert answer.startswith(b"HTTP/1.1 408") and HEADER_S - 0.3 <= took <= HEADER_S + SLACK_S, took


@pytest.mark.slow
def test_a_body_sent_a_byte_a_second_is_refused(server):
    port, _ = server
    with connect(port) as sock:
        sock.sendall(head("/v1/validate", 100))
        took, answer = until_closed(sock, BODY_S + SLACK_S, drip=b" ")
    assert answer.startswith(b"HTTP/1.1 408") and b"did not arrive whole within 2 s" in answer, answer
    assert took <= BODY_S + SLACK_S


@pytest.mark.slow
def test_idle_connections_are_closed(server):
    port, _ = server
    with connect(port) as sock:  # opened, never a byte
        took, answer = until_closed(sock, HEADER_S + SLACK_S)
    assert answer == b"" and took >= HEADER_S - 0.3, took
    with connect(port) as sock:  # kept alive after an answer, then silent
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        took, answer = until_closed(sock, KEEP_ALIVE_S + SLACK_S)
    assert answer.startswith(b"HTTP/1.1 200"), answer
    with connect(port) as sock:  # kept alive, then the next head a byte at a time
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        took, answer = until_closed(sock, HEADER_S + SLACK_S, drip=b"GET /healthz HTTP/1.1\r\n")
    assert answer.startswith(b"HTTP/1.1 200") and answer.count(b"HTTP/1.1") == 2, answer  # then a 408


@pytest.mark.slow
def test_hundreds_of_idle_connections_leave_the_server_answering(server):
    """350 silent connections: /healthz still answers, in well under a second, the server's memory
    and open files stay bounded, and every one of them is closed after the head's timeout."""
    port, process = server
    server_process = psutil.Process(process.pid)
    files_before, memory_before = server_process.num_fds(), server_process.memory_info().rss
    with ExitStack() as stack:
        socks = [stack.enter_context(connect(port)) for _ in range(350)]
        start = time.monotonic()
        assert _healthy(port, timeout=1.0) and time.monotonic() - start < 1.0
        files, memory = server_process.num_fds(), server_process.memory_info().rss
        assert files - files_before >= 340  # they are really held by the server
        assert memory - memory_before < 30_000_000, (memory - memory_before) / 1e6
        deadline = time.monotonic() + HEADER_S + 2 * SLACK_S
        for sock in socks:
            _, answer = until_closed(sock, max(deadline - time.monotonic(), 0.5))
            assert answer == b""
    time.sleep(0.5)
    assert server_process.num_fds() <= files_before + 5


@pytest.mark.slow
def test_connections_beyond_the_limit_are_closed_at_once(tmp_path):
    with serve(tmp_path, "--max-connections", "40") as (port, process):
        with ExitStack() as stack:
            socks = [stack.enter_context(connect(port)) for _ in range(40)]
            time.sleep(0.3)
            with connect(port) as extra:
                took, answer = until_closed(extra, within_s=1.0)
            assert answer.startswith(b"HTTP/1.1 503") and took < 1.0
            assert psutil.Process(process.pid).num_fds() < 40 + 60
            for sock in socks:  # the held ones time out as any other
                until_closed(sock, HEADER_S + 2 * SLACK_S)
        assert _healthy(port)


# --------------------------------------------------------------------------- workers


def _workers(server_pid: int) -> list[psutil.Process]:
    return psutil.Process(server_pid).children()


def _fill(port: int) -> int:
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    url = f"http://127.0.0.1:{port}/v1/certificates"
    return httpx.post(url, params={"sheets": "1"}, json=example, headers=AUTH, timeout=60).status_code


@pytest.mark.slow
def test_a_killed_worker_leaves_no_other_behind(tmp_path):
    with serve(tmp_path) as (port, process):
        assert _fill(port) == 200
        first = _workers(process.pid)
        assert len(first) == 2
        os.kill(first[0].pid, signal.SIGKILL)  # the out-of-memory killer, say
        statuses = [_fill(port) for _ in range(3)]
        assert statuses[-1] == 200 and set(statuses) <= {200, 503}, statuses
        deadline = time.monotonic() + 10
        while {p.pid for p in first} & {p.pid for p in _workers(process.pid)} or not all(
            p.status() != psutil.STATUS_ZOMBIE for p in _workers(process.pid)
        ):
            assert time.monotonic() < deadline, "the old pool's other worker is still there"
            time.sleep(0.2)
        assert len(_workers(process.pid)) == 2
        assert not psutil.pid_exists(first[1].pid) or first[1].status() == psutil.STATUS_ZOMBIE


@pytest.mark.slow
def test_workers_die_with_a_killed_server(tmp_path):
    with serve(tmp_path) as (port, process):
        assert _fill(port) == 200
        workers = _workers(process.pid)
        assert len(workers) == 2
        process.kill()
        process.wait(timeout=10)
        _, alive = psutil.wait_procs(workers, timeout=5)
        assert not alive, [p.pid for p in alive]


@pytest.mark.slow
def test_workers_obey_the_signal_a_pool_sends(tmp_path):
    """A broken pool ``terminate()``s its other workers: forked from uvicorn, they inherited its
    handler for SIGTERM (which only asks the server to stop) and lived on."""
    with serve(tmp_path) as (port, process):
        assert _fill(port) == 200
        worker = _workers(process.pid)[0]
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=5)


# --------------------------------------------------------------------------- the server's configuration

VERIFY_URL = "https://verify.example.org/eur1/{serial}?d={digest}"


def _refused_at_start(tmp_path: Path, *args: str, **env: str) -> str:
    """``eur1pdf serve ARGS`` must exit 2 before listening: its error message."""
    run = subprocess.run(
        [sys.executable, "-m", "eur1pdf.cli", "serve", "--port", str(free_port()), *args],
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 2, (run.returncode, run.stderr[-2000:])
    assert "Traceback" not in run.stderr
    return run.stderr


@pytest.mark.slow
def test_a_configuration_that_cannot_work_is_refused_at_start(tmp_path, signing_key):
    from .conftest import PASSPHRASE

    _, p12 = signing_key
    final = ["--verify-url", VERIFY_URL]
    missing = _refused_at_start(tmp_path, *final, "--sign", str(tmp_path / "nope.p12"))
    assert "--sign: cannot open the signing key nope.p12: No such file" in missing
    wrong = _refused_at_start(
        tmp_path, *final, "--sign", str(p12), "--sign-password-env", "PW", PW="not the passphrase"
    )
    assert "--sign: cannot open the signing key key.p12: wrong password" in wrong
    none = _refused_at_start(tmp_path, *final, "--sign", str(p12))  # an encrypted key, no passphrase
    assert "--sign:" in none
    link = _refused_at_start(tmp_path, "--verify-url", "https://v.example/{id}")
    assert "--verify-url" in link and "'id' is not a placeholder" in link
    printer = _refused_at_start(tmp_path, "--printer", str(tmp_path / "absent.toml"))
    assert "absent.toml: printer profile not found" in printer
    lock = _refused_at_start(tmp_path, "--lock-password-env", "EMPTY_PW", EMPTY_PW="")
    assert "EMPTY_PW is empty" in lock
    files = _refused_at_start(tmp_path, "--max-connections", "100000000")
    assert "--max-connections 100000000: needs" in files
    assert PASSPHRASE  # the right one starts: shown by the test below


@pytest.mark.slow
def test_a_server_fault_is_a_5xx_never_the_clients(tmp_path, signing_key):
    """The key was good at start and broke since (replaced, unreadable): 500, and the reason is the
    server's (its log), not the client's (it is not a 4xx, and the key's name is not answered)."""
    from fastapi.testclient import TestClient

    from eur1pdf.options import FillOptions, SigningKey
    from eur1pdf.service.app import ServerConfig, create_app
    from eur1pdf.service.registry_routes import _status_of
    from eur1pdf.service.workers import ServerFault

    from .conftest import PASSPHRASE

    _, p12 = signing_key
    key = tmp_path / "key.p12"
    key.write_bytes(p12.read_bytes())
    base = FillOptions(final=True, verify_url=VERIFY_URL, signing=SigningKey(key, PASSPHRASE))
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    with TestClient(create_app(ServerConfig(workers=1, base=base))) as client:
        signed = client.post("/v1/certificates", params={"mode": "final", "sheets": "1"}, json=example)
        assert signed.status_code == 200, signed.text
        key.write_bytes(b"not a key any more")
        broken = client.post("/v1/certificates", params={"mode": "final", "sheets": "1"}, json=example)
        assert broken.status_code == 500, broken.text
        assert "configuration" in broken.json()["message"] and "key.p12" not in broken.text
        draft = client.post("/v1/certificates", params={"mode": "draft", "sheets": "1"}, json=example)
        assert draft.status_code == 200  # what does not need the key still works
    assert _status_of(ServerFault("x")) == 500  # the registry's finalize answers the same


WATCHED = """
import multiprocessing, sys, time
from eur1pdf import lifeline

def worker(server_pid):
    lifeline.bind_to_owner(server_pid, True, False)  # no parent-death signal: the watchdog alone
    time.sleep(600)

if __name__ == "__main__":
    server_pid = multiprocessing.current_process().pid
    child = multiprocessing.get_context("fork").Process(target=worker, args=(server_pid,))
    child.start()
    print(child.pid, flush=True)
    time.sleep(600)
"""


@pytest.mark.slow
def test_the_watchdog_ends_a_worker_whose_server_died(tmp_path):
    script = tmp_path / "watched.py"
    script.write_text(WATCHED)
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker = psutil.Process(int(server.stdout.readline()))  # type: ignore[union-attr]
        time.sleep(0.5)
        assert worker.is_running()
    finally:
        server.kill()
        server.wait(timeout=10)
    _, alive = psutil.wait_procs([worker], timeout=5)
    assert not alive, "the worker outlived its server"
