"""The machine's own scaling, measured beside a benchmark: what a second core gives now.

Shared by bench/run.py (the batch) and bench/cluster.py (Dask): the host is shared, so a ratio of
2 processes against 1 is read beside this control, taken in the same minutes.
"""

from __future__ import annotations

import subprocess
import sys
import time

SPIN = "x = 0\nfor i in range(12_000_000):\n    x += i & 7"  # pure Python work, nothing shared


def spin_rates() -> dict[int, float]:
    """The machine's own scaling: work units per second of a pure-Python loop in 1 and in 2 processes.

    A virtual machine's second core is not always a whole core (the host
    shares it, and more or less from one minute to the next); this loop
    shares nothing, so its ratio shows what the second core gave at about
    the time the batch ran. A reference, not a bound: it is measured seconds
    apart from the batch, and the host's load moves within seconds.
    """
    rates = {}
    for jobs in (1, 2):
        start = time.perf_counter()
        spinning = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(jobs)]
        if any(p.wait() != 0 for p in spinning):
            raise SystemExit("the control loop failed")
        rates[jobs] = jobs / (time.perf_counter() - start)
    return rates
