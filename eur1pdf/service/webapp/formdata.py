"""The clerk's form and the certificate input, both ways.

Every input is named by its data path (``exporter.name``, ``items[2].hs_code``),
so a finding's ``field`` names the input it is about. Lists of lines
(addresses, remarks, invoices, cumulation partners) are text areas, one entry a
line. An empty optional text is left out; a part left wholly empty (no
consignee, no declaration yet) is left out too, so the findings say what is
missing rather than the form inventing values. What the form has no input for
(``split_serials``, the application's pre-examination …) travels unchanged in
the hidden field ``_rest`` as JSON, so importing a file and saving it loses nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

PARTY_FIELDS = ("name", "address", "country")
ITEM_FIELDS = ("marks", "packages", "description", "hs_code", "origin_criterion", "gross_mass")
LINE_LISTS = ("remarks", "invoices")
TEXTS = ("serial", "issue_date", "language", "origin", "destination", "transport")
PARTS = {  # objects of plain texts, left out when every one is empty
    "declaration": ("place", "date", "signatory"),
    "endorsement": ("office", "date", "reference", "export_document"),
}
APPLICATION = ("circumstances", "supporting_documents")
HANDLED = {
    "form", "agreement", "exporter", "consignee", "trade", "items", "cumulation", "duplicate",
    "retrospective", *LINE_LISTS, *TEXTS, *PARTS,
}  # fmt: skip
_ITEM = re.compile(r"items\[(\d{1,4})\]\.(\w+)")
MAX_ITEMS = 999


def parse_body(body: bytes) -> dict[str, str]:
    """An urlencoded form body (the last value of a name wins)."""
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _party(fields: Mapping[str, str], prefix: str) -> dict[str, Any] | None:
    name = fields.get(f"{prefix}.name", "").strip()
    address = _lines(fields.get(f"{prefix}.address", ""))
    country = fields.get(f"{prefix}.country", "").strip()
    if not (name or address or country):
        return None
    party: dict[str, Any] = {"name": name, "address": address}
    if country:
        party["country"] = country
    return party


def _items(fields: Mapping[str, str]) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for name, value in fields.items():
        match = _ITEM.fullmatch(name)
        if match and match[2] in ITEM_FIELDS and int(match[1]) < MAX_ITEMS:
            row = rows.setdefault(int(match[1]), {})
            if value.strip():
                row[match[2]] = value.strip()
    return [rows[n] for n in sorted(rows)]


def _cumulation(fields: Mapping[str, str]) -> dict[str, list[str]] | None:
    choice = fields.get("cumulation")
    if choice == "applied":
        return {"applied_with": _lines(fields.get("cumulation.applied_with", ""))}
    if choice == "none":
        return {"applied_with": []}
    return None


def _rest(fields: Mapping[str, str]) -> dict[str, Any]:
    try:
        rest = json.loads(fields.get("_rest") or "{}")
    except ValueError:
        return {}
    return {k: v for k, v in rest.items() if k not in HANDLED} if isinstance(rest, dict) else {}


def data_from_fields(fields: Mapping[str, str]) -> dict[str, Any]:
    """The certificate input the form's fields describe (checked later, by the model and the rules)."""
    data: dict[str, Any] = {"form": fields.get("form", "eur1"), "agreement": fields.get("agreement", "")}
    rest = _rest(fields)
    for name in TEXTS:
        if fields.get(name, "").strip():
            data[name] = fields[name].strip()
    for prefix in ("exporter", "consignee"):
        party = _party(fields, prefix)
        if party is not None:
            data[prefix] = party
    trade = {side: fields.get(f"trade.{side}", "").strip() for side in ("from", "to")}
    if any(trade.values()):
        data["trade"] = trade
    for name in LINE_LISTS:
        data[name] = _lines(fields.get(name, ""))
    cumulation = _cumulation(fields)
    if cumulation is not None:
        data["cumulation"] = cumulation
    for flag in ("duplicate", "retrospective"):
        if fields.get(flag) == "true":
            data[flag] = True
    data["items"] = _items(fields)
    for part, names in PARTS.items():
        values = {name: fields.get(f"{part}.{name}", "").strip() for name in names}
        if any(values.values()):
            data[part] = {name: value for name, value in values.items() if value}
    kept = rest.pop("application", None)  # a hand-made _rest may hold anything: only an object is kept
    application = dict(kept) if isinstance(kept, Mapping) else {}
    for name in APPLICATION:
        application[name] = fields.get(f"application.{name}", "").strip() or None
    data["application"] = application
    return data | rest


def shape_problem(data: Mapping[str, Any]) -> str | None:
    """What in an imported file the form cannot hold (a part that is not an object, a list that is
    not a list of texts), named; None when every part has its shape. Without it a party given as a
    text failed the page with an internal error, and an address given as one text became a line
    per character."""
    objects = ("exporter", "consignee", "trade", "cumulation", "application", *PARTS)
    for name in objects:
        if data.get(name) is not None and not isinstance(data[name], Mapping):
            return f"{name}: an object ({{...}}) is expected"
    lists = {name: data.get(name) for name in LINE_LISTS}
    lists |= {f"{p}.address": (data.get(p) or {}).get("address") for p in ("exporter", "consignee")}
    lists["cumulation.applied_with"] = (data.get("cumulation") or {}).get("applied_with")
    for name, value in lists.items():
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            return f"{name}: a list of texts is expected"
    items = data.get("items")
    if items is not None and not (isinstance(items, list) and all(isinstance(i, Mapping) for i in items)):
        return "items: a list of objects is expected"
    return None


def fields_from_data(data: Mapping[str, Any]) -> dict[str, str]:
    """The form's field values for certificate data (a stored record, an imported file)."""
    fields: dict[str, str] = {
        "form": str(data.get("form") or "eur1"),
        "agreement": str(data.get("agreement") or ""),
    }
    for name in TEXTS:
        if data.get(name) is not None:
            fields[name] = str(data[name])
    for prefix in ("exporter", "consignee"):
        party = data.get(prefix) or {}
        fields[f"{prefix}.name"] = str(party.get("name") or "")
        fields[f"{prefix}.address"] = "\n".join(str(line) for line in party.get("address") or [])
        fields[f"{prefix}.country"] = str(party.get("country") or "")
    trade = data.get("trade") or {}
    fields["trade.from"], fields["trade.to"] = str(trade.get("from") or ""), str(trade.get("to") or "")
    for name in LINE_LISTS:
        fields[name] = "\n".join(str(line) for line in data.get(name) or [])
    cumulation = data.get("cumulation")
    if isinstance(cumulation, Mapping):
        partners = cumulation.get("applied_with") or []
        fields["cumulation"] = "applied" if partners else "none"
        fields["cumulation.applied_with"] = "\n".join(str(p) for p in partners)
    for flag in ("duplicate", "retrospective"):
        if data.get(flag) is True:
            fields[flag] = "true"
    for n, item in enumerate(data.get("items") or []):
        for name in ITEM_FIELDS:
            fields[f"items[{n}].{name}"] = str((item or {}).get(name) or "")
    for part, names in PARTS.items():
        values = data.get(part) or {}
        for name in names:
            fields[f"{part}.{name}"] = str(values.get(name) or "")
    application = data.get("application") or {}
    for name in APPLICATION:
        fields[f"application.{name}"] = str(application.get(name) or "")
    rest = {k: v for k, v in data.items() if k not in HANDLED and k != "application"}
    others = {k: v for k, v in application.items() if k not in APPLICATION}
    if others:
        rest["application"] = others
    fields["_rest"] = json.dumps(rest, ensure_ascii=False, sort_keys=True) if rest else ""
    return fields


def item_count(fields: Mapping[str, str]) -> int:
    return len(_items(fields))


def moved_items(fields: dict[str, str], action: str) -> dict[str, str]:
    """The fields after ``add_item``, ``remove:N``, ``up:N`` or ``down:N`` on box 8's table."""
    items = _items(fields)
    verb, _, number = action.partition(":")
    n = int(number) if number.isdigit() else -1
    if verb == "add_item" and len(items) < MAX_ITEMS:
        items.append({})
    elif verb == "remove" and 0 <= n < len(items):
        del items[n]
    elif verb == "up" and 0 < n < len(items):
        items[n - 1], items[n] = items[n], items[n - 1]
    elif verb == "down" and 0 <= n < len(items) - 1:
        items[n], items[n + 1] = items[n + 1], items[n]
    kept = {k: v for k, v in fields.items() if not _ITEM.fullmatch(k)}
    for i, item in enumerate(items):
        for name in ITEM_FIELDS:
            kept[f"items[{i}].{name}"] = item.get(name, "")
    return kept
