"""What several commands need: the usage error, secrets from the environment, the settings
file, and how findings are reported."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeAlias

from eur1pdf.options import SigningKey
from eur1pdf.rules import Finding
from eur1pdf.settings import load_settings

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # what add_parser is given


class UsageError(Exception):
    """Options that do not go together (exit 2, like argparse's own errors)."""


def apply_settings(args: argparse.Namespace) -> None:
    """Fill in from the settings file what the command line left out."""
    settings = load_settings(args.config)
    for key in ("verify_url", "printer", "sign", "sign_password_env", "lock_password_env"):
        if getattr(args, key) is None and getattr(settings, key) is not None:
            setattr(args, key, str(getattr(settings, key)))


def secret(name: str, option: str) -> str:
    """The value of the environment variable ``name`` that ``option`` named; never empty."""
    value = os.environ.get(name)
    if value is None:
        raise UsageError(f"{option}: the environment variable {name} is not set")
    if not value.strip():
        raise UsageError(f"{option}: the environment variable {name} is empty")
    return value


def lock_password(args: argparse.Namespace) -> str | None:
    """The owner password: from the environment, or a random one nobody needs to know."""
    if not args.lock:
        return None
    return (
        secret(args.lock_password_env, "--lock-password-env")
        if args.lock_password_env
        else secrets.token_urlsafe(24)
    )


def signing_key(args: argparse.Namespace) -> SigningKey | None:
    if not args.sign:
        return None
    passphrase = (
        secret(args.sign_password_env, "--sign-password-env").encode() if args.sign_password_env else None
    )
    return SigningKey(Path(args.sign), passphrase)


def add_format_option(parser: argparse.ArgumentParser, stream: str) -> None:
    """``--format``: how findings are printed, the same for every command that prints them."""
    parser.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help=f"findings as lines of text or as one JSON list, on {stream} (default: text)",
    )


def print_findings(findings: list[Finding], fmt: str = "text", file: TextIO | None = None) -> None:
    """Findings in the one format of every command: a line each (``error: box 4, origin: … [code]``),
    or a JSON list of objects (severity, code, box as a number or null, field, message)."""
    out = file if file is not None else sys.stdout
    if fmt == "json":
        print(json.dumps([f.to_dict() for f in findings], indent=2, ensure_ascii=False), file=out)
        return
    for finding in findings:
        print(finding, file=out)


def findings_reporter(fmt: str, allow_errors: bool) -> Callable[[list[Finding]], None]:
    """What ``fill`` and ``preview`` do with the findings of a certificate they go on with (stderr):
    the warnings; with ``--allow-errors``, the errors too, under a heading saying the draft is made
    despite them. Errors that stop the render are raised by the API."""

    def report(findings: list[Finding]) -> None:
        errors = [f for f in findings if f.severity == "error"]
        shown = findings if allow_errors else [f for f in findings if f.severity == "warning"]
        if not shown:
            return
        if fmt == "text" and allow_errors and errors:
            print(f"eur1pdf: draft made despite {len(errors)} error(s) (--allow-errors):", file=sys.stderr)
        print_findings(shown, fmt, sys.stderr)

    return report


def warn(findings: list[Finding]) -> None:
    """Warnings go to stderr and the fill goes on; errors stop it (raised by the API)."""
    findings_reporter("text", allow_errors=False)(findings)


def report_all(findings: list[Finding]) -> None:
    """A draft made despite errors still shows them, under a heading that says so."""
    findings_reporter("text", allow_errors=True)(findings)
