"""``eur1pdf registry list|show|cancel``: the certificate registry, for an operator.

Changes made here are in the audit trail under ``--actor`` (default: the
login name as ``cli:NAME``), so they stand apart from the API keys' names.
"""

from __future__ import annotations

import argparse
import getpass
import json
from typing import TYPE_CHECKING

from eur1pdf.cli.shared import Subparsers, UsageError

if TYPE_CHECKING:
    from eur1pdf.service.registry import Record, Registry

ID_HELP = "the certificate's id (an older id that begins with '-' goes after --)"


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help="the registry: sqlite:///FILE or postgresql://… "
        "(default: $EUR1PDF_DB, else ~/.local/share/eur1pdf/registry.db)",
    )


def open_registry(url: str | None, must_exist: bool = True, migrate: bool = True) -> Registry:
    """The registry at ``url`` (migrated unless ``migrate`` is off); a missing SQLite file is an
    error unless ``must_exist`` is off: an operator's typo must not make an empty registry."""
    import sqlalchemy as sa

    from eur1pdf.service.registry import Registry, database_url, display_url

    full_url = database_url(url)
    database = sa.engine.make_url(full_url).database
    if must_exist and full_url.startswith("sqlite") and database and not _exists(database):
        raise UsageError(f"--db: no registry at {database} (eur1pdf db upgrade --db … makes one)")
    try:
        return Registry(full_url, migrate=migrate)
    except sa.exc.OperationalError as exc:
        raise UsageError(f"--db: cannot open the registry at {display_url(full_url)}: {exc.orig}") from None


def _exists(path: str) -> bool:
    from pathlib import Path

    return Path(path).exists()


def add_parser(subparsers: Subparsers) -> None:
    registry = subparsers.add_parser("registry", help="the certificate registry: list, show, cancel")
    actions = registry.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="certificates, newest first")
    listing.add_argument("--status", choices=["provisional", "final", "cancelled"])
    listing.add_argument("--serial", help="only certificates with this serial")
    listing.add_argument(
        "--created-by", metavar="NAME", help="only the certificates this key (or operator) created"
    )
    listing.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    listing.add_argument("--json", action="store_true", help="JSON Lines instead of a table")
    show = actions.add_parser("show", help="one certificate: its record, data and audit trail")
    show.add_argument("id", help=ID_HELP)
    show.add_argument("--json", action="store_true", help="as JSON")
    cancel = actions.add_parser("cancel", help="cancel a final certificate, with a reason")
    cancel.add_argument("id", help=ID_HELP)
    cancel.add_argument("--reason", required=True, help="why (shown on the verification page)")
    cancel.add_argument("--actor", help="your name for the audit trail (default: cli:$USER)")
    for action in (listing, show, cancel):
        add_db_option(action)
    registry.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open_registry(args.db) as registry:
        if args.action == "list":
            return _list(registry, args)
        if args.action == "show":
            return _show(registry, args)
        actor = args.actor or f"cli:{getpass.getuser()}"
        record = registry.cancel(args.id, args.reason, actor)
        print(f"{record.id}: cancelled (serial {record.serial}) by {actor}: {record.cancel_reason}")
        return 0


def _list(registry: Registry, args: argparse.Namespace) -> int:
    records = registry.records(
        status=args.status, serial=args.serial, created_by=args.created_by, limit=args.limit
    )
    if args.json:
        for record in records:
            print(json.dumps(record.to_dict(with_data=False), ensure_ascii=False))
        return 0
    print(
        f"{'id':<22}  {'status':<11}  {'serial':<16}  {'form':<9}  {'agreement':<10}  "
        f"{'updated (UTC)':<19}  created by"
    )
    for record in records:
        print(
            f"{record.id:<22}  {record.status:<11}  {record.serial or '—':<16}  {record.form:<9}  "
            f"{record.agreement:<10}  {record.updated_at:%Y-%m-%d %H:%M:%S}  {record.created_by or '—'}"
        )
    total = registry.count(status=args.status, serial=args.serial, created_by=args.created_by)
    print(f"{len(records)} of {total} certificate(s)")
    return 0


def _show(registry: Registry, args: argparse.Namespace) -> int:
    record = registry.get(args.id)
    trail = registry.audit(args.id)
    if args.json:
        out = record.to_dict() | {"audit": [entry.to_dict() for entry in trail]}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    _print_record(record)
    print("audit:")
    for entry in trail:
        detail = ", ".join(f"{k}={v}" for k, v in entry.detail.items())
        print(f"  {entry.at:%Y-%m-%d %H:%M:%S} UTC  {entry.action:<10} by {entry.key_name}  {detail}")
    return 0


def _print_record(record: Record) -> None:
    lines = [
        ("id", record.id),
        ("status", record.status),
        ("serial", record.serial or "—"),
        ("form", f"{record.form} ({record.agreement})"),
        ("digest", record.digest),
        ("created", f"{record.created_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("finalized", f"{record.finalized_at:%Y-%m-%d %H:%M:%S} UTC" if record.finalized_at else "—"),
        ("link", record.verify_link or "—"),
    ]
    if record.cancelled_at:
        lines.append(("cancelled", f"{record.cancelled_at:%Y-%m-%d %H:%M:%S} UTC: {record.cancel_reason}"))
    for name, value in lines:
        print(f"{name + ':':<11}{value}")
    for finding in record.findings:
        print(f"  {finding}")
    exporter = record.data.get("exporter", {}).get("name", "")
    consignee = (record.data.get("consignee") or {}).get("name", "")
    print(f"{'exporter:':<11}{exporter}\n{'consignee:':<11}{consignee or '—'}")
    print(f"{'items:':<11}{len(record.data.get('items', []))}")
