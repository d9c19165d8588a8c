"""The verification page as HTML: plain server-made markup, one style sheet from eur1pdf itself,
no script, no font or file from elsewhere. Every value from the registry is escaped.

Labels are the form's own (box numbers and wording of the EUR.1), so an officer
holding the paper finds each value where the form has it.
"""

from __future__ import annotations

import functools
from datetime import datetime
from html import escape
from pathlib import Path
from string import Template
from typing import Any

TEMPLATE = Path(__file__).with_name("templates") / "verify.html"

# status -> (mark, headline, advice)
STATES: dict[str, tuple[str, str, str]] = {
    "valid": (
        "✓",
        "VALID",
        "This certificate was issued and is in force. Compare the document in front of you with "
        "the issuing data below: they must agree.",
    ),
    "cancelled": (
        "✕",
        "CANCELLED",
        "This certificate was issued, then cancelled by the issuer. It is no longer valid proof of origin.",
    ),
    "not_found": (
        "?",
        "NOT FOUND",
        "No certificate with this serial number was issued by this registry. Check the serial number "
        "against the document; do not accept the document on this check alone.",
    ),
    "does_not_match": (
        "≠",
        "DOES NOT MATCH",
        "A certificate with this serial number was issued, but not with the content of the document "
        "whose link you followed. The document may have been altered: do not accept it.",
    ),
    "limited": ("…", "TRY AGAIN SHORTLY", "Too many checks came from your address in a short time."),
}


@functools.cache
def _template() -> Template:
    return Template(TEMPLATE.read_text(encoding="utf-8"))


def _when(iso: str | None) -> str:
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).strftime("%d %B %Y, %H:%M UTC").lstrip("0")


def _day(iso_date: str | None) -> str:
    """A date as "22 November 2026": read the same way in every country."""
    if not iso_date:
        return "—"
    return datetime.fromisoformat(iso_date).strftime("%d %B %Y").lstrip("0")


def _lines(*values: Any) -> str:
    return "<br>".join(escape(str(v)) for v in values if v)


def _party_html(party: dict[str, Any] | None) -> str:
    if not party:
        return '<span class="none">—</span>'
    name = f"<strong>{escape(party.get('name') or '')}</strong>"
    rest = _lines(*party.get("address", []), party.get("country"))
    return name + ("<br>" + rest if rest else "")


def _row(box: str, label: str, value_html: str) -> str:
    number = f'<span class="box">{escape(box)}</span> ' if box else ""
    return f'<div class="row"><dt>{number}{escape(label)}</dt><dd>{value_html}</dd></div>'


def _goods_html(goods: list[dict[str, Any]]) -> str:
    items = []
    for item in goods:
        facts = " · ".join(
            escape(str(value))
            for value in (
                item.get("marks"),
                item.get("packages"),
                f"HS {item['hs_code']}" if item.get("hs_code") else None,
            )
            if value
        )
        mass = escape(item.get("gross_mass") or "—")
        items.append(
            f'<li><span class="item-no">{item["item"]}</span>'
            f'<span class="item-text"><span class="item-desc">{escape(item.get("description") or "")}</span>'
            f'<span class="item-facts">{facts}</span></span>'
            f'<span class="item-mass" title="Gross mass">{mass}</span></li>'
        )
    return '<ol class="goods">' + "".join(items) + "</ol>"


def _details_html(certificate: dict[str, Any]) -> str:
    trade = certificate["trade"]
    rows = [
        _row("", "Form", escape(certificate["form"])),
        _row("", "Date of issue", escape(_day(certificate.get("issue_date")))),
        _row("", "Registered as final", escape(_when(certificate.get("finalized_at")))),
        _row("1", "Exporter (Name, full address, country)", _party_html(certificate["exporter"])),
        _row(
            "2",
            "Certificate used in preferential trade between",
            f'{escape(trade.get("from") or "")} <span class="and">and</span> {escape(trade.get("to") or "")}',
        ),
        _row("3", "Consignee (Name, full address, country)", _party_html(certificate["consignee"])),
        _row(
            "4",
            "Country, group of countries or territory in which the products are considered as originating",
            escape(certificate.get("origin") or "—"),
        ),
        _row(
            "5",
            "Country, group of countries or territory of destination",
            escape(certificate.get("destination") or "—"),
        ),
    ]
    goods = (
        '<section class="goods-section"><h2><span><span class="box">8</span> Description of goods</span> '
        '<span class="goods-mass-label"><span class="box">9</span> Gross mass</span></h2>'
        + _goods_html(certificate["goods"])
        + "</section>"
    )
    return '<section class="data"><h2>Issuing data</h2><dl>' + "".join(rows) + "</dl></section>" + goods


def _preview_html(preview: str, cancelled: bool) -> str:
    source = escape(preview, quote=True)
    stamp = '<span class="stamp">CANCELLED</span>' if cancelled else ""
    return (
        '<figure class="preview"><a href="' + source + '">' + stamp + "<img"
        ' src="' + source + '" width="827" height="1170" '
        'alt="The certificate&#8217;s first page as issued"></a>'
        "<figcaption>The certificate as issued (first page, from the registry&#8217;s copy).</figcaption>"
        "</figure>"
    )


def _banner_detail(answer: dict[str, Any]) -> str:
    if answer["status"] == "cancelled":
        return (
            f'<p class="detail">Cancelled on <strong>{escape(_when(answer.get("cancelled_at")))}</strong>'
            f"<br>Reason: <strong>{escape(answer.get('cancel_reason') or '—')}</strong></p>"
        )
    if answer["status"] == "valid":
        finalized = answer["certificate"].get("finalized_at")
        return f'<p class="detail">Registered as final on {escape(_when(finalized))}</p>'
    if answer["status"] == "limited":
        return f'<p class="detail">{escape(answer.get("message") or "")}</p>'
    return ""


def page_html(answer: dict[str, Any], preview: str | None) -> str:
    """The page for a verification answer (see :func:`verification`); ``preview``: the PNG's
    link relative to the page, or None."""
    mark, headline, advice = STATES[answer["status"]]
    content = ""
    if "certificate" in answer:
        content = '<div class="columns"><div class="text">' + _details_html(answer["certificate"]) + "</div>"
        content += _preview_html(preview, answer["status"] == "cancelled") if preview else ""
        content += "</div>"
    return _template().substitute(
        title=escape(f"{headline} — certificate {answer['serial']}"),
        root="..",
        state=answer["status"].replace("_", "-"),
        mark=mark,
        headline=headline,
        serial=escape(answer["serial"]),
        banner_detail=_banner_detail(answer),
        advice=escape(advice),
        content=content,
        checked_at=escape(_when(answer.get("checked_at"))),
    )
