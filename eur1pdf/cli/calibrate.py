"""``eur1pdf calibrate``: a sheet to print on the pre-printed stock and measure a printer's offsets."""

from __future__ import annotations

import argparse

from eur1pdf.artwork.calibration import write_calibration
from eur1pdf.cli.shared import Subparsers
from eur1pdf.layouts import get_layout
from eur1pdf.printer import load_profile


def add_parser(subparsers: Subparsers) -> None:
    calibrate = subparsers.add_parser(
        "calibrate", help="a calibration sheet for printing on pre-printed stock"
    )
    calibrate.add_argument("layout", help="layout name, e.g. eur1")
    calibrate.add_argument("-o", "--output", required=True, help="PDF file to write")
    calibrate.add_argument(
        "--printer", metavar="PROFILE.toml", default=None, help="draw the marks through this printer profile"
    )
    calibrate.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    printer = load_profile(args.printer) if args.printer else None
    out = write_calibration(get_layout(args.layout), args.output, printer)
    print(f"wrote {out}")
    return 0
