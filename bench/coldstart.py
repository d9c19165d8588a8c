"""What users feel beyond the steady rate: a cold ``eur1pdf fill``, the first render, splits (issue 24).

    python bench/coldstart.py                  # every figure beside its target (a few minutes)
    python bench/coldstart.py --only split     # just the split figures

Every figure is counted in instructions under valgrind's callgrind (see
bench/instructions.py: seconds on a shared machine move by 25-50 % from one
run to the next, instructions do not):

* Python's own start (``python -c pass``): the floor under every figure.
* ``import eur1pdf`` and the import of what filling needs (``eur1pdf.cli.fill``).
* A cold ``eur1pdf fill`` of examples/eur1-ch-mx.json: a new process per
  certificate, as a back-office calling the command does; with the user
  cache filled (every run after the first, eur1pdf/user_cache.py), and the
  very first run with an empty cache for comparison.
* The first render in a process against a steady one (both of certificates
  the process has not seen before, the bench's EUR.1 with 20 items).
* ``--on-overflow split``: instructions per item at 25 … 999 items, and a
  certificate that fits asked to split against the same without asking.

The user cache is a temporary folder (``EUR1PDF_CACHE_DIR``), so a run never
depends on what an earlier one left. Python's compiled modules (``.pyc``) are
kept in another (``PYTHONPYCACHEPREFIX``), written by a run before the counted
ones, as an installed package has them (pip compiles at install):
``PYTHONDONTWRITEBYTECODE`` in the caller's environment would otherwise make
every counted process compile eur1pdf's sources again (about 370 M more).
``--source`` counts that way instead. Every process hashes strings with the same
seed (``PYTHONHASHSEED=0``): with a random one a count moves by about 0.05 %
from run to run (sets and dicts lay out differently), as much as the cost of
asking for split it measures; with it the counts repeat to a few thousand.
Needs valgrind (Debian: ``apt install valgrind``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "examples" / "eur1-ch-mx.json"
SPLIT_ITEMS = (25, 100, 200, 500, 999)
VERIFY_URL = "https://verify.example.org/eur1/{serial}?d={digest}"
TARGETS = {  # issue 24
    "import": 500e6,
    "fill": 1000e6,
    "first_over_steady": 3.0,
    "split_spread": 0.10,
    "split_asked": 0.001,  # "costs nothing": instructions repeat to about 0.05 %, so within 0.1 %
}


BYTECODE: dict[str, str] = {}  # PYTHONPYCACHEPREFIX, unless --source


def _environment(cache: Path | str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    environment = {**os.environ, "EUR1PDF_CACHE_DIR": str(cache), "PYTHONPATH": path, "PYTHONHASHSEED": "0"}
    if BYTECODE:
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        environment.update(BYTECODE)
    return environment


def compile_modules() -> None:
    """Write the ``.pyc`` of every module the counted commands import (an uncounted run of each)."""
    with tempfile.TemporaryDirectory() as tmp:
        for argv in (
            ["-c", "import eur1pdf.cli.fill"],
            ["-m", "eur1pdf", "fill", str(EXAMPLE), "-o", "out.pdf"],
        ):
            subprocess.run(
                [sys.executable, *argv], env=_environment("off"), cwd=tmp, check=True, capture_output=True
            )


def callgrind(argv: list[str], cache: Path, at_start: bool = True) -> int:
    """Instructions a Python process executes (with ``at_start=False``: only between the
    ``callgrind_control -i on`` and ``off`` the child itself asks for)."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--instr-atstart={'yes' if at_start else 'no'}",
            f"--callgrind-out-file={Path(tmp) / 'callgrind.out'}",
            sys.executable,
            *argv,
        ]
        run = subprocess.run(command, capture_output=True, text=True, env=_environment(cache), cwd=tmp)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"{argv}: callgrind run failed:\n{run.stderr[-2000:]}")
    return int(found.group(1))


def _counting(on: bool) -> None:
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], check=True, capture_output=True
    )


def _child(kind: str, n: int, items: int) -> None:
    """Runs under callgrind: build the data, warm up as ``kind`` says, count only the renders."""
    sys.path.insert(0, str(ROOT))
    from bench.data import certificate
    from eur1pdf import FillOptions, render

    options = FillOptions(final=True, verify_url=VERIFY_URL, sheets=(1,))  # bench/run.py's OPTIONS
    if kind in ("split", "asked"):
        options = FillOptions(on_overflow="split")
    elif kind == "not_asked":
        options = FillOptions()
    data = {i: certificate(i, items) for i in [*range(n), *range(10_000_000, 10_000_005)]}
    if kind != "first":  # a steady process: it has rendered other certificates before
        for i in range(5):
            render(data[10_000_000 + i], options)
    _counting(True)
    for i in range(n):
        render(data[i], options)
    _counting(False)


def counted(kind: str, n: int, items: int, cache: Path) -> float:
    """Instructions per render of ``kind`` (see :func:`_child`)."""
    argv = [__file__, "--child", kind, "-n", str(n), "--items", str(items)]
    return callgrind(argv, cache, at_start=False) / n


def _line(label: str, value: str, target: str, met: bool | None) -> None:
    verdict = "" if met is None else ("  met" if met else "  NOT met")
    print(f"  {label:<46} {value:>16}   target {target}{verdict}")


def startup(cache: Path) -> None:
    floor = callgrind(["-c", "pass"], cache)
    bare = callgrind(["-c", "import eur1pdf"], cache)
    fill_imports = callgrind(["-c", "import eur1pdf.cli.fill"], cache)
    fill = ["-m", "eur1pdf", "fill", str(EXAMPLE), "-o", "out.pdf"]
    empty = callgrind(fill, cache)  # the cache is empty: this run fills it
    warm = callgrind(fill, cache)
    print("Cold start (a new process), million instructions:")
    _line("python -c pass (the floor)", f"{floor / 1e6:,.0f} M", "-", None)
    _line(
        "import eur1pdf",
        f"{bare / 1e6:,.0f} M",
        f"<= {TARGETS['import'] / 1e6:,.0f} M",
        bare <= TARGETS["import"],
    )
    _line("import eur1pdf.cli.fill (what fill imports)", f"{fill_imports / 1e6:,.0f} M", "-", None)
    _line(
        "eur1pdf fill, user cache filled",
        f"{warm / 1e6:,.0f} M",
        f"<= {TARGETS['fill'] / 1e6:,.0f} M",
        warm <= TARGETS["fill"],
    )
    _line("eur1pdf fill, first run (empty user cache)", f"{empty / 1e6:,.0f} M", "-", None)


def first_render(cache: Path) -> None:
    steady = counted("steady", 10, 20, cache)  # first: it fills the user cache, as any earlier run would
    first = counted("first", 1, 20, cache)
    ratio = first / steady
    print("First render in a process (EUR.1, 20 items, final), million instructions:")
    _line("first render", f"{first / 1e6:,.1f} M", "-", None)
    _line("steady render", f"{steady / 1e6:,.1f} M", "-", None)
    _line(
        "first / steady",
        f"{ratio:.1f}x",
        f"<= {TARGETS['first_over_steady']:.0f}x",
        ratio <= TARGETS["first_over_steady"],
    )


def split(cache: Path) -> None:
    print("--on-overflow split, million instructions per item:")
    per_item = {}
    for items in SPLIT_ITEMS:
        per_item[items] = counted("split", 1, items, cache) / items
        _line(f"{items} items", f"{per_item[items] / 1e6:.3f} M", "-", None)
    spread = max(per_item.values()) / min(per_item.values()) - 1
    _line(
        "spread from 25 to 999 items",
        f"{spread:.1%}",
        f"<= {TARGETS['split_spread']:.0%}",
        spread <= TARGETS["split_spread"],
    )
    asked = counted("asked", 10, 20, cache)
    not_asked = counted("not_asked", 10, 20, cache)
    extra = asked / not_asked - 1
    _line("20 items (no split needed), split not asked", f"{not_asked / 1e6:.3f} M", "-", None)
    _line("20 items (no split needed), split asked", f"{asked / 1e6:.3f} M", "-", None)
    _line(
        "cost of asking for split",
        f"{extra:+.2%}",
        f"0 % (<= {TARGETS['split_asked']:+.1%})",
        extra <= TARGETS["split_asked"],
    )


PARTS = {"startup": startup, "first": first_render, "split": split}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=PARTS, action="append", help="measure just these parts")
    parser.add_argument("--source", action="store_true", help="count with no .pyc (every module compiled)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("-n", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--items", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.n, args.items)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed (Debian: apt install valgrind)")
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as pyc:
        if not args.source:
            BYTECODE["PYTHONPYCACHEPREFIX"] = pyc
            compile_modules()
        for part in args.only or PARTS:
            PARTS[part](Path(cache))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
