"""``eur1pdf codes``: the table of finding codes (Markdown), from the rule definitions."""

from __future__ import annotations

import argparse

from eur1pdf.cli.shared import Subparsers
from eur1pdf.rules import codes_markdown


def add_parser(subparsers: Subparsers) -> None:
    codes = subparsers.add_parser(
        "codes", help="the table of finding codes (Markdown), from the rule definitions"
    )
    codes.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(codes_markdown())
    return 0
