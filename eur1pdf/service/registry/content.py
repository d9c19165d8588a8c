"""What the registry stores of a certificate: checked data in canonical form, its digest,
the rules' findings, and the fill options its PDFs are made with."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eur1pdf.certificate.digest import canonical_bytes, digest_of
from eur1pdf.certificate.model import Certificate, certificate_from_data
from eur1pdf.errors import FitError, InputError, MissingGlyphError
from eur1pdf.options import FillOptions, OptionsError
from eur1pdf.rules import Finding, RuleViolation, findings_from_input_error, findings_from_render_error
from eur1pdf.rules import validate as rules_validate
from eur1pdf.rules.findings import INPUT_INVALID
from eur1pdf.service.registry.errors import InvalidRequest, RuleErrors

Renderer = Callable[[Mapping[str, Any], FillOptions], bytes]
"""Makes a PDF from certificate data: :func:`eur1pdf.render` by default; the HTTP service may
pass one that renders in its worker processes. Raises what ``render`` raises."""

REGISTRY_OPTIONS = ("end_mark", "sheets")  # a split final would be several serials: not here


@dataclass(frozen=True)
class Content:
    """A certificate checked and ready to store."""

    certificate: Certificate
    canonical: str
    digest: str
    findings: list[Finding]
    options: dict[str, Any]

    def findings_json(self) -> str:
        return json.dumps([f.to_dict() for f in self.findings], ensure_ascii=False)

    def options_json(self) -> str:
        return json.dumps(self.options, sort_keys=True)


def checked_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fill options a record keeps, checked by :class:`FillOptions` itself."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(REGISTRY_OPTIONS))
    if unknown:
        raise InvalidRequest(
            f"option {unknown[0]!r} is not one the registry keeps ({', '.join(REGISTRY_OPTIONS)})"
        )
    try:
        checked = FillOptions(draft=True, **options)
    except OptionsError as exc:
        raise InvalidRequest(str(exc)) from None
    kept = {"end_mark": checked.end_mark, "sheets": list(checked.sheets) if checked.sheets else None}
    return {key: value for key, value in kept.items() if value is not None}


def checked_content(data: Certificate | Mapping[str, Any], options: Mapping[str, Any] | None) -> Content:
    """The certificate checked against the input contract (else :class:`RuleErrors` with
    ``input.invalid`` findings) and its rules (the findings are kept, errors included:
    a provisional certificate may still be wrong)."""
    try:
        cert = certificate_from_data(data if isinstance(data, Certificate) else dict(data))
    except InputError as exc:
        raise RuleErrors(findings_from_input_error(exc.problems)) from None
    canonical = canonical_bytes(cert)
    return Content(
        certificate=cert,
        canonical=canonical.decode("utf-8"),
        digest=digest_of(canonical),
        findings=rules_validate(cert),
        options=checked_options(options),
    )


def draft_options(options: Mapping[str, Any]) -> FillOptions:
    """A provisional PDF: DRAFT marks, made even while rules are broken (they show as findings)."""
    return FillOptions(draft=True, allow_errors=True, **_fill_kwargs(options))


def final_options(options: Mapping[str, Any], verify_url: str, **finish: Any) -> FillOptions:
    """The final PDF: ORIGINAL/COPY marks, the QR code with ``verify_url``; lock and signing if given."""
    return FillOptions(final=True, verify_url=verify_url, **_fill_kwargs(options), **finish)


def _fill_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    sheets = options.get("sheets")
    return {"end_mark": options.get("end_mark"), "sheets": tuple(sheets) if sheets else None}


def check_finalizable(cert: Certificate) -> None:
    """A final needs a serial (it is what the registry keeps unique) and no rule errors."""
    findings = rules_validate(cert)
    if not cert.serial:
        message = "a final certificate needs a serial (its number): replace the data with one"
        findings = [INPUT_INVALID("serial", message), *findings]
    if any(f.severity == "error" for f in findings):
        raise RuleErrors(findings)


def render_checked(renderer: Renderer, data: Mapping[str, Any], options: FillOptions) -> bytes:
    """Render, turning every refusal of the data into :class:`RuleErrors` with findings."""
    try:
        return renderer(data, options)
    except RuleViolation as exc:
        raise RuleErrors(exc.findings) from None
    except (FitError, MissingGlyphError) as exc:
        raise RuleErrors(findings_from_render_error(exc)) from None
    except InputError as exc:
        raise RuleErrors(findings_from_input_error(exc.problems)) from None


def default_renderer(data: Mapping[str, Any], options: FillOptions) -> bytes:
    from eur1pdf.api import render

    return render(dict(data), options)
