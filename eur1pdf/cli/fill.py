"""``eur1pdf fill``: one certificate (JSON or YAML) into a PDF."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from eur1pdf.api import fill_file
from eur1pdf.cli.fill_options import add_fill_options, fill_options
from eur1pdf.cli.shared import Subparsers, add_format_option, findings_reporter, print_findings
from eur1pdf.cli.stdio import fill_stdio, is_stdio
from eur1pdf.errors import FitError, MissingGlyphError
from eur1pdf.layouts import load_layout_file
from eur1pdf.rules import Finding, RuleViolation, findings_from_render_error

if TYPE_CHECKING:
    from eur1pdf.layouts.schema import Layout
    from eur1pdf.options import FillOptions


def add_parser(subparsers: Subparsers) -> None:
    fill = subparsers.add_parser("fill", help="fill a certificate (JSON or YAML) into a PDF")
    fill.add_argument("input", help="certificate file, .json or .yaml; - reads standard input")
    fill.add_argument("-o", "--output", required=True, help="PDF file to write; - writes standard output")
    add_fill_options(fill)
    add_format_option(fill, "standard error")
    fill.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Text: warnings (and, with --allow-errors, errors under a heading) on stderr as they come.
    JSON: one list of findings on stderr, whether the PDF is made or refused (exit 1)."""
    options = fill_options(args)
    layout = load_layout_file(args.layout) if args.layout else None
    if args.format == "text":
        _fill(args, options, layout, findings_reporter("text", args.allow_errors))
        return 0
    seen: list[Finding] = []
    try:
        _fill(args, options, layout, seen.extend)
    except RuleViolation as exc:
        print_findings(exc.findings, "json", sys.stderr)
        return 1
    except (FitError, MissingGlyphError) as exc:
        print_findings(seen + findings_from_render_error(exc), "json", sys.stderr)
        return 1
    print_findings([f for f in seen if args.allow_errors or f.severity == "warning"], "json", sys.stderr)
    return 0


def _fill(
    args: argparse.Namespace,
    options: FillOptions,
    layout: Layout | None,
    on_findings: Callable[[list[Finding]], None],
) -> None:
    """Fill from a file into a file, or through standard input/output when one is ``-``."""
    if is_stdio(args.input) or is_stdio(args.output):
        fill_stdio(args, options, layout, on_findings)
        return
    out = fill_file(
        args.input, args.output, options, layout=layout, blank=args.blank, on_findings=on_findings
    )
    print(f"wrote {out}")
