"""What a layout file may ask for: its numbers' ranges, its counts, its formats.

Kept apart from the schema so that the limits are read in one place (README, "Reliability"
quotes them) and the schema stays the form's shape.
"""

from __future__ import annotations

import string
from typing import Annotated

from pydantic import Field

# What a layout file may ask for (README, "Reliability"): far beyond every form eur1pdf knows
# (at most 5 faces, 12 boxes, 26 texts a face, labels of 364 characters), low enough that no
# layout makes loading or drawing slow or memory-hungry. Every number is also finite: TOML's
# nan and inf are refused with the field (the model's config, allow_inf_nan=False).
LIMITS = {
    "page_mm": 1200,  # a side of the page (A0 is 841 x 1189 mm); every length and position
    "faces": 20,
    "sheets": 10,
    "boxes": 60,  # boxes of a face
    "texts": 200,  # static texts of a face or a box
    "shapes": 500,  # static shapes of a face or a box
    "fields": 60,  # data fields of a face or a box
    "footnotes": 20,
    "columns": 20,  # goods columns
    "chars": 2000,  # characters of any text of the layout (a label, a static text, a name)
    "max_lines": 200,  # a field's max_lines
    "max_items": 999,  # the goods list's max_items (the certificate's own item limit)
}

Mm = Annotated[float, Field(ge=0, le=LIMITS["page_mm"])]
PositiveMm = Annotated[float, Field(gt=0, le=LIMITS["page_mm"])]
PointSize = Annotated[float, Field(ge=2, le=72)]  # points: smaller is unreadable, larger no box holds
MarkSize = Annotated[float, Field(ge=2, le=400)]  # a watermark across the page
LineWidthPt = Annotated[float, Field(gt=0, le=5)]
Leading = Annotated[float, Field(ge=1.0, le=3.0)]  # a factor of the font size
# a font file's name without .ttf: the file is beside the layout (or eur1pdf's), never elsewhere
FontStem = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^/\\\x00]+$")]
Intensity = Annotated[float, Field(ge=0, le=1)]
Colour = tuple[Intensity, Intensity, Intensity]  # red, green, blue


def plain_slots(name: str, fmt: str, slot: str) -> None:
    """A format of the layout fills in one value, as it is: ``{n:>99999999}`` would make a
    100 MB string, ``{m}`` or ``{0}`` fail at the first certificate, ``{n.__class__}`` read
    attributes. Literal braces are written ``{{`` and ``}}``."""
    wanted = "{" + slot + "}"
    try:
        fields = [
            (field, spec, conv) for _, field, spec, conv in string.Formatter().parse(fmt) if field is not None
        ]
    except ValueError as exc:
        raise ValueError(f"{name} is not a format ({exc}); write a brace as {{{{ or }}}}") from None
    for field, spec, conv in fields:
        if field != slot or spec or conv:
            raise ValueError(f"{name} may only contain {wanted} where the value goes, found {{{field}…}}")
