"""The options of ``fill`` that ``preview`` and ``batch`` have too: declared once, read once."""

from __future__ import annotations

import argparse

from eur1pdf.cli.shared import UsageError, apply_settings, lock_password, signing_key
from eur1pdf.options import FillOptions
from eur1pdf.printer import load_profile


def parse_sheets(value: str) -> tuple[int, ...]:
    """``--sheets``: sheet numbers such as 1 or 1,3."""
    try:
        numbers = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sheet numbers such as 1 or 1,3, got {value!r}") from None
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError(f"expected sheet numbers such as 1 or 1,3, got {value!r}")
    return numbers


def add_fill_options(parser: argparse.ArgumentParser) -> None:
    """What to make: the options of ``fill`` that ``batch`` has too."""
    parser.add_argument(
        "--sheets",
        type=parse_sheets,
        default=None,
        help="sheets to include, e.g. 1 or 1,3 (default: the whole set)",
    )
    parser.add_argument(
        "--overlay-only",
        action="store_true",
        help="the data alone, without the blank form (for pre-printed stock): what a clerk writes or "
        "types, without the serial number and, with --final, without ORIGINAL/COPY, the electronic "
        "endorsement and the QR code (see --print-serial, --print-marks)",
    )
    parser.add_argument(
        "--print-serial",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="print the serial number (default: yes, but not with --overlay-only: the stock has its own)",
    )
    parser.add_argument(
        "--print-marks",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="final: print ORIGINAL/COPY, the electronic endorsement and the QR code "
        "(default: yes, but not with --overlay-only)",
    )
    parser.add_argument(
        "--on-overflow",
        choices=["error", "split"],
        default="error",
        help="when box 8 is full: refuse (default) or split into several certificates",
    )
    parser.add_argument(
        "--printer",
        metavar="PROFILE.toml",
        default=None,
        help="printer profile: offsets/scales that move the data onto the pre-printed stock",
    )
    parser.add_argument(
        "--end-mark",
        choices=["line", "stars", "backslashes"],
        default=None,
        help="how box 8 is closed below the last item (default: the layout's)",
    )
    parser.add_argument(
        "--layout", metavar="FILE.toml", help="fill with this layout file instead of the form's"
    )
    parser.add_argument(
        "--blank", metavar="FILE.pdf", help="your own blank form under the data (e.g. a scan of the stock)"
    )
    _add_final_options(parser)


def _add_final_options(parser: argparse.ArgumentParser) -> None:
    """Draft or final, and what a final gets: the verification link, the lock, the signature."""
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--draft", action="store_true", help="a provisional certificate: DRAFT on every page")
    mode.add_argument(
        "--final", action="store_true", help="the final certificate: ORIGINAL/COPY, customs stamp, QR code"
    )
    parser.add_argument(
        "--verify-url",
        metavar="TEMPLATE",
        help="final: verification link with {serial} and {digest}, e.g. 'https://verify.example.org/eur1/{serial}?d={digest}'",
    )
    parser.add_argument(
        "--allow-errors", action="store_true", help="with --draft: make the draft even if rules are broken"
    )
    parser.add_argument(
        "--config", metavar="FILE.toml", help="settings file (default: $EUR1PDF_CONFIG); options here win"
    )
    parser.add_argument(
        "--pdfa",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="final: PDF/A-3b for archiving (default: on, unless --lock: PDF/A forbids encryption)",
    )
    parser.add_argument("--lock", action="store_true", help="final: lock the PDF against changes")
    parser.add_argument(
        "--lock-password-env", metavar="NAME", help="with --lock: the owner password's variable"
    )
    parser.add_argument("--sign", metavar="KEY.p12", help="final: sign the PDF (PAdES) with this PKCS#12 key")
    parser.add_argument(
        "--sign-password-env", metavar="NAME", help="the environment variable holding the key's passphrase"
    )


def fill_options(args: argparse.Namespace) -> FillOptions:
    """The options ``fill`` and ``batch`` share, with the settings file filling the gaps."""
    apply_settings(args)
    if args.allow_errors and not args.draft:
        raise UsageError("--allow-errors is for drafts only: add --draft (a final is never made with errors)")
    return FillOptions(
        sheets=args.sheets,
        overlay_only=args.overlay_only,
        on_overflow=args.on_overflow,
        printer=load_profile(args.printer) if args.printer else None,
        end_mark=args.end_mark,
        draft=args.draft,
        final=args.final,
        verify_url=args.verify_url,
        allow_errors=args.allow_errors,
        lock_password=lock_password(args),
        signing=signing_key(args),
        pdfa=args.pdfa,
        print_serial=args.print_serial,
        print_marks=args.print_marks,
    )
