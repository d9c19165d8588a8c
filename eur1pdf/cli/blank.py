"""``eur1pdf blank``: a layout's blank form set, drawn from the layout itself."""

from __future__ import annotations

import argparse

from eur1pdf.artwork.blank import build_blank
from eur1pdf.cli.shared import Subparsers
from eur1pdf.files import write_atomic
from eur1pdf.layouts import get_layout


def add_parser(subparsers: Subparsers) -> None:
    blank = subparsers.add_parser("blank", help="draw a layout's blank form set")
    blank.add_argument("name", help="layout name, e.g. eur1")
    blank.add_argument("-o", "--output", required=True, help="PDF file to write")
    blank.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    layout = get_layout(args.name)
    out = write_atomic(args.output, build_blank(layout))
    print(f"wrote {out}")
    return 0
