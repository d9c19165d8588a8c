"""What several commands need: the usage error, secrets from the environment, the settings
file, and how findings are reported."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import TypeAlias

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


def warn(findings: list[Finding]) -> None:
    """Warnings go to stderr and the fill goes on; errors stop it (raised by the API)."""
    for finding in findings:
        if finding.severity == "warning":
            print(f"eur1pdf: {finding}", file=sys.stderr)


def report_all(findings: list[Finding]) -> None:
    """A draft made despite errors still shows them."""
    for finding in findings:
        print(f"eur1pdf: {finding}", file=sys.stderr)
