"""Benchmark input: N distinct, valid EUR.1 certificates built from the shipped example.

Every certificate differs (serial, consignee, and every goods item: its marks
carry the certificate's number and its gross mass changes) so that no tool
under test can profit from caching a previous result, yet all have the same
shape and size, which keeps the per-certificate cost comparable from one run
to the next. Descriptions come from the example's three products, as a
month-end batch of one exporter repeats its catalogue.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "eur1-ch-mx.json"
ITEMS = 20  # goods items per certificate; 20 fit box 8 of the EUR.1 form (at 7.5 pt, 27 of 31 lines)


@cache
def _example() -> dict[str, Any]:
    """The example certificate, read once: every generated record starts from it."""
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def certificate(i: int, items: int = ITEMS) -> dict[str, Any]:
    """Certificate number ``i``: the example with ``items`` goods items and its own serial.

    The example's items are cycled; each item gets marks and a gross mass of its
    own ("PM 1234/1", "1250 kg" …, numbered by ``i`` and the item), and the
    serial and consignee name carry ``i``, so N calls give N certificates that
    share no item.
    """
    cert = copy.deepcopy(_example())
    number = 100_000 + i % 900_000
    cert["serial"] = f"A {number // 1000:03d}.{number % 1000:03d}"  # like the example: "A 123.456"
    cert["consignee"]["name"] = f"{cert['consignee']['name']} No. {i}"
    source = cert["items"]
    cert["items"] = [
        {
            **source[n % len(source)],
            "marks": f"PM {i}/{n + 1}",
            "gross_mass": f"{(i * 37 + n * 11) % 9000 + 10} kg",
        }
        for n in range(items)
    ]
    return cert


def jsonl(path: str | Path, n: int, items: int = ITEMS) -> Path:
    """Write certificates 0 … n-1 as JSON Lines (the batch input format); returns the path."""
    path = Path(path)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(certificate(i, items), ensure_ascii=False) + "\n")
    return path
