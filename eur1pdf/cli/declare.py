"""``eur1pdf declare``: the origin declaration (or REX statement) stamped onto the user's invoice PDF."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eur1pdf.cli.shared import Subparsers, UsageError, add_format_option, print_findings
from eur1pdf.errors import InputError, InputFileError, Problem
from eur1pdf.rules import RuleViolation, findings_from_input_error


def add_parser(subparsers: Subparsers) -> None:
    declare = subparsers.add_parser(
        "declare",
        help="stamp an origin declaration or REX statement onto an invoice PDF",
        description="Stamp the origin declaration on the invoice (instruction 1.4) or the REX statement "
        "on origin (2.2) onto the user's own PDF (invoice, delivery note, CN22/CN23): at a position in "
        "mm, or in the largest free area of the last page, or on an added page. The invoice's pages "
        "keep their content byte for byte. See docs/declarations.md.",
    )
    declare.add_argument(
        "inputs", nargs="+", metavar="FILE", help="INVOICE.pdf DATA.json (--text: DATA.json)"
    )
    declare.add_argument("-o", "--output", help="the stamped PDF to write")
    declare.add_argument("--text", action="store_true", help="print the declaration's wording alone")
    declare.add_argument("--at", metavar="X,Y", help="top-left corner in mm from the page's top-left")
    declare.add_argument("--width", type=float, default=120.0, metavar="MM", help="width with --at (120)")
    declare.add_argument("--page", type=int, metavar="N", help="page with --at (default: the last)")
    declare.add_argument("--allow-errors", action="store_true", help="stamp despite errors (a draft)")
    add_format_option(declare, "standard error")
    declare.set_defaults(func=run)


def _placement(args: argparse.Namespace) -> dict[str, float | int] | None:
    if args.at is None:
        if args.page is not None:
            raise UsageError("--page goes with --at")
        return None
    try:
        x, y = (float(part) for part in args.at.split(","))
    except ValueError:
        raise UsageError(f"--at: give X,Y in mm, e.g. 20,200 (got {args.at!r})") from None
    placement: dict[str, float | int] = {"x_mm": x, "y_mm": y, "width_mm": args.width}
    if args.page is not None:
        placement["page"] = args.page
    return placement


def _read_data(path: str) -> object:
    from eur1pdf.declaration.model import load_declaration

    return load_declaration(path)


def run(args: argparse.Namespace) -> int:
    """Exit 0: stamped (or the text printed); 1: the data breaks rules or the contract; 2: files, usage."""
    from eur1pdf.declaration.api import declare, text_of

    wanted = 1 if args.text else 2
    if len(args.inputs) != wanted:
        raise UsageError("give DATA.json with --text" if args.text else "give INVOICE.pdf DATA.json")
    if not args.text and not args.output:
        raise UsageError("-o/--output: the stamped PDF to write")
    try:
        data = _read_data(args.inputs[-1])
        if args.text:
            print(text_of(data).plain(), end="")  # type: ignore[arg-type]
            return 0
        invoice = Path(args.inputs[0])
        if not invoice.is_file():
            raise InputFileError([Problem(None, None, "file not found")], str(invoice))
        result = declare(invoice, data, placement=_placement(args), allow_errors=args.allow_errors)  # type: ignore[arg-type]
    except RuleViolation as exc:
        print_findings(exc.findings, args.format, sys.stderr)
        return 1
    except InputError as exc:
        if isinstance(exc, InputFileError) or all(p.field is None for p in exc.problems):
            raise
        print_findings(findings_from_input_error(exc.problems), args.format, sys.stderr)
        return 1
    from eur1pdf.files import write_atomic

    write_atomic(args.output, result.pdf)
    print_findings(result.findings, args.format, sys.stderr)
    print(
        f"wrote {args.output} (page {result.placement['page']}"
        f"{', added' if result.placement['added_page'] else ''})"
    )
    if args.format == "json":
        print(json.dumps({"placement": result.placement, "metadata": result.metadata}), file=sys.stderr)
    return 0
