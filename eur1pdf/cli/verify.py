"""``eur1pdf verify``: check a final certificate PDF against the data it carries."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eur1pdf.cli.shared import Subparsers


def add_parser(subparsers: Subparsers) -> None:
    check_pdf = subparsers.add_parser(
        "verify", help="verify a final certificate PDF: QR code, digest, printed data, signature"
    )
    check_pdf.add_argument("pdf", help="the certificate PDF")
    check_pdf.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="CERT.pem",
        help="a trusted signer or root certificate",
    )
    check_pdf.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0 only for a valid final certificate; 1 otherwise; 2 when it is no eur1pdf PDF."""
    from eur1pdf.finish.verify import NotACertificate, verify  # renders and decodes: loaded only when asked

    roots = [Path(p).read_bytes() for p in args.trust]
    try:
        verdict = verify(Path(args.pdf).read_bytes(), roots)
    except NotACertificate as exc:
        print(f"eur1pdf: {args.pdf}: {exc}", file=sys.stderr)
        return 2
    print(f"{args.pdf}: {verdict.status.upper()}")
    for reason in verdict.reasons:
        print(f"  ✗ {reason}")
    for check in verdict.checks:
        print(f"  ✓ {check}")
    return 0 if verdict.valid else 1
