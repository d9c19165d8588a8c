"""The ``eur1pdf`` command line: a thin shell over the library functions.

Errors the user can fix are printed as one clear message (exit 1); usage
errors exit 2. A traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from eur1pdf import __version__
from eur1pdf.api import fill_file, render
from eur1pdf.artwork.blank import build_blank
from eur1pdf.artwork.calibration import write_calibration
from eur1pdf.certificate.model import load_certificate
from eur1pdf.errors import Eur1pdfError, InputError
from eur1pdf.files import write_atomic
from eur1pdf.layouts import builtin_names, geometry_json, get_layout, load_layout_file, plugin_entries
from eur1pdf.options import FillOptions, OptionsError, SigningKey
from eur1pdf.printer import load_profile
from eur1pdf.rules.checks import Finding, codes_markdown, findings_from_input_error, validate
from eur1pdf.settings import load_settings


def _sheets(value: str) -> tuple[int, ...]:
    try:
        numbers = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sheet numbers such as 1 or 1,3, got {value!r}") from None
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError(f"expected sheet numbers such as 1 or 1,3, got {value!r}")
    return numbers


def _apply_settings(args: argparse.Namespace) -> None:
    """Fill in from the settings file what the command line left out."""
    settings = load_settings(args.config)
    for key in ("verify_url", "printer", "sign", "sign_password_env", "lock_password_env"):
        if getattr(args, key) is None and getattr(settings, key) is not None:
            setattr(args, key, str(getattr(settings, key)))


def _fill_options(args: argparse.Namespace) -> FillOptions:
    """The options ``fill`` and ``batch`` share, with the settings file filling the gaps."""
    _apply_settings(args)
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
        lock_password=_lock_password(args),
        signing=_signing_key(args),
    )


def cmd_fill(args: argparse.Namespace) -> int:
    options = _fill_options(args)
    layout = load_layout_file(args.layout) if args.layout else None
    report = _report_all if args.allow_errors else _warn
    out = fill_file(args.input, args.output, options, layout=layout, blank=args.blank, on_findings=report)
    print(f"wrote {out}")
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    """One page as PNG, to look at before printing a hundred."""
    from eur1pdf.service.app import MAX_PREVIEW_DPI, page_png

    if not 18 <= args.dpi <= MAX_PREVIEW_DPI:
        raise UsageError(f"--dpi: give 18 to {MAX_PREVIEW_DPI}")
    options = _fill_options(args)
    layout = load_layout_file(args.layout) if args.layout else None
    report = _report_all if args.allow_errors else _warn
    pdf = render(load_certificate(args.input), options, layout, args.blank, on_findings=report)
    try:
        png = page_png(pdf, args.page, args.dpi)
    except IndexError as exc:
        raise UsageError(f"--page: {exc}") from None
    print(f"wrote {write_atomic(args.output, png)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The HTTP service (README, "HTTP service"); runs until stopped."""
    import ipaddress

    import uvicorn

    from eur1pdf.service.app import ServerConfig, create_app

    _apply_settings(args)
    api_key = _secret(args.api_key_env, "--api-key-env") if args.api_key_env else None
    printers = {}
    if args.printer:
        printers["default"] = load_profile(args.printer)
    for named in args.printer_profile or []:
        name, _, path = named.partition("=")
        if not name or not path:
            raise UsageError(f"--printer-profile: give NAME=PROFILE.toml, got {named!r}")
        printers[name] = load_profile(path)
    if args.workers < 1 or args.max_body < 1 or args.timeout <= 0 or args.queue < 1:
        raise UsageError("--workers, --max-body, --timeout and --queue must be positive")
    args.lock = bool(args.lock_password_env)
    base = FillOptions(  # final: what a final request uses; each request sets its own mode
        final=True, verify_url=args.verify_url, lock_password=_lock_password(args), signing=_signing_key(args)
    )
    config = ServerConfig(
        workers=args.workers,
        api_key=api_key,
        max_body_bytes=args.max_body,
        timeout_s=args.timeout,
        queue_per_worker=args.queue,
        printers=printers,
        base=base,
    )
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback and api_key is None:
        print(
            f"eur1pdf: warning: listening on {args.host} without an API key (--api-key-env)", file=sys.stderr
        )
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level=args.log_level)
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """Exit 0: all written; 1: some records failed; 2: nothing could be read; 130: interrupted."""
    from eur1pdf.bulk.batch import BatchRefused, count_records, run_batch
    from eur1pdf.bulk.gc_tuning import tune_for_bulk
    from eur1pdf.bulk.progress import progress_for

    tune_for_bulk()  # this process is ours; with --jobs 1 it renders every record itself

    options = _fill_options(args)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs: give 1 or more processes")
    layout = load_layout_file(args.layout) if args.layout else None
    source = Path(args.input)
    try:
        total = count_records(source)
    except OSError as exc:
        print(f"eur1pdf: error: {args.input}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    progress = None if args.quiet else progress_for(total)
    try:
        summary = run_batch(
            source,
            args.output,
            options,
            name_template=args.name,
            jobs=args.jobs,
            resume=args.resume,
            overwrite=args.overwrite,
            layout=layout,
            blank=args.blank,
            progress=progress,
        )
    except BatchRefused as exc:
        print(f"eur1pdf: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if progress is not None:
            progress.close()
    for entry in summary.failures:
        print(f"eur1pdf: record {entry.record} failed: {entry.error}", file=sys.stderr)
    done = f"{summary.written} written, {summary.skipped} already there, {summary.failed} failed"
    if summary.interrupted:
        print(f"eur1pdf: interrupted: {done}; `--resume` carries on", file=sys.stderr)
    else:
        print(f"{summary.total} records: {done}; manifest {summary.manifest}")
    return summary.exit_code


def _secret(name: str, option: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise UsageError(f"{option}: the environment variable {name} is not set")
    if not value.strip():
        raise UsageError(f"{option}: the environment variable {name} is empty")
    return value


def _lock_password(args: argparse.Namespace) -> str | None:
    """The owner password: from the environment, or a random one nobody needs to know."""
    if not args.lock:
        return None
    return (
        _secret(args.lock_password_env, "--lock-password-env")
        if args.lock_password_env
        else secrets.token_urlsafe(24)
    )


def _signing_key(args: argparse.Namespace) -> SigningKey | None:
    if not args.sign:
        return None
    passphrase = (
        _secret(args.sign_password_env, "--sign-password-env").encode() if args.sign_password_env else None
    )
    return SigningKey(Path(args.sign), passphrase)


def _warn(findings: list[Finding]) -> None:
    """Warnings go to stderr and the fill goes on; errors stop it (raised by the API)."""
    for finding in findings:
        if finding.severity == "warning":
            print(f"eur1pdf: {finding}", file=sys.stderr)


def _report_all(findings: list[Finding]) -> None:
    """A draft made despite errors still shows them."""
    for finding in findings:
        print(f"eur1pdf: {finding}", file=sys.stderr)


class UsageError(Exception):
    """Options that do not go together (exit 2, like argparse's own errors)."""


def cmd_verify(args: argparse.Namespace) -> int:
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


def cmd_golden(args: argparse.Namespace) -> int:
    """Exit 0 when equal within the tolerance, 1 when not (the report says what differs)."""
    from eur1pdf.testing.golden import compare, report, visual_diff

    diffs = compare(args.actual, args.expected, tolerance_pt=args.tolerance)
    print(report(diffs))
    if diffs and args.diff_dir:
        for path in visual_diff(args.actual, args.expected, args.diff_dir):
            print(f"visual diff: {path}")
    return 1 if diffs else 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Exit 0: no errors (warnings allowed); 1: errors; 2: the file cannot be read."""
    try:
        findings = validate(load_certificate(args.input))
    except InputError as exc:
        if all(p.field is None for p in exc.problems):  # not JSON/YAML, missing, unreadable
            print(f"eur1pdf: error: {exc}", file=sys.stderr)
            return 2
        findings = findings_from_input_error(exc.problems)
    errors = sum(f.severity == "error" for f in findings)
    if args.format == "json":
        print(json.dumps([f.to_dict() for f in findings], indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            print(finding)
        warnings = len(findings) - errors
        print(f"{args.input}: {errors} error(s), {warnings} warning(s)" if findings else f"{args.input}: ok")
    return 1 if errors else 0


def cmd_layouts(args: argparse.Namespace) -> int:
    if args.action == "show":
        if not args.name:
            raise Eur1pdfError("layouts show: name a layout, e.g. `eur1pdf layouts show eur1`")
        layout = get_layout(args.name)
        geometry = geometry_json(layout)
        if args.json:
            print(json.dumps(geometry, indent=2, ensure_ascii=False))
            return 0
        w, h = geometry["page_size_mm"]
        print(
            f"{layout.name}: {layout.title}, {w:g} x {h:g} mm, sheets "
            + ", ".join(f"{s.number} {s.name}" for s in layout.sheets)
        )
        print(f"{'box':>4}  {'x':>6} {'y':>6} {'w':>6} {'h':>6}  label")
        for number, box in geometry["boxes"].items():
            rect = f"{box['x']:6.1f} {box['y']:6.1f} {box['w']:6.1f} {box['h']:6.1f}"
            print(f"{number:>4}  {rect}  {box['label']}")
            for source, col in box.get("columns", {}).items():
                print(
                    f"{'':>4}  {col['x']:6.1f} {col['y']:6.1f} {col['w']:6.1f} {col['h']:6.1f}    "
                    f"column {source} (box {col['box']})"
                )
        return 0
    for name in builtin_names():
        print(f"{name:<12} {get_layout(name).title}")
    for name, entry in sorted(plugin_entries().items()):
        try:
            title = get_layout(name).title
        except Eur1pdfError as exc:  # list a broken plug-in with its problem, keep going
            title = f"(broken: {str(exc).splitlines()[0]})"
        print(f"{name:<12} {title}  [plug-in {entry.value}]")
    return 0


def cmd_blank(args: argparse.Namespace) -> int:
    layout = get_layout(args.name)
    out = write_atomic(args.output, build_blank(layout))
    print(f"wrote {out}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    printer = load_profile(args.printer) if args.printer else None
    out = write_calibration(get_layout(args.layout), args.output, printer)
    print(f"wrote {out}")
    return 0


def _add_fill_options(parser: argparse.ArgumentParser) -> None:
    """What to make: the options of ``fill`` that ``batch`` has too."""
    parser.add_argument(
        "--sheets",
        type=_sheets,
        default=None,
        help="sheets to include, e.g. 1 or 1,3 (default: the whole set)",
    )
    parser.add_argument(
        "--overlay-only",
        action="store_true",
        help="the data alone, without the blank form (for pre-printed stock)",
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
    parser.add_argument("--lock", action="store_true", help="final: lock the PDF against changes")
    parser.add_argument(
        "--lock-password-env", metavar="NAME", help="with --lock: the owner password's variable"
    )
    parser.add_argument("--sign", metavar="KEY.p12", help="final: sign the PDF (PAdES) with this PKCS#12 key")
    parser.add_argument(
        "--sign-password-env", metavar="NAME", help="the environment variable holding the key's passphrase"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eur1pdf", description="Proof-of-origin certificates (EUR.1 and family) as PDF."
    )
    parser.add_argument("--version", action="version", version=f"eur1pdf {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True)

    preview = sub.add_parser("preview", help="one page of a certificate as PNG")
    preview.add_argument("input", help="certificate file, .json or .yaml")
    preview.add_argument("-o", "--output", required=True, help="PNG file to write")
    preview.add_argument("--page", type=int, default=1, help="page number, from 1 (default 1)")
    preview.add_argument("--dpi", type=int, default=100, help="resolution, 18 to 200 (default 100)")
    _add_fill_options(preview)
    preview.set_defaults(func=cmd_preview)

    serve = sub.add_parser("serve", help="run the HTTP service (FastAPI on uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--workers", type=int, default=2, help="rendering processes (default 2)")
    serve.add_argument(
        "--api-key-env", metavar="NAME", help="require the API key held in this environment variable"
    )
    serve.add_argument("--max-body", type=int, default=1_000_000, help="largest request body in bytes")
    serve.add_argument("--timeout", type=float, default=30.0, help="seconds a request may take")
    serve.add_argument(
        "--queue", type=int, default=64, help="requests in hand per worker; beyond, 503 at once (default 64)"
    )
    serve.add_argument("--verify-url", metavar="TEMPLATE", help="final certificates' verification link")
    serve.add_argument("--printer", metavar="PROFILE.toml", help="the profile requests name 'default'")
    serve.add_argument(
        "--printer-profile", metavar="NAME=PROFILE.toml", action="append", help="a profile requests may name"
    )
    serve.add_argument("--sign", metavar="KEY.p12", help="sign final certificates with this key")
    serve.add_argument(
        "--sign-password-env", metavar="NAME", help="the variable holding the key's passphrase"
    )
    serve.add_argument(
        "--lock-password-env", metavar="NAME", help="lock final certificates with this password"
    )
    serve.add_argument("--config", metavar="FILE.toml", help="settings file (default: $EUR1PDF_CONFIG)")
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.set_defaults(func=cmd_serve)

    fill = sub.add_parser("fill", help="fill a certificate (JSON or YAML) into a PDF")
    fill.add_argument("input", help="certificate file, .json or .yaml")
    fill.add_argument("-o", "--output", required=True, help="PDF file to write")
    _add_fill_options(fill)
    fill.set_defaults(func=cmd_fill)

    batch = sub.add_parser("batch", help="fill many certificates: a JSON Lines file or a folder")
    batch.add_argument(
        "input", help="JSON Lines file (one certificate a line) or a folder of .json/.yaml files"
    )
    batch.add_argument(
        "-o", "--output", required=True, metavar="OUTDIR", help="folder for the PDFs and manifest"
    )
    batch.add_argument(
        "--name",
        default="{serial}.pdf",
        metavar="TEMPLATE",
        help="output file names, e.g. '{serial}-{exporter.name}.pdf' (placeholders: "
        "{index} {serial} {form} {agreement} {issue_date} {exporter.name} {consignee.name} {stem})",
    )
    batch.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: all cores)")
    again = batch.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="carry on an interrupted batch in OUTDIR")
    again.add_argument("--overwrite", action="store_true", help="start the batch in OUTDIR again")
    batch.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    _add_fill_options(batch)
    batch.set_defaults(func=cmd_batch)

    check = sub.add_parser("validate", help="check a certificate against its form and agreement")
    check.add_argument("input", help="certificate file, .json or .yaml")
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.set_defaults(func=cmd_validate)

    check_pdf = sub.add_parser(
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
    check_pdf.set_defaults(func=cmd_verify)

    golden = sub.add_parser("golden", help="compare PDFs by content (golden-file testing)")
    golden_sub = golden.add_subparsers(dest="golden_command", required=True)
    golden_compare = golden_sub.add_parser("compare", help="compare ACTUAL.pdf with EXPECTED.pdf")
    golden_compare.add_argument("actual")
    golden_compare.add_argument("expected")
    golden_compare.add_argument("--tolerance", type=float, default=0.5, help="position tolerance in pt")
    golden_compare.add_argument("--diff-dir", metavar="DIR", help="write a PNG of each differing page here")
    golden_compare.set_defaults(func=cmd_golden)

    codes = sub.add_parser("codes", help="the table of finding codes (Markdown), from the rule definitions")
    codes.set_defaults(func=lambda args: print(codes_markdown()) or 0)

    layouts = sub.add_parser("layouts", help="list layouts, or show one's geometry")
    layouts.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    layouts.add_argument("name", nargs="?")
    layouts.add_argument("--json", action="store_true", help="geometry as JSON (mm, origin top-left)")
    layouts.set_defaults(func=cmd_layouts)

    blank = sub.add_parser("blank", help="draw a layout's blank form set")
    blank.add_argument("name", help="layout name, e.g. eur1")
    blank.add_argument("-o", "--output", required=True, help="PDF file to write")
    blank.set_defaults(func=cmd_blank)

    calibrate = sub.add_parser("calibrate", help="a calibration sheet for printing on pre-printed stock")
    calibrate.add_argument("layout", help="layout name, e.g. eur1")
    calibrate.add_argument("-o", "--output", required=True, help="PDF file to write")
    calibrate.add_argument(
        "--printer", metavar="PROFILE.toml", default=None, help="draw the marks through this printer profile"
    )
    calibrate.set_defaults(func=cmd_calibrate)
    return parser


OPTION_FLAGS = {
    "sheets": "--sheets",
    "end_mark": "--end-mark",
    "on_overflow": "--on-overflow",
    "draft": "--draft",
    "allow_errors": "--allow-errors",
    "lock_password": "--lock",
    "signing": "--sign",
    "verify_url": "--verify-url",
    "printer": "--printer",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except OptionsError as exc:  # the library names its options; the user typed flags
        print(f"eur1pdf: error: {OPTION_FLAGS.get(exc.option, exc.option)}: {exc.message}", file=sys.stderr)
        return 1
    except Eur1pdfError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"eur1pdf: error: {exc}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"eur1pdf: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if args.debug:
            traceback.print_exc()
        name = f"{exc.filename}: " if exc.filename else ""
        print(f"eur1pdf: error: {name}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("eur1pdf: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: say so in one line, the traceback with --debug
        if args.debug:
            raise
        print(
            f"eur1pdf: error: internal error ({type(exc).__name__}: {exc}); "
            "please report it with the output of --debug",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
