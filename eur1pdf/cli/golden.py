"""``eur1pdf golden compare``: two PDFs compared by content (golden-file testing)."""

from __future__ import annotations

import argparse

from eur1pdf.cli.shared import Subparsers


def add_parser(subparsers: Subparsers) -> None:
    golden = subparsers.add_parser("golden", help="compare PDFs by content (golden-file testing)")
    golden_sub = golden.add_subparsers(dest="golden_command", required=True)
    golden_compare = golden_sub.add_parser("compare", help="compare ACTUAL.pdf with EXPECTED.pdf")
    golden_compare.add_argument("actual")
    golden_compare.add_argument("expected")
    golden_compare.add_argument("--tolerance", type=float, default=0.5, help="position tolerance in pt")
    golden_compare.add_argument("--diff-dir", metavar="DIR", help="write a PNG of each differing page here")
    golden_compare.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when equal within the tolerance, 1 when not (the report says what differs)."""
    from eur1pdf.testing.golden import compare, report, visual_diff

    diffs = compare(args.actual, args.expected, tolerance_pt=args.tolerance)
    print(report(diffs))
    if diffs and args.diff_dir:
        for path in visual_diff(args.actual, args.expected, args.diff_dir):
            print(f"visual diff: {path}")
    return 1 if diffs else 0
