"""``eur1pdf fill``: one certificate (JSON or YAML) into a PDF."""

from __future__ import annotations

import argparse

from eur1pdf.api import fill_file
from eur1pdf.cli.fill_options import add_fill_options, fill_options
from eur1pdf.cli.shared import Subparsers, report_all, warn
from eur1pdf.cli.stdio import fill_stdio, is_stdio
from eur1pdf.layouts import load_layout_file


def add_parser(subparsers: Subparsers) -> None:
    fill = subparsers.add_parser("fill", help="fill a certificate (JSON or YAML) into a PDF")
    fill.add_argument("input", help="certificate file, .json or .yaml; - reads standard input")
    fill.add_argument("-o", "--output", required=True, help="PDF file to write; - writes standard output")
    add_fill_options(fill)
    fill.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = fill_options(args)
    layout = load_layout_file(args.layout) if args.layout else None
    report = report_all if args.allow_errors else warn
    if is_stdio(args.input) or is_stdio(args.output):
        return fill_stdio(args, options, layout, report)
    out = fill_file(args.input, args.output, options, layout=layout, blank=args.blank, on_findings=report)
    print(f"wrote {out}")
    return 0
