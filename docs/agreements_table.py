"""The agreement table of docs/input-contract.md, generated from eur1pdf/rules/data/agreements.toml.

    python docs/agreements_table.py           # print the table (Markdown)
    python docs/agreements_table.py --write   # replace it between the markers in docs/input-contract.md
    python docs/agreements_table.py --check   # exit 1 when the document's table differs from the data

The TOML is the single source of truth; this script only reads it (standard
library only, so it runs without eur1pdf installed).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "eur1pdf" / "rules" / "data" / "agreements.toml"
DOC = ROOT / "docs" / "input-contract.md"
START, END = "<!-- agreements:start -->", "<!-- agreements:end -->"


def _hs(row: dict[str, Any]) -> str:
    digits = row.get("hs_digits")
    if digits is None:
        return "—"
    text = f"exactly {digits}" if row.get("hs_exact", False) else f"at least {digits}"
    return text + (" (warning)" if row.get("hs_severity") == "warning" else "")


def _others(row: dict[str, Any]) -> str:
    """Every other rule of the row, in box order."""
    parts = []
    if row.get("country_codes"):
        parts.append("boxes 2, 4, 5 accept " + " and ".join(f"`{c}`" for c in row["country_codes"]))
    if row.get("consignee") == "required":
        parts.append("box 3 required")
    if row.get("destination_example"):
        parts.append(f"box 5 written like `{row['destination_example']}` (warning)")
    if row.get("transport") == "when_known":
        parts.append("box 6 when known (warning)")
    for statement in row.get("statements", []):
        dates = []
        if statement.get("since"):
            dates.append(f"from {statement['since']:%d.%m.%Y}")
        if statement.get("until"):
            dates.append(f"until {statement['until']:%d.%m.%Y}")
        named = ", ".join(f"`{form}`" for form in statement.get("forms") or [])
        forms = f" on {named}" if named else ""
        severity = statement.get("severity", "error")
        parts.append(f"box 7 `{statement['text']}`{forms} {' '.join(dates)} ({severity})".replace("  ", " "))
    if row.get("origin_criteria"):
        parts.append("box 8 origin criterion " + " / ".join(f"`{c}`" for c in row["origin_criteria"]))
    if row.get("max_items"):
        parts.append(f"box 8 at most {row['max_items']} items")
    if row.get("invoice") == "required":
        parts.append("box 10 required")
    elif row.get("invoice") == "advised":
        parts.append("box 10 advised (warning)")
    return "; ".join(parts) or "—"


def table() -> str:
    with DATA.open("rb") as fh:
        rows = tomllib.load(fh)
    lines = [
        "| key | agreement | certificate | `form` | HS digits (box 8) | other rules |",
        "|---|---|---|---|---|---|",
    ]
    for key, row in rows.items():
        if not row["certificate"]:
            refused = "no: origin declaration on the invoice only"
            lines.append(f"| `{key}` | {row['name']} | {refused} | — | — | — |")
            continue
        forms = ", ".join(f"`{f}`" for f in row.get("forms", []))
        lines.append(f"| `{key}` | {row['name']} | yes | {forms} | {_hs(row)} | {_others(row)} |")
    return "\n".join(lines)


def _replaced(document: str, new_table: str) -> str:
    head, rest = document.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{new_table}\n{END}{tail}"


def main(argv: list[str]) -> int:
    new_table = table()
    if not argv:
        print(new_table)
        return 0
    document = DOC.read_text(encoding="utf-8")
    updated = _replaced(document, new_table)
    if argv == ["--check"]:
        if updated != document:
            print(f"{DOC}: the agreement table differs from {DATA}; run {sys.argv[0]} --write")
            return 1
        return 0
    if argv == ["--write"]:
        DOC.write_text(updated, encoding="utf-8")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
