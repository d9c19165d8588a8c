"""The certificate registry: verification lookups and finalizations per second, SQLite and PostgreSQL.

    python bench/registry.py              # SQLite in a temporary folder, and PostgreSQL if one answers
    python bench/registry.py --postgres postgresql://postgres@127.0.0.1:5432/test

For each database: ``--finals`` certificates (EUR.1, 20 items, each its own
serial) are created and finalized one after another — once with the real
render (what a finalization costs end to end) and once with the PDF made
beforehand (the transaction alone: conditional update, serial, audit row,
the PDF's bytes). Then ``by_serial`` lookups (what ``/verify/{serial}``
asks) of random issued serials, from 1 and from 8 threads, each thread with
its own connection. PostgreSQL tables go to a schema of their own, dropped
afterwards.
"""

from __future__ import annotations

import argparse
import platform
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.data import certificate  # noqa: E402
from eur1pdf import FillOptions, render  # noqa: E402
from eur1pdf.service.registry import Registry, verify_url_template  # noqa: E402

PUBLIC = verify_url_template("https://registry.example")
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def postgres_schema(url: str) -> Iterator[str | None]:
    """A URL for a fresh schema on ``url`` (None when no server answers), dropped afterwards."""
    admin = sa.create_engine(url, poolclass=sa.NullPool)
    schema = f"eur1pdf_bench_{secrets.token_hex(4)}"
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError:
        yield None
        return
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def finalizations_per_second(registry: Registry, first: int, count: int) -> float:
    ids = [registry.create(certificate(first + n), "bench").id for n in range(count)]
    start = time.perf_counter()
    for certificate_id in ids:
        registry.finalize(certificate_id, "bench", PUBLIC)
    return count / (time.perf_counter() - start)


def prerendered(count: int, first: int) -> Callable[[Mapping[str, Any], FillOptions], bytes]:
    """A renderer handing out PDFs made beforehand: the finalization's database work alone."""
    made = {
        certificate(first + n)["serial"]: render(
            certificate(first + n), FillOptions(final=True, verify_url=PUBLIC)
        )
        for n in range(count)
    }
    return lambda data, options: made[data["serial"]]


def lookups_per_second(url: str, serials: list[str], threads: int, seconds: float) -> float:
    """``by_serial`` of random issued serials for ``seconds``, from ``threads`` threads."""
    stop = time.perf_counter() + seconds

    def look_up(seed: int) -> int:
        chooser, done = random.Random(seed), 0
        with Registry(url, migrate=False) as own:
            while time.perf_counter() < stop:
                assert own.by_serial(chooser.choice(serials)) is not None
                done += 1
        return done

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(look_up, range(threads)))
    return total / (time.perf_counter() - start)


def bench(name: str, url: str, finals: int, seconds: float) -> None:
    with Registry(url) as registry:
        rendered = finalizations_per_second(registry, 0, finals)
    with Registry(url, renderer=prerendered(finals, finals)) as registry:
        stored = finalizations_per_second(registry, finals, finals)
        serials = [r.serial or "" for r in registry.records(status="final", limit=2 * finals)]
    one = lookups_per_second(url, serials, 1, seconds)
    eight = lookups_per_second(url, serials, 8, seconds)
    print(
        f"| {name} | {rendered:,.0f} | {stored:,.0f} | {one:,.0f} | {eight:,.0f} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", default=POSTGRES, help=f"PostgreSQL server (default {POSTGRES})")
    parser.add_argument(
        "--finals", type=int, default=100, help="certificates finalized per run (default 100)"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per lookup run (default 3)")
    args = parser.parse_args()
    print(f"# registry: {args.finals} finalizations (EUR.1, 20 items), lookups for {args.seconds:g} s")
    print(f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    print(
        "| database | finalizations/s (render + store) | finalizations/s (store only) "
        "| lookups/s (1 thread) | lookups/s (8 threads) |"
    )
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        bench("SQLite (file, WAL)", f"sqlite:///{folder}/registry.db", args.finals, args.seconds)
    with postgres_schema(args.postgres) as url:
        if url is None:
            print(f"# PostgreSQL: no server answers at {args.postgres}; skipped")
        else:
            bench("PostgreSQL 127.0.0.1", url, args.finals, args.seconds)


if __name__ == "__main__":
    main()
