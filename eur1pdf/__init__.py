"""eur1pdf: customs proof-of-origin certificates (EUR.1 and family) as PDF.

The flow (DESIGN.md): data -> validated :class:`Certificate` -> placement
through the form's layout -> overlay PDF -> composed onto the blank form.
"""

from __future__ import annotations

__version__ = "0.1.0"

from eur1pdf.api import FillOptions, fill_file, render
from eur1pdf.bulk.render_many import RenderResult, render_many
from eur1pdf.certificate.model import Certificate, certificate_from_data, load_certificate
from eur1pdf.errors import (
    Eur1pdfError,
    FitError,
    GoodsOverflowError,
    InputError,
    LayoutError,
    MissingGlyphError,
    OutputError,
    Problem,
)
from eur1pdf.layouts import get_layout, load_layout_file
from eur1pdf.rules import Finding, RuleViolation


def validate(data: Certificate | dict) -> list[Finding]:
    """The findings for a certificate (model or plain data): what ``eur1pdf validate`` prints.

    Contract violations (unknown field, wrong type …) raise :class:`InputError`;
    rule findings are returned, errors first.
    """
    from eur1pdf.rules import validate as _validate

    return _validate(certificate_from_data(data))


__all__ = [
    "Certificate",
    "Eur1pdfError",
    "FillOptions",
    "Finding",
    "FitError",
    "GoodsOverflowError",
    "InputError",
    "LayoutError",
    "MissingGlyphError",
    "OutputError",
    "Problem",
    "RenderResult",
    "RuleViolation",
    "certificate_from_data",
    "fill_file",
    "get_layout",
    "load_certificate",
    "load_layout_file",
    "render",
    "render_many",
    "validate",
]
