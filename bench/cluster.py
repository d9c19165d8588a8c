"""``render_many`` on a Dask LocalCluster of 2 worker processes against one process.

    python bench/cluster.py            # 3 rounds of 1,000 certificates (a few minutes)
    python bench/cluster.py --quick    # a smaller run to see that it works

The same certificates as bench/run.py (EUR.1, 20 items, final with QR code,
sheet 1); every round renders certificates no earlier round saw. Each round
renders them in turn:

- in this process, one after the other (the reference, "one process");
- with ``render_many(certs, options, client)`` on the cluster: what
  eur1pdf does with a Dask client (eur1pdf/bulk/dask_runner.py);
- with the cluster's ``client.get_executor()`` hidden behind a plain
  ``concurrent.futures.Executor``, so ``render_many`` treats it as any
  executor, as it did before: 8 records a task, Dask hashing each.

The target is judged on the median over rounds of the cluster's rate over
one process's in the same round (seconds apart, they see about the same
machine; its speed drifts between rounds). The best round of each is
printed too, with the CPU each used per certificate: this process's for
one process, the workers' for the cluster (from the workers themselves,
``client.run``). As in
bench/run.py, a control (a pure-Python loop in 1 and 2 processes) shows what
the machine's second core gave at about the same time. The target (issue
24): the cluster >= 1.6x one process.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.control import spin_rates  # noqa: E402
from bench.data import certificate  # noqa: E402
from eur1pdf import FillOptions, render, render_many  # noqa: E402
from eur1pdf.bulk.gc_tuning import tune_for_bulk  # noqa: E402

OPTIONS = FillOptions(
    final=True, verify_url="https://verify.example.org/eur1/{serial}?d={digest}", sheets=(1,)
)
TARGET = 1.6


class PlainExecutor(Executor):
    """Another executor's ``submit``, under a type ``render_many`` does not know: the generic path."""

    def __init__(self, inner: Executor):
        self.inner = inner

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.inner.submit(fn, *args, **kwargs)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def spin_ratio() -> float:
    """The machine's own 2 / 1 (bench/control.py, as bench/run.py reads it)."""
    rates = spin_rates()
    return rates[2] / rates[1]


def timed(run: Callable[[], Iterable[Any]], count: int, cpu: Callable[[], float]) -> tuple[float, float]:
    """(certificates per second, CPU ms per certificate) of ``run``; every result checked."""
    before = cpu()
    start = time.perf_counter()
    results = list(run())
    elapsed = time.perf_counter() - start
    if len(results) != count or not all(getattr(r, "ok", True) for r in results):
        raise SystemExit("a certificate failed")
    return count / elapsed, (cpu() - before) / count * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="certificates per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small counts: checks the benchmark runs")
    parser.add_argument("--no-plain", action="store_true", help="skip the generic executor path")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.rounds = 60, 1
    import distributed

    best: dict[str, tuple[float, float]] = {}
    rounds: list[dict[str, float]] = []  # each round's rates: ratios are taken within a round
    controls = []
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as lc,
        distributed.Client(lc) as client,
    ):

        def workers_cpu() -> float:
            return sum(client.run(cpu_seconds).values())

        warm = [certificate(10_000_000 + i) for i in range(20)]
        list(render_many(warm, OPTIONS, client))  # imports, layouts and fonts in each worker
        for data in warm:
            render(data, OPTIONS)
        tune_for_bulk()  # this process renders in bulk, as bench/run.py's one-core figure does
        contenders: dict[str, Callable[[list[dict]], tuple[float, float]]] = {
            "one process": lambda certs: timed(
                lambda: (render(c, OPTIONS) for c in certs), len(certs), cpu_seconds
            ),
            "Dask, render_many(certs, options, client)": lambda certs: timed(
                lambda: render_many(certs, OPTIONS, client), len(certs), workers_cpu
            ),
        }
        if not args.no_plain:
            contenders["Dask as a plain executor (before)"] = lambda certs: timed(
                lambda: render_many(certs, OPTIONS, PlainExecutor(client.get_executor())),
                len(certs),
                workers_cpu,
            )
        first = 0
        for _ in range(args.rounds):
            rounds.append({})
            for name, run in contenders.items():
                certs = [certificate(first + i) for i in range(args.n)]
                first += args.n  # no contender sees a certificate twice
                rate, cpu = run(certs)
                rounds[-1][name] = rate
                if name not in best or rate > best[name][0]:
                    best[name] = (rate, cpu)
            controls.append(spin_ratio())
    one = best["one process"][0]
    print(
        f"render_many, {args.n} certificates a round (EUR.1, 20 items, final, QR, sheet 1), "
        f"best of {args.rounds}:"
    )
    for name, (rate, cpu) in best.items():
        ratio = "" if name == "one process" else f"   {rate / one:.2f}x one process"
        print(f"  {name:<44} {rate:7.1f} /s   {cpu:5.2f} ms CPU per certificate{ratio}")
    name = "Dask, render_many(certs, options, client)"
    per_round = [r[name] / r["one process"] for r in rounds]
    cluster = statistics.median(per_round)
    mark = "met" if cluster >= TARGET else "NOT met"
    print(f"the cluster / one process in each round: {', '.join(f'{x:.2f}x' for x in per_round)}")
    print(f"target (issue 24): 2-worker LocalCluster >= {TARGET}x one process; median of the rounds:", end="")
    print(f" {cluster:.2f}x ({mark})")
    print(f"the machine's own 2 / 1 in the same rounds (a Python loop sharing nothing): {max(controls):.2f}x")
    if args.json:
        results = {"best": best, "rounds": rounds, "control": controls}
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
