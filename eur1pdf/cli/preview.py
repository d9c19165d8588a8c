"""``eur1pdf preview``: one page as PNG, to look at before printing a hundred."""

from __future__ import annotations

import argparse

from eur1pdf.api import render
from eur1pdf.certificate.model import load_certificate
from eur1pdf.cli.fill_options import add_fill_options, fill_options
from eur1pdf.cli.shared import Subparsers, UsageError, report_all, warn
from eur1pdf.files import write_atomic
from eur1pdf.layouts import load_layout_file


def add_parser(subparsers: Subparsers) -> None:
    preview = subparsers.add_parser("preview", help="one page of a certificate as PNG")
    preview.add_argument("input", help="certificate file, .json or .yaml")
    preview.add_argument("-o", "--output", required=True, help="PNG file to write")
    preview.add_argument("--page", type=int, default=1, help="page number, from 1 (default 1)")
    preview.add_argument("--dpi", type=int, default=100, help="resolution, 18 to 200 (default 100)")
    add_fill_options(preview)
    preview.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """One page as PNG, to look at before printing a hundred."""
    from eur1pdf.service.previews import MAX_PREVIEW_DPI, page_png

    if not 18 <= args.dpi <= MAX_PREVIEW_DPI:
        raise UsageError(f"--dpi: give 18 to {MAX_PREVIEW_DPI}")
    options = fill_options(args)
    layout = load_layout_file(args.layout) if args.layout else None
    report = report_all if args.allow_errors else warn
    pdf = render(load_certificate(args.input), options, layout, args.blank, on_findings=report)
    try:
        png = page_png(pdf, args.page, args.dpi)
    except IndexError as exc:
        raise UsageError(f"--page: {exc}") from None
    print(f"wrote {write_atomic(args.output, png)}")
    return 0
