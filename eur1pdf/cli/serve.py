"""``eur1pdf serve``: the HTTP service (README, "HTTP service"); runs until stopped."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from eur1pdf.cli.shared import Subparsers, UsageError, apply_settings, lock_password, secret, signing_key
from eur1pdf.options import FillOptions
from eur1pdf.printer import PrinterProfile, load_profile

if TYPE_CHECKING:
    from eur1pdf.service.config import ServerConfig


def add_parser(subparsers: Subparsers) -> None:
    serve = subparsers.add_parser("serve", help="run the HTTP service (FastAPI on uvicorn)")
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
    serve.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """The HTTP service (README, "HTTP service"); runs until stopped."""
    import uvicorn

    from eur1pdf.service.app import create_app

    config = _server_config(args)
    if not _is_loopback(args.host) and config.api_key is None:
        print(
            f"eur1pdf: warning: listening on {args.host} without an API key (--api-key-env)", file=sys.stderr
        )
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _server_config(args: argparse.Namespace) -> ServerConfig:
    """The operator's decisions, from the options and the settings file; checked before listening."""
    from eur1pdf.service.config import ServerConfig

    apply_settings(args)
    api_key = secret(args.api_key_env, "--api-key-env") if args.api_key_env else None
    printers = _printers(args)
    if args.workers < 1 or args.max_body < 1 or args.timeout <= 0 or args.queue < 1:
        raise UsageError("--workers, --max-body, --timeout and --queue must be positive")
    args.lock = bool(args.lock_password_env)
    base = FillOptions(  # final: what a final request uses; each request sets its own mode
        final=True, verify_url=args.verify_url, lock_password=lock_password(args), signing=signing_key(args)
    )
    return ServerConfig(
        workers=args.workers,
        api_key=api_key,
        max_body_bytes=args.max_body,
        timeout_s=args.timeout,
        queue_per_worker=args.queue,
        printers=printers,
        base=base,
    )


def _printers(args: argparse.Namespace) -> dict[str, PrinterProfile]:
    """The profiles requests may name: ``--printer`` as 'default', each ``--printer-profile NAME=FILE``."""
    printers: dict[str, PrinterProfile] = {}
    if args.printer:
        printers["default"] = load_profile(args.printer)
    for named in args.printer_profile or []:
        name, _, path = named.partition("=")
        if not name or not path:
            raise UsageError(f"--printer-profile: give NAME=PROFILE.toml, got {named!r}")
        printers[name] = load_profile(path)
    return printers


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
