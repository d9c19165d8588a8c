"""``eur1pdf serve``: the HTTP service (README, "HTTP service"); runs until stopped."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from eur1pdf.cli.shared import Subparsers, UsageError, apply_settings, lock_password, secret, signing_key
from eur1pdf.errors import Eur1pdfError
from eur1pdf.options import FillOptions
from eur1pdf.printer import PrinterProfile, load_profile
from eur1pdf.settings import load_settings

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
    _add_connection_options(serve)
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
        "--db",
        metavar="URL",
        help="the certificate registry: sqlite:///FILE or postgresql://… "
        "(default: $EUR1PDF_DB, else ~/.local/share/eur1pdf/registry.db)",
    )
    serve.add_argument(
        "--public-url",
        metavar="https://…",
        help="the base of the verification links finals' QR codes carry (default: http://HOST:PORT)",
    )
    serve.add_argument(
        "--wrong-key-limit",
        type=float,
        default=6.0,
        metavar="N",
        help="wrong API keys (API or /app sign-in) per client address and minute, after a burst of 10 "
        "(default 6); beyond, 429 with Retry-After and the key is not looked at",
    )
    serve.add_argument(
        "--verify-limit",
        type=float,
        default=30.0,
        metavar="N",
        help="verification requests per client and minute, after a burst of 20 (default 30)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="LIST",
        help="the reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For gives "
        "the client's address, which the limits count by (default: $FORWARDED_ALLOW_IPS, else this "
        "machine: 127.0.0.1, ::1)",
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.set_defaults(func=run)


def _add_connection_options(serve: argparse.ArgumentParser) -> None:
    """What slow, idle or too many clients are allowed (README, "HTTP service")."""
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds for a request's head to arrive whole, from connecting or the last answer (default 10)",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        default=20.0,
        metavar="S",
        help="seconds for a request's body to arrive whole, after its head; beyond, 408 (default 20)",
    )
    serve.add_argument(
        "--keep-alive",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds an idle connection is kept open between requests (default 5)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=500,
        metavar="N",
        help="connections open at once; more are closed when accepted (default 500)",
    )


def _connection_options(args: argparse.Namespace) -> dict[str, Any]:
    """uvicorn's options for connections, checked; the open-file limit raised to hold them."""
    from eur1pdf.service.connections import ConnectionLimits

    if min(args.header_timeout, args.body_timeout, args.keep_alive) <= 0 or args.max_connections < 1:
        raise UsageError(
            "--header-timeout, --body-timeout, --keep-alive and --max-connections must be positive"
        )
    limits = ConnectionLimits(args.header_timeout, args.keep_alive, args.max_connections)
    try:
        return limits.uvicorn_options()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _uvicorn_options(args: argparse.Namespace) -> dict[str, Any]:
    """``uvicorn.run``'s keyword arguments but the app (it makes its ``Config`` of them): where to
    listen, the connections' limits, the trusted proxies; checked."""
    listen = {"host": args.host, "port": args.port, "log_level": args.log_level}
    return listen | _connection_options(args) | _proxy_options(args)


def _proxy_options(args: argparse.Namespace) -> dict[str, Any]:
    """uvicorn's trusted proxies, checked as uvicorn reads them (an address, or a network with
    ``/``): uvicorn takes anything else as a name no proxy has, so a typo would silently count
    every client as the proxy's one address. ``*`` is refused: any client could then name its own
    address in ``X-Forwarded-For``, a new one for each wrong key."""
    import ipaddress

    given, source = args.forwarded_allow_ips, "--forwarded-allow-ips"
    if given is None:  # uvicorn would read its variable unchecked: checked here the same way
        given, source = os.environ.get("FORWARDED_ALLOW_IPS"), "$FORWARDED_ALLOW_IPS"
    if given is None:
        return {}  # uvicorn's own default: this machine
    proxies = [item.strip() for item in given.split(",")]
    for proxy in proxies:
        if proxy == "*":
            raise UsageError(
                f"{source}: '*' would let any client name its own address in "
                "X-Forwarded-For (a new one for each wrong key); give the proxies' addresses or networks"
            )
        try:
            ipaddress.ip_network(proxy) if "/" in proxy else ipaddress.ip_address(proxy)
        except ValueError as exc:
            raise UsageError(
                f"{source}: {exc}; give the load balancers' or proxies' IP addresses "
                "or networks, comma-separated (10.0.0.7,10.0.1.0/24,fd00::/8)"
            ) from None
    return {"forwarded_allow_ips": proxies}


def run(args: argparse.Namespace) -> int:
    """The HTTP service (README, "HTTP service"); runs until stopped."""
    import uvicorn

    config = _server_config(args)
    options = _uvicorn_options(args)
    keyless = not config.api_keys and config.api_keys_file is None
    if not _is_loopback(args.host) and keyless:  # found by review: anyone could finalize
        raise UsageError(
            f"--host {args.host}: listening beyond this machine without an API key would let anyone issue, "
            "finalize and cancel certificates; give keys (EUR1PDF_API_KEYS, the settings file's "
            "api_keys_file, or --api-key-env) or listen on 127.0.0.1"
        )
    if not _is_loopback(args.host) and not args.public_url:
        print(
            f"eur1pdf: warning: no --public-url: finals' QR codes will open {config.public_url}",
            file=sys.stderr,
        )
    uvicorn.run(_app(config), **options)
    return 0


def _app(config: ServerConfig) -> Any:
    """The app, its registry opened and migrated before the server listens."""
    import sqlalchemy as sa

    from eur1pdf.service.app import create_app
    from eur1pdf.service.registry import display_url

    try:
        return create_app(config)
    except sa.exc.OperationalError as exc:
        where = display_url(config.registry_url or "")
        raise UsageError(f"--db: cannot open the registry at {where}: {exc.orig}") from None


def _server_config(args: argparse.Namespace) -> ServerConfig:
    """The operator's decisions, from the options and the settings file; checked before listening."""
    from eur1pdf.service.config import ServerConfig
    from eur1pdf.service.keys import configured_keys
    from eur1pdf.service.registry import database_url

    apply_settings(args)
    settings = load_settings(args.config)
    api_key = secret(args.api_key_env, "--api-key-env") if args.api_key_env else None
    printers = _printers(args)
    if args.workers < 1 or args.max_body < 1 or args.timeout <= 0 or args.queue < 1 or args.verify_limit <= 0:
        raise UsageError("--workers, --max-body, --timeout, --queue and --verify-limit must be positive")
    if not 0 < args.wrong_key_limit <= 6000:
        raise UsageError("--wrong-key-limit: give a number of wrong keys per minute above 0, at most 6000")
    args.public_url = args.public_url or settings.public_url
    public_url = _public_url(args.public_url) if args.public_url else _own_url(args.host, args.port)
    args.lock = bool(args.lock_password_env)
    base = FillOptions(  # final: what a final request uses; each request sets its own mode
        final=True, verify_url=args.verify_url, lock_password=lock_password(args), signing=signing_key(args)
    )
    _check_finals(base)
    configured_keys(settings.api_keys_file, api_key)  # every key checked before listening
    return ServerConfig(
        workers=args.workers,
        api_keys=tuple(configured_keys(None, api_key)),  # the keys file's are read (again) by the server
        api_keys_file=settings.api_keys_file,
        max_body_bytes=args.max_body,
        timeout_s=args.timeout,
        body_timeout_s=args.body_timeout,
        queue_per_worker=args.queue,
        printers=printers,
        base=base,
        registry_url=database_url(args.db or settings.db),
        public_url=public_url,
        verify_per_minute=args.verify_limit,
        key_failures_per_minute=args.wrong_key_limit,
    )


def _check_finals(base: FillOptions) -> None:
    """What finals need from the server, tried before it listens: a key that does not open or a link
    template that does not fill would otherwise be found by the first final request (and the
    server's fault answered as a 5xx to a client who can do nothing about it)."""
    if base.verify_url is not None:
        try:
            base.verify_url.format(serial="S", digest="D")
        except (KeyError, IndexError, ValueError) as exc:
            reason = f"{exc!s} is not a placeholder; use {{serial}} and {{digest}}"
            raise UsageError(f"--verify-url: {base.verify_url!r}: {reason}") from None
    if base.signing is not None:
        from eur1pdf.finish.signatures import SigningKeyError
        from eur1pdf.finish.signing import check_signing_key

        try:
            check_signing_key(base.signing.path, base.signing.passphrase)
        except SigningKeyError as exc:
            raise UsageError(f"--sign: {exc}") from None


def _public_url(url: str) -> str:
    """The public base URL, checked: http(s), a host, no query or fragment."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise UsageError(f"--public-url: give the base as https://host[/path], got {url!r}")
    return url.rstrip("/")


def _own_url(host: str, port: int) -> str:
    """The server's own address, for links when no public URL is given (right on this machine)."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _printers(args: argparse.Namespace) -> dict[str, PrinterProfile]:
    """The profiles requests may name: ``--printer`` as 'default', each ``--printer-profile NAME=FILE``."""
    printers: dict[str, PrinterProfile] = {}
    try:
        if args.printer:
            printers["default"] = load_profile(args.printer)
        for named in args.printer_profile or []:
            name, _, path = named.partition("=")
            if not name or not path:
                raise UsageError(f"--printer-profile: give NAME=PROFILE.toml, got {named!r}")
            printers[name] = load_profile(path)
    except Eur1pdfError as exc:  # refused before listening, exit 2 like any file the server cannot use
        raise UsageError(f"printer profile: {exc}") from None
    return printers


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
