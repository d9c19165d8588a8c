"""How a process that renders in bulk treats Python's cyclic garbage collector.

A certificate makes thousands of short-lived objects (runs, words, byte
strings), and the caches that make the next certificate fast (word widths,
fitted fields, font subsets) hold hundreds of thousands of long-lived ones.
With the collector's default thresholds a full collection walks all of them
every few certificates: 5-10 % of a certificate's time went there. eur1pdf
makes no reference cycles per certificate, so collecting rarely loses no
memory (the benchmark's peak-memory curve shows it stays flat).

Only processes that eur1pdf owns call this (batch workers, the CLI, the
HTTP service's workers); a library user may call it in a process dedicated
to rendering, never does eur1pdf change the collector of someone else's.
"""

from __future__ import annotations

import gc

# young objects before a collection; collections of one generation before the next is looked at
BULK_THRESHOLDS = (10_000, 50, 1_000)


def tune_for_bulk() -> None:
    """Collect rarely, and never walk what exists now (modules, layouts, fonts) again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*BULK_THRESHOLDS)
