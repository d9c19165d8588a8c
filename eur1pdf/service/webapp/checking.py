"""The live check: the findings of ``validate`` by box, box 8's capacity, and the preview.

The findings are exactly what ``POST /v1/validate`` answers (input problems
as ``input.invalid``, the rules, what cannot be placed); each goes to the
region of its box (box 9's to box 8's, where gross masses are entered),
the rest to the list at the top. The preview is the PNG ``POST /v1/preview``
makes (a draft, made even while rules are broken), rendered in the worker
processes and kept briefly for the session that asked for it.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from html import escape
from typing import Any

from eur1pdf.certificate.model import Certificate, certificate_from_data
from eur1pdf.errors import Eur1pdfError, InputError
from eur1pdf.layouts import get_layout, layout_names
from eur1pdf.placement.goods import split_items
from eur1pdf.rules import Finding, findings_from_input_error, validate
from eur1pdf.rules.agreements import agreements
from eur1pdf.service.webapp.grid import regions

PREVIEW_DPI = 80
PREVIEWS_KEPT = 64


@dataclass(frozen=True)
class Checked:
    """What the check found for one state of the form."""

    findings: list[Finding]
    certificate: Certificate | None  # None: the input does not follow the contract yet

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors


def check(data: dict[str, Any]) -> Checked:
    """``validate``'s findings for the form's data (as ``POST /v1/validate``)."""
    try:
        cert = certificate_from_data(data)
    except InputError as exc:
        return Checked(findings_from_input_error(exc.problems), None)
    return Checked(validate(cert), cert)


def region_of(finding: Finding, form: str) -> str:
    """The page region a finding is shown in."""
    keys = {region.key for region in regions(form)} if form in layout_names() else set()
    if finding.field and finding.field.startswith("application"):
        return "sheet3"
    box = "8" if finding.box == 9 else str(finding.box) if finding.box is not None else ""
    if not box and finding.field in ("serial", "issue_date", "language"):
        return "header"
    return box if box in keys else "general"


def findings_by_region(checked: Checked, form: str) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in checked.findings:
        out.setdefault(region_of(finding, form), []).append(finding)
    return out


def findings_html(findings: list[Finding]) -> str:
    if not findings:
        return ""
    items = "".join(
        f'<li class="finding {escape(f.severity)}" data-field="{escape(f.field or "")}">'
        f"<strong>{'Error' if f.severity == 'error' else 'Warning'}</strong> "
        f"{escape(_where(f))}{escape(f.message)} <code>{escape(f.code)}</code></li>"
        for f in findings
    )
    return f"<ul>{items}</ul>"


def _where(finding: Finding) -> str:
    return f"{finding.field}: " if finding.field and finding.code == "input.invalid" else ""


def summary_text(checked: Checked, changeable: bool = True) -> str:
    """The line above the form; ``changeable`` off (another key's certificate, no scope issue):
    it does not promise a finalization this key cannot make."""
    if not checked.findings:
        return "No findings: the certificate can be finalized once saved." if changeable else "No findings."
    parts = []
    if checked.errors:
        parts.append(f"{checked.errors} error{'s' if checked.errors != 1 else ''}")
    if checked.warnings:
        parts.append(f"{checked.warnings} warning{'s' if checked.warnings != 1 else ''}")
    waits = checked.errors and changeable
    return " and ".join(parts) + (": finalizing waits until no error remains." if waits else ".")


def capacity_text(data: dict[str, Any], checked: Checked) -> str:
    """ "12 of 50 items", and "will split into 2 certificates" when box 8 cannot hold them all."""
    count = len(data.get("items") or [])
    form = str(data.get("form") or "eur1")
    if form not in layout_names():
        return f"{count} item{'s' if count != 1 else ''}"
    goods = get_layout(form).certificate_face.goods
    limits = [goods.max_items] if goods is not None and goods.max_items else []
    row = agreements().get(str(data.get("agreement") or ""))
    if row is not None and row.max_items:
        limits.append(row.max_items)
    text = f"{count} of {min(limits)} items" if limits else f"{count} item{'s' if count != 1 else ''}"
    cert = checked.certificate
    if cert is not None and cert.items:
        try:
            parts = len(split_items(cert.items, get_layout(form), get_layout(form).certificate_face))
        except Eur1pdfError:
            return text + "; an item is too long for box 8 alone"
        if parts > 1:
            text += f"; box 8 cannot hold them all: will split into {parts} certificates"
    return text


class PreviewStore:
    """Preview PNGs by a random token, each readable only by the session that made it."""

    def __init__(self) -> None:
        self.kept: OrderedDict[str, tuple[str, bytes]] = OrderedDict()

    def put(self, session_id: str, png: bytes) -> str:
        token = secrets.token_urlsafe(12)
        self.kept[token] = (session_id, png)
        while len(self.kept) > PREVIEWS_KEPT:
            self.kept.popitem(last=False)
        return token

    def get(self, session_id: str, token: str) -> bytes | None:
        owner, png = self.kept.get(token, ("", b""))
        return png if owner and secrets.compare_digest(owner, session_id) else None


def check_fragments(data: dict[str, Any], checked: Checked, preview: str | None, finalizable: bool) -> str:
    """The live check's answer: htmx out-of-band swaps for every findings list, the summary,
    box 8's capacity, the preview and the finalize button."""
    form = str(data.get("form") or "eur1")
    by_region = findings_by_region(checked, form)
    keys = [region.key for region in regions(form)] + ["sheet3", "general"]
    out = [
        f'<div class="findings" id="findings-{key}" aria-live="polite" hx-swap-oob="true">'
        f"{findings_html(by_region.get(key, []))}</div>"
        for key in keys
    ]
    state = "errors" if checked.errors else "warnings" if checked.findings else "clean"
    out.append(
        f'<p id="summary" class="summary {state}" role="status" hx-swap-oob="true">'
        f"{escape(summary_text(checked))}</p>"
    )
    out.append(f'<p id="capacity" hx-swap-oob="true">{escape(capacity_text(data, checked))}</p>')
    if preview is not None:
        out.append(preview_html(preview, oob=True))
    disabled = "" if finalizable and not checked.errors else " disabled"
    out.append(finalize_button(disabled, oob=True))
    return "".join(out)


def preview_html(src: str | None, oob: bool = False) -> str:
    swap = ' hx-swap-oob="true"' if oob else ""
    if src is None:
        note = "The preview appears once the form can be read."
        return f'<div id="preview"{swap}><p class="note">{note}</p></div>'
    return (
        f'<div id="preview"{swap}><img src="{escape(src)}" width="661" height="935" '
        f'alt="Preview of the certificate\'s first page, as the draft PDF shows it"></div>'
    )


def finalize_button(disabled: str, oob: bool = False) -> str:
    swap = ' hx-swap-oob="true"' if oob else ""
    return (
        f'<button id="finalize" type="submit" name="action" value="finalize" class="primary"{swap}{disabled}>'
        "Finalize</button>"
    )
