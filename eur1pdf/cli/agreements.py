"""``eur1pdf agreements``: the agreement keys a certificate's ``agreement`` may name, and their rules.

Read from the agreement table (eur1pdf/rules/data/agreements.toml), so the
list is the one the rules engine checks against, never a copy.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from eur1pdf.cli.shared import Subparsers
from eur1pdf.rules.agreements import Agreement, agreements


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "agreements",
        help="the agreement keys with their forms, HS digits and special rules",
        description="List the agreement keys a certificate's `agreement` may name: the agreement, "
        "whether it has a movement certificate, the forms it allows, the HS digits box 8 needs and "
        "its other rules.",
    )
    parser.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    parser.set_defaults(func=run)


def hs_rule(agreement: Agreement) -> str | None:
    """The HS digits box 8 needs, in words ("at least 4", "exactly 6 (warning)"), or None."""
    if agreement.hs_digits is None:
        return None
    text = f"{'exactly' if agreement.hs_exact else 'at least'} {agreement.hs_digits}"
    return text + (" (warning)" if agreement.hs_severity == "warning" else "")


def special_rules(agreement: Agreement) -> list[str]:
    """Every rule of the agreement besides its forms and HS digits, in box order."""
    rules = []
    if agreement.country_codes:
        rules.append("boxes 2, 4, 5 accept " + " and ".join(agreement.country_codes))
    if agreement.consignee == "required":
        rules.append("box 3 required")
    if agreement.destination_example:
        rules.append(f"box 5 written like {agreement.destination_example!r} (warning)")
    if agreement.transport == "when_known":
        rules.append("box 6 when known (warning)")
    for statement in agreement.statements:
        dates = [f"from {statement.since:%d.%m.%Y}"] if statement.since else []
        dates += [f"until {statement.until:%d.%m.%Y}"] if statement.until else []
        forms = f" on {', '.join(statement.forms)}" if statement.forms else ""
        rules.append(
            f"box 7 {statement.text!r}{forms} {' '.join(dates)} ({statement.severity})".replace("  ", " ")
        )
    if agreement.origin_criteria:
        rules.append("box 8 origin criterion " + " / ".join(agreement.origin_criteria))
    if agreement.max_items:
        rules.append(f"box 8 at most {agreement.max_items} items")
    if agreement.invoice == "required":
        rules.append("box 10 required")
    elif agreement.invoice == "advised":
        rules.append("box 10 advised (warning)")
    return rules


def agreement_json(agreement: Agreement) -> dict[str, Any]:
    """One agreement as listed by ``--format json``."""
    return {
        "key": agreement.key,
        "name": agreement.name,
        "certificate": agreement.certificate,
        "reason": agreement.reason,
        "forms": agreement.forms,
        "hs_digits": agreement.hs_digits,
        "hs_exact": agreement.hs_exact,
        "hs_severity": agreement.hs_severity if agreement.hs_digits is not None else None,
        "front_language": agreement.front_language,
        "rules": special_rules(agreement),
    }


def table() -> str:
    """The agreements as a plain-text table, one line per key."""
    rows = [("key", "agreement", "forms", "HS digits", "special rules")]
    for agreement in agreements().values():
        if not agreement.certificate:
            rows.append((agreement.key, agreement.name, "—", "—", "no certificate: origin declaration only"))
            continue
        rules = "; ".join(special_rules(agreement)) or "—"
        forms = ", ".join(agreement.forms)
        rows.append((agreement.key, agreement.name, forms, hs_rule(agreement) or "—", rules))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4]
        for row in rows
    )


def run(args: argparse.Namespace) -> int:
    if args.format == "json":
        print(json.dumps([agreement_json(a) for a in agreements().values()], indent=2, ensure_ascii=False))
    else:
        print(table())
    return 0
