"""The HTTP service under load: requests per second and latency at 1, 8 and 32 clients.

    python bench/serve.py                 # starts `eur1pdf serve` on a free loopback port
    python bench/serve.py --url http://127.0.0.1:8080 --api-key-env KEY   # a server already running

This script is the second process: it sends certificates (EUR.1, 20 items,
final with QR code, sheet 1) over loopback with httpx, each level for a
bounded number of requests and a bounded time, and prints requests per
second, p50 and p95 latency. Every answer is checked (status 200, a PDF).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.data import certificate  # noqa: E402

VERIFY_URL = "https://verify.example.org/eur1/{serial}?d={digest}"
LEVELS = (1, 8, 32)
PARAMS = {"mode": "final", "sheets": "1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-m", "eur1pdf.cli", "serve", "--port", str(port), "--workers", str(workers)]
    command += ["--verify-url", VERIFY_URL, "--log-level", "warning"]
    process = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


async def level(url: str, headers: dict, clients: int, requests: int, seconds: float) -> dict:
    """``clients`` concurrent clients, each sending one request after the other."""
    bodies = [certificate(n, 20) for n in range(requests)]
    latencies: list[float] = []
    next_index = 0
    stop_at = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as client:

        async def one_client() -> None:
            nonlocal next_index
            while next_index < requests and time.perf_counter() < stop_at:
                body = bodies[next_index]
                next_index += 1
                start = time.perf_counter()
                response = await client.post(
                    "/v1/certificates", params={"mode": "final", "sheets": "1"}, json=body
                )
                latencies.append(time.perf_counter() - start)
                if response.status_code != 200 or not response.content.startswith(b"%PDF-"):
                    raise SystemExit(f"bad answer {response.status_code}: {response.text[:300]}")

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--api-key-env", metavar="NAME", help="the variable holding the server's API key")
    parser.add_argument("--workers", type=int, default=2, help="rendering processes of the started server")
    parser.add_argument("--requests", type=int, default=400, help="requests per level, at most")
    parser.add_argument("--seconds", type=float, default=20.0, help="time per level, at most")
    args = parser.parse_args()
    headers = {"X-API-Key": os.environ[args.api_key_env]} if args.api_key_env else {}
    process = None
    url = args.url
    if url is None:
        process, url = start_server(args.workers)
    try:
        asyncio.run(level(url, headers, 4, 40, 10))  # warm-up, not counted
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; server: {url}"
            + (f", {args.workers} worker processes" if process else "")
        )
        print("POST /v1/certificates (EUR.1, 20 items, final, QR code, sheet 1), over loopback:")
        for clients in LEVELS:
            r = asyncio.run(level(url, headers, clients, args.requests, args.seconds))
            print(
                f"  {r['clients']:>2} clients: {r['per_second']:7.1f} requests/s   "
                f"p50 {r['p50_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms   ({r['requests']} requests)"
            )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
