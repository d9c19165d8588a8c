"""``eur1pdf verify``: check a final certificate PDF against the data it carries.

Exit codes: 0 VALID; 1 any other verdict (TAMPERED, UNTRUSTED SIGNER,
UNSIGNED, CANNOT CHECK, DRAFT, NOT FINAL); 2 not an eur1pdf PDF, unreadable,
or beyond verify's limits.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eur1pdf.cli.shared import Subparsers
from eur1pdf.errors import Eur1pdfError
from eur1pdf.settings import load_settings
from eur1pdf.small_files import FileRefused, read_small_file


def add_parser(subparsers: Subparsers) -> None:
    check_pdf = subparsers.add_parser(
        "verify", help="verify a final certificate PDF: made again from its data and compared, and signed"
    )
    check_pdf.add_argument("pdf", help="the certificate PDF")
    check_pdf.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="CERT.pem",
        help="a trusted signer or root certificate (repeatable; also `trust` in the settings file)",
    )
    check_pdf.add_argument(
        "--blank", metavar="FILE.pdf", help="the user's blank form the certificate was printed on, if any"
    )
    check_pdf.add_argument("--format", choices=("text", "json"), default="text", help="how to print")
    check_pdf.add_argument(
        "--config", metavar="FILE.toml", help="settings file (default: $EUR1PDF_CONFIG): its `trust` list"
    )
    check_pdf.set_defaults(func=run)


def _trust_roots(args: argparse.Namespace) -> list[bytes]:
    paths = [Path(p) for p in args.trust] + list(load_settings(args.config).trust)
    roots = []
    for path in paths:
        try:
            roots.append(read_small_file(path, "trust certificate"))
        except FileRefused as exc:
            raise Eur1pdfError(f"--trust {path}: {exc}") from None
    return roots


def run(args: argparse.Namespace) -> int:
    """Exit 0 only for a valid final certificate; 1 otherwise; 2 when it is no eur1pdf PDF."""
    # renders and decodes: loaded only when asked
    from eur1pdf.finish.verify import VERDICTS, NotACertificate, verify

    try:
        roots = _trust_roots(args)
        verdict = verify(read_small_file(Path(args.pdf), "PDF to verify"), roots, args.blank)
    except (NotACertificate, FileRefused) as exc:
        print(f"eur1pdf: {args.pdf}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"eur1pdf: {args.pdf}: cannot read ({exc.strerror})", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps({"file": args.pdf, **verdict.as_dict()}, ensure_ascii=False, indent=2))
    else:
        print(f"{args.pdf}: {VERDICTS[verdict.status]}")
        for reason in verdict.reasons:
            print(f"  ✗ {reason}")
        for check in verdict.checks:
            print(f"  ✓ {check}")
    return 0 if verdict.valid else 1
