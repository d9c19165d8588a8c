"""``eur1pdf db upgrade|export``: the registry's database — its schema, and a readable backup."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eur1pdf.cli.registry import add_db_option, open_registry
from eur1pdf.cli.shared import Subparsers


def add_parser(subparsers: Subparsers) -> None:
    db = subparsers.add_parser("db", help="the registry's database: upgrade its schema, export a backup")
    actions = db.add_subparsers(dest="action", required=True)
    upgrade = actions.add_parser("upgrade", help="create or migrate the registry's tables to this version")
    export = actions.add_parser("export", help="every record and its audit trail as JSON Lines")
    export.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="where to write (default -: stdout)"
    )
    export.add_argument(
        "--no-pdf", action="store_true", help="leave the final PDFs out (their SHA-256 stays)"
    )
    for action in (upgrade, export):
        add_db_option(action)
    db.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "upgrade":
        return _upgrade(args)
    from eur1pdf.service.registry.export import export_to_file, write_export

    with open_registry(args.db) as registry:
        if args.output == "-":
            count = write_export(registry, sys.stdout, with_pdf=not args.no_pdf)
        else:
            count = export_to_file(registry, Path(args.output), with_pdf=not args.no_pdf)
    where = "" if args.output == "-" else f" to {args.output}"
    print(f"eur1pdf: {count} certificate(s) exported{where}", file=sys.stderr)
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    from eur1pdf.service.registry import current_revision, display_url, upgrade

    with open_registry(args.db, must_exist=False, migrate=False) as registry:
        before, after = upgrade(registry.engine)
        assert current_revision(registry.engine) == after
    change = "already there" if before == after else f"from {before or 'an empty database'}"
    print(f"{display_url(registry.url)}: schema at revision {after} ({change})")
    return 0
