"""Instructions per certificate under callgrind: a cost that does not move with the machine's load.

    python bench/instructions.py             # eur1pdf and the three peers (a few minutes)
    python bench/instructions.py --only eur1pdf -n 40

``bench/run.py`` measures seconds, and on a shared virtual machine the same
code runs 25-50 % faster or slower from one run to the next. valgrind's
callgrind counts the instructions executed instead: the same code, data and
Python give the same count whatever else the machine does, so a change of a
few per cent is visible and the ratio to the peers is stable.

Each contender runs in its own process under ``valgrind --tool=callgrind
--instr-atstart=no``; after its warm-up renders, the process switches
instrumentation on with ``callgrind_control``, renders ``n`` certificates
the others do not see, and switches it off, so imports and warm-up are not
counted. Needs valgrind (Debian: ``apt install valgrind``).
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
sys.path.insert(0, str(HERE.parent))

CONTENDERS = ("eur1pdf", "classic", "pypdfform", "fpdf2")


def _contender(name: str, cert):
    """A contender rendering certificate ``i`` (its data: ``cert(i)``), as bench/run.py times it."""
    from bench import peers
    from bench.run import OPTIONS
    from eur1pdf import get_layout, render
    from eur1pdf.artwork.blank import blank_path
    from eur1pdf.bulk.gc_tuning import tune_for_bulk

    tune_for_bulk()
    blank = blank_path(get_layout("eur1"))
    if name == "eur1pdf":
        return lambda i: render(cert(i), OPTIONS)
    if name == "classic":
        font = HERE.parent / "fonts" / "LiberationSans-Regular.ttf"
        return lambda i: peers.classic_recipe(peers.field_values(cert(i)), blank, font)
    if name == "fpdf2":
        font = HERE.parent / "fonts" / "LiberationSans-Regular.ttf"
        return lambda i: peers.fpdf2_recipe(peers.field_values(cert(i)), blank, font)
    template = peers.acroform_template(blank, peers.boxes())
    return lambda i: peers.pypdfform_fill(template, peers.field_values(cert(i)))


def _child(name: str, n: int, items: int) -> None:
    """Runs under valgrind: warm up, count ``n`` renders only."""
    from bench.data import certificate

    data = {i: certificate(i, items) for i in [*range(n), *range(10_000_000, 10_000_005)]}
    fn = _contender(name, data.__getitem__)  # the data exists before counting, as in bench/run.py
    for i in range(5):
        fn(10_000_000 + i)
    control = ["callgrind_control", "-i"]
    subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
    for i in range(n):
        fn(i)
    subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)


def count(name: str, n: int, items: int) -> float:
    """Instructions per certificate for one contender."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={Path(tmp) / 'callgrind.out'}",
            sys.executable,
            __file__,
            "--child",
            name,
            "-n",
            str(n),
            "--items",
            str(items),
        ]
        run = subprocess.run(command, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"{name}: callgrind run failed:\n{run.stderr[-2000:]}")
    return int(found.group(1)) / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=CONTENDERS, action="append", help="measure just these")
    parser.add_argument("-n", type=int, help="certificates counted (default: 40 for eur1pdf, 8 for peers)")
    parser.add_argument("--items", type=int, default=20, help="goods items per certificate")
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.n, args.items)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed (Debian: apt install valgrind)")
    results = {}
    for name in args.only or CONTENDERS:
        n = args.n or (40 if name == "eur1pdf" else 8)
        results[name] = count(name, n, args.items)
        print(f"  {name:<10} {results[name] / 1e6:8.2f} million instructions per certificate (n={n})")
    if "eur1pdf" in results:
        for name, value in results.items():
            if name != "eur1pdf":
                print(f"  eur1pdf executes {value / results['eur1pdf']:.1f}x fewer instructions than {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
