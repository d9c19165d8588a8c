"""``eur1pdf validate``: a certificate's findings against its form and agreement; nothing is drawn."""

from __future__ import annotations

import argparse
import sys

from eur1pdf.cli.shared import Subparsers, add_format_option, print_findings
from eur1pdf.cli.stdio import input_name, read_certificate
from eur1pdf.errors import InputError
from eur1pdf.rules import findings_from_input_error, validate


def add_parser(subparsers: Subparsers) -> None:
    check = subparsers.add_parser("validate", help="check a certificate against its form and agreement")
    check.add_argument("input", help="certificate file, .json or .yaml; - reads standard input")
    add_format_option(check, "standard output")
    check.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0: no errors (warnings allowed); 1: errors; 2: the file cannot be read."""
    try:
        findings = validate(read_certificate(args.input))
    except InputError as exc:
        if all(p.field is None for p in exc.problems):  # not JSON/YAML, missing, unreadable
            print(f"eur1pdf: error: {exc}", file=sys.stderr)
            return 2
        findings = findings_from_input_error(exc.problems)
    errors = sum(f.severity == "error" for f in findings)
    print_findings(findings, args.format)
    if args.format == "text":
        warnings = len(findings) - errors
        name = input_name(args.input)
        print(f"{name}: {errors} error(s), {warnings} warning(s)" if findings else f"{name}: ok")
    return 1 if errors else 0
