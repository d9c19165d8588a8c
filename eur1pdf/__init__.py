"""eur1pdf: customs proof-of-origin certificates (EUR.1 and family) as PDF.

The flow (DESIGN.md): data -> validated :class:`Certificate` -> placement
through the form's layout -> overlay PDF -> composed onto the blank form.

The names below are imported on first use (PEP 562 ``__getattr__``): ``import
eur1pdf``, ``eur1pdf --version`` and the pytest plug-in, which every project
that installs eur1pdf loads, cost nothing until something is actually used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from eur1pdf.api import FillOptions, fill_file, render
    from eur1pdf.bulk.render_many import RenderResult, render_many
    from eur1pdf.certificate.model import Certificate, certificate_from_data, load_certificate
    from eur1pdf.declaration.api import DeclareResult, declare
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

#: Each public name and the module that defines it.
_LAZY_NAMES = {
    "FillOptions": "eur1pdf.api",
    "fill_file": "eur1pdf.api",
    "render": "eur1pdf.api",
    "RenderResult": "eur1pdf.bulk.render_many",
    "render_many": "eur1pdf.bulk.render_many",
    "Certificate": "eur1pdf.certificate.model",
    "certificate_from_data": "eur1pdf.certificate.model",
    "load_certificate": "eur1pdf.certificate.model",
    "declare": "eur1pdf.declaration.api",
    "DeclareResult": "eur1pdf.declaration.api",
    "Eur1pdfError": "eur1pdf.errors",
    "FitError": "eur1pdf.errors",
    "GoodsOverflowError": "eur1pdf.errors",
    "InputError": "eur1pdf.errors",
    "LayoutError": "eur1pdf.errors",
    "MissingGlyphError": "eur1pdf.errors",
    "OutputError": "eur1pdf.errors",
    "Problem": "eur1pdf.errors",
    "get_layout": "eur1pdf.layouts",
    "load_layout_file": "eur1pdf.layouts",
    "Finding": "eur1pdf.rules",
    "RuleViolation": "eur1pdf.rules",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'eur1pdf' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY_NAMES])


def validate(data: Certificate | dict) -> list[Finding]:
    """The findings for a certificate (model or plain data): what ``eur1pdf validate`` prints.

    Contract violations (unknown field, wrong type …) raise :class:`InputError`;
    rule findings are returned, errors first.
    """
    from eur1pdf.certificate.model import certificate_from_data
    from eur1pdf.rules import validate as _validate

    return _validate(certificate_from_data(data))


__all__ = [
    "Certificate",
    "DeclareResult",
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
    "declare",
    "fill_file",
    "get_layout",
    "load_certificate",
    "load_layout_file",
    "render",
    "render_many",
    "validate",
]
