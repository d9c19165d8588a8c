"""The HTTP service under load: requests per second, latency and CPU use at 1, 8 and 32 clients.

    python bench/serve.py                 # starts `eur1pdf serve` on a free loopback port
    python bench/serve.py --url http://127.0.0.1:8080 --api-key-env KEY   # a server already running

This script is the second process: it sends certificates (EUR.1, 20 items,
final with QR code, sheet 1; every request a different certificate) over
loopback, each level for a bounded number of requests and a bounded time,
and prints requests per second, p50 and p95 latency, and the CPU each side
used, in cores: the server's main process (HTTP, the event loop) and its
rendering workers, and this load generator. Every answer is checked
(status 200, a PDF).

The load generator is a small HTTP/1.1 client on raw asyncio streams, one
keep-alive connection per client, requests prepared beforehand: it needs a
tenth of a millisecond of CPU per request, where httpx needed 3-6 ms (more
with more connections) and, on a 2-core machine, took the CPU the server
needed; its own CPU use is printed, and a level where it used most of a core
is marked, so a saturated client is not mistaken for a slow server.

Levels 8 and 32 run in turn over ``--rounds`` rounds; the targets (issue 24:
32 clients >= 90 % of the throughput of 8, p95 at 32 <= 4x p95 at 8) are
judged on the median of the rounds' ratios, since the machine's speed moves
between rounds but two levels run a minute apart see about the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.data import certificate  # noqa: E402

VERIFY_URL = "https://verify.example.org/eur1/{serial}?d={digest}"
PATH = "/v1/certificates?mode=final&sheets=1"
SATURATED = 0.8  # cores: a generator using more is (close to) the limit itself
TICK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workers: int, extra: list[str] | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-m", "eur1pdf.cli", "serve", "--port", str(port), "--workers", str(workers)]
    command += ["--verify-url", VERIFY_URL, "--log-level", "warning", *(extra or [])]
    process = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _ = asyncio.run(_one_get(url, "/healthz"))
            if status == 200:
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


# ----------------------------------------------------------------------------- CPU use


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                found += [int(child) for child in fh.read().split()]
    except OSError:
        pass
    return found


def server_cpu(pid: int | None) -> tuple[float, float]:
    """(main process, its child processes: the rendering workers) CPU seconds so far; 0 when unknown."""
    if pid is None:
        return 0.0, 0.0
    workers = 0.0
    for child in _children(pid):
        with contextlib.suppress(OSError):  # a worker that just ended
            workers += _process_cpu(child)
    return _process_cpu(pid), workers


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ----------------------------------------------------------------------------- the load generator


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response: (status, body); Content-Length or chunked."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    body = b""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            body += await reader.readexactly(size + 2)
            body = body[:-2]
            if size == 0:
                return status, body
    return status, await reader.read()


async def _one_get(url: str, path: str) -> tuple[int, bytes]:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
        await writer.drain()
        return await _read_response(reader)
    finally:
        writer.close()


def requests_for(url: str, headers: dict[str, str], first: int, count: int) -> list[bytes]:
    """``count`` whole HTTP requests, certificates ``first`` ..: made before the clock starts."""
    netloc = urlsplit(url).netloc
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    prepared = []
    for n in range(first, first + count):
        body = json.dumps(certificate(n, 20), ensure_ascii=False).encode()
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n"
        )
        prepared.append(head.encode() + body)
    return prepared


@dataclass
class Level:
    clients: int
    requests: int
    per_second: float
    p50_ms: float
    p95_ms: float
    server_main: float  # cores
    server_workers: float  # cores
    generator: float  # cores

    def line(self) -> str:
        busy = "  <- the load generator is near its limit" if self.generator > SATURATED else ""
        return (
            f"  {self.clients:>2} clients: {self.per_second:7.1f} requests/s   p50 {self.p50_ms:7.1f} ms   "
            f"p95 {self.p95_ms:7.1f} ms   CPU cores: server {self.server_main:.2f} + workers "
            f"{self.server_workers:.2f}, load generator {self.generator:.2f}   ({self.requests} requests)"
            + busy
        )


async def _level(url: str, prepared: list[bytes], clients: int, seconds: float) -> tuple[list[float], float]:
    parts = urlsplit(url)
    latencies: list[float] = []
    next_index = 0
    stop_at = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        try:
            while next_index < len(prepared) and time.perf_counter() < stop_at:
                request = prepared[next_index]
                next_index += 1
                start = time.perf_counter()
                writer.write(request)
                status, body = await _read_response(reader)
                latencies.append(time.perf_counter() - start)
                if status != 200 or not body.startswith(b"%PDF-"):
                    raise SystemExit(f"bad answer {status}: {body[:300]!r}")
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies, time.perf_counter() - began


def level(
    url: str, headers: dict, clients: int, requests: int, seconds: float, first: int, pid: int | None
) -> Level:
    """``clients`` concurrent clients, each sending one request after the other."""
    prepared = requests_for(url, headers, first, requests)
    main0, workers0 = server_cpu(pid)
    mine0 = own_cpu()
    latencies, elapsed = asyncio.run(_level(url, prepared, clients, seconds))
    main1, workers1 = server_cpu(pid)
    ordered = sorted(latencies)
    return Level(
        clients,
        len(latencies),
        len(latencies) / elapsed,
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000,
        (main1 - main0) / elapsed,
        (workers1 - workers0) / elapsed,
        (own_cpu() - mine0) / elapsed,
    )


# ----------------------------------------------------------------------------- the run


def judge(pairs: list[tuple[Level, Level]]) -> list[str]:
    """The issue's two targets, on the median over rounds of (level 32) / (level 8)."""
    throughput = statistics.median(b.per_second / a.per_second for a, b in pairs)
    p95 = statistics.median(b.p95_ms / a.p95_ms for a, b in pairs)
    mark = {True: "met", False: "NOT met"}
    return [
        f"  throughput 32 / 8 clients: {throughput:.2f}   (target >= 0.90: {mark[throughput >= 0.9]})",
        f"  p95 latency 32 / 8 clients: {p95:.2f}   (target <= 4.0: {mark[p95 <= 4.0]})",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--api-key-env", metavar="NAME", help="the variable holding the server's API key")
    parser.add_argument("--workers", type=int, default=2, help="rendering processes of the started server")
    parser.add_argument("--requests", type=int, default=1000, help="requests per level, at most")
    parser.add_argument("--seconds", type=float, default=15.0, help="time per level, at most")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of 8 and 32 clients, in turn")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    headers = {"X-API-Key": os.environ[args.api_key_env]} if args.api_key_env else {}
    process = None
    url = args.url
    if url is None:
        process, url = start_server(args.workers)
    pid = process.pid if process else None
    try:
        level(url, headers, 4, 40, 10, 10_000_000, pid)  # warm-up, not counted
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; server: {url}"
            + (f", {args.workers} worker processes" if process else " (CPU of a server not started here: 0)")
        )
        print("POST /v1/certificates (EUR.1, 20 items, final, QR code, sheet 1), over loopback:")
        first = 0
        one = level(url, headers, 1, min(args.requests, 200), args.seconds, first, pid)
        print(one.line())
        pairs = []
        for _ in range(args.rounds):
            measured = []
            for clients in (8, 32):
                first += args.requests  # every request of the run a certificate of its own
                measured.append(level(url, headers, clients, args.requests, args.seconds, first, pid))
                print(measured[-1].line())
            pairs.append((measured[0], measured[1]))
        print(f"targets (issue 24), median of {args.rounds} rounds:")
        print("\n".join(judge(pairs)))
        if args.json:
            rows = [one.__dict__] + [level.__dict__ for pair in pairs for level in pair]
            Path(args.json).write_text(json.dumps(rows, indent=2))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
