"""Printer profiles: where one printer puts the data on one kind of pre-printed stock.

A print shop overlays the data (``--overlay-only``) onto official forms that
are already printed. Every printer feeds paper a little differently, and the
official paper may be a few millimetres shorter or longer than A4, so a shop
keeps a small TOML file per printer::

    offset_x_mm = 0.8    # positive moves the data right
    offset_y_mm = -1.2   # positive moves the data down
    scale_x = 1.0
    scale_y = 1.004      # paper 1.2 mm longer than 297 mm

    [layouts.eur1]       # values here replace the top-level ones for eur1 only
    offset_x_mm = 1.2

The profile becomes one affine transformation of the data layer (the blank
form, when present, stays where it is): a point measured (x, y) mm from the
page's top-left corner lands at (x * scale_x + offset_x, y * scale_y +
offset_y) mm. ``eur1pdf calibrate`` prints the sheet to measure the values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from eur1pdf.errors import Eur1pdfError, validation_lines
from eur1pdf.layouts.geometry import PT_PER_MM
from eur1pdf.pdf.matrix import IDENTITY, Matrix
from eur1pdf.small_files import FileRefused, NotToml, read_small_toml

OFFSET_LIMIT_MM = 50.0
SCALE_RANGE = (0.8, 1.2)

OffsetMm = Annotated[float, Field(ge=-OFFSET_LIMIT_MM, le=OFFSET_LIMIT_MM, allow_inf_nan=False)]
Scale = Annotated[float, Field(ge=SCALE_RANGE[0], le=SCALE_RANGE[1], allow_inf_nan=False)]

KEYS = ("offset_x_mm", "offset_y_mm", "scale_x", "scale_y")
_RANGES = {
    "offset_x_mm": f"from {-OFFSET_LIMIT_MM:g} to {OFFSET_LIMIT_MM:g} (mm)",
    "offset_y_mm": f"from {-OFFSET_LIMIT_MM:g} to {OFFSET_LIMIT_MM:g} (mm)",
    "scale_x": f"from {SCALE_RANGE[0]:g} to {SCALE_RANGE[1]:g}",
    "scale_y": f"from {SCALE_RANGE[0]:g} to {SCALE_RANGE[1]:g}",
}


class PrinterProfileError(Eur1pdfError):
    """A printer profile cannot be read or has a wrong key or value: names the file and the key."""


class _ProfileModel(BaseModel):
    # strict: "2" is not a number here (TOML has real numbers); ints are fine for floats
    # defer_build: validators built when a profile is first read (--printer), not when filling imports this
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class Adjustment(_ProfileModel):
    """The resolved correction for one layout: offsets in mm, scales about the top-left corner."""

    offset_x_mm: OffsetMm = 0.0
    offset_y_mm: OffsetMm = 0.0
    scale_x: Scale = 1.0
    scale_y: Scale = 1.0

    @property
    def is_identity(self) -> bool:
        return (self.offset_x_mm, self.offset_y_mm, self.scale_x, self.scale_y) == (0.0, 0.0, 1.0, 1.0)

    def apply_mm(self, x: float, y: float) -> tuple[float, float]:
        """Where a point (x, y) mm from the top-left lands, in mm from the top-left."""
        return (x * self.scale_x + self.offset_x_mm, y * self.scale_y + self.offset_y_mm)

    def matrix(self, page_height_pt: float) -> Matrix:
        """The PDF ``cm`` matrix (a b c d e f) in points, origin bottom-left.

        With H the page height: a top-down y becomes PDF Y = H - y, so
        Y' = H - (y * sy + oy) = Y * sy + H * (1 - sy) - oy, and X' = X * sx + ox.
        """
        if self.is_identity:
            return IDENTITY
        return (
            self.scale_x,
            0.0,
            0.0,
            self.scale_y,
            self.offset_x_mm * PT_PER_MM,
            page_height_pt * (1.0 - self.scale_y) - self.offset_y_mm * PT_PER_MM,
        )

    def describe(self) -> str:
        return (
            f"offset_x_mm = {self.offset_x_mm:g}, offset_y_mm = {self.offset_y_mm:g}, "
            f"scale_x = {self.scale_x:g}, scale_y = {self.scale_y:g}"
        )


class LayoutOverride(_ProfileModel):
    """``[layouts.NAME]``: the keys given replace the top-level values for that layout."""

    offset_x_mm: OffsetMm | None = None
    offset_y_mm: OffsetMm | None = None
    scale_x: Scale | None = None
    scale_y: Scale | None = None


class PrinterProfile(Adjustment):
    """A printer profile: top-level values, optionally overridden per layout."""

    layouts: dict[str, LayoutOverride] = Field(default_factory=dict, max_length=100)  # one a layout

    def for_layout(self, name: str) -> Adjustment:
        """The values that apply to layout ``name`` (its override over the top level)."""
        values = {key: getattr(self, key) for key in KEYS}
        override = self.layouts.get(name)
        if override is not None:
            values.update(override.model_dump(exclude_none=True))
        return Adjustment(**values)


def _message(error: ErrorDetails) -> str:
    """A profile's errors in a print shop's words: the allowed range, the known keys."""
    kind = error["type"]
    key = str(error["loc"][-1]) if error["loc"] else ""
    got = error.get("input")
    if kind == "extra_forbidden":
        known = ", ".join(KEYS) if len(error["loc"]) > 1 else ", ".join((*KEYS, "[layouts.NAME]"))
        return f"unknown key (known: {known})"
    if kind in ("greater_than_equal", "less_than_equal") and key in _RANGES:
        return f"must be {_RANGES[key]}, got {got:g}"
    if kind == "finite_number":
        return "must be a finite number"
    if kind in ("float_type", "float_parsing"):
        shown = repr(got) if len(repr(got)) <= 40 else f"{repr(got)[:40]}…"
        return f"must be a number, got {type(got).__name__} {shown}"
    if kind == "dict_type":
        return "must be a table, e.g. [layouts.eur1]"
    return str(error["msg"])


def parse_profile(raw: dict[str, Any], source: str) -> PrinterProfile:
    """Validate a profile's TOML data; errors name ``source`` and the key."""
    try:
        return PrinterProfile.model_validate(raw)
    except ValidationError as exc:
        raise PrinterProfileError("\n".join(validation_lines(exc, source, message=_message))) from None


def load_profile(path: str | Path) -> PrinterProfile:
    """Read and validate a printer profile (TOML).

    ``[layouts.NAME]`` must name a known layout (built-in or plug-in), so a misspelt table does
    not silently leave a layout uncorrected.
    """
    from eur1pdf.layouts import layout_names

    path = Path(path)
    try:
        raw = read_small_toml(path, "printer profile")
    except NotToml as exc:
        raise PrinterProfileError(f"{path}: {exc}") from None
    except FileRefused as exc:
        reason = "printer profile not found" if str(exc) == "file not found" else str(exc)
        raise PrinterProfileError(f"{path}: {reason}") from None
    profile = parse_profile(raw, str(path))
    known = layout_names()
    unknown = [name for name in profile.layouts if name not in known]
    if unknown:
        raise PrinterProfileError(
            f"{path}: layouts.{unknown[0]}: no layout named {unknown[0]!r} (layouts: {', '.join(known)})"
        )
    return profile


__all__ = [
    "Adjustment",
    "LayoutOverride",
    "PrinterProfile",
    "PrinterProfileError",
    "load_profile",
    "parse_profile",
]
