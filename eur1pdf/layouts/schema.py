"""The layout schema: a form's geometry as validated data.

A layout defines a form once (DESIGN.md, "single sources of truth"): page size,
each box's rectangle in millimetres with the origin at the top-left corner as a
person measures a form, its label, the static texts and shapes of the blank
form, where each piece of data goes, and box 8's goods columns. The blank form
is drawn from it and the data is placed by it, so the two cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from eur1pdf.layouts.limits import (
    LIMITS,
    Colour,
    FontStem,
    Leading,
    LineWidthPt,
    MarkSize,
    Mm,
    PointSize,
    PositiveMm,
    plain_slots,
)

if TYPE_CHECKING:
    from eur1pdf.layouts.prepared import PreparedLayout

FontRole = Literal["regular", "bold", "italic", "data"]
Align = Literal["left", "center", "right"]

# What a data field can show; placement.sources turns each into text lines.
FieldSource = Literal[
    "serial",
    "exporter",
    "trade.from",
    "trade.to",
    "consignee",
    "origin",
    "destination",
    "transport",
    "remarks",
    "remarks.besides_cumulation",  # EUR-MED: the remarks without the cumulation, which has its own line
    "cumulation.countries",  # EUR-MED: on the dotted line of "Cumulation applied with ……"
    "cumulation.applied_mark",
    "cumulation.none_mark",
    "invoices",
    "declaration.place_date",
    "declaration.signatory",
    "application.circumstances",
    "application.supporting_documents",
    "application.place_date",
    "application.signatory",
    "application.pre_examination",  # sheet 3 reverse: the office's details, under a printed rubric
    "application.pre_examination_rubric",  # the same with its heading, on forms without the rubric
    # box 11 of a final certificate with the customs validation, in the box's own printed fields
    "endorsement.export_form",  # Form …: the export document's first word (e.g. EX-A)
    "endorsement.export_number",  # No …: the rest of the export document
    "endorsement.office",  # Customs office …
    "endorsement.country",  # Issuing country or territory …
    "endorsement.place_date",  # Place and date …
    "endorsement.stamp",  # where the signature goes: "validated electronically" and the reference
    "verification.link",  # final certificates only: the link the QR code encodes (never in box 11 or 12)
]
# What a goods column can show, per item.
GoodsSource = Literal[
    "item_no", "text", "marks", "packages", "description", "hs_code", "origin_criterion", "gross_mass"
]
ItemPart = Literal["marks", "packages", "description", "hs_code", "origin_criterion", "gross_mass"]
DEFAULT_TEXT_PARTS: tuple[ItemPart, ...] = ("marks", "packages", "description", "hs_code", "origin_criterion")


class _LayoutModel(BaseModel):
    # defer_build: the validators are built when a layout file is first validated, not on import;
    # a process that reads its built-in layouts from the user cache (layouts/cached.py) never needs them
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, str_max_length=LIMITS["chars"], defer_build=True
    )


class Placement(_LayoutModel):
    """Where and how a static text is drawn; wrapped to ``w``."""

    x: Mm
    y: Mm
    w: PositiveMm | None = None  # default: to the right edge of the box or page less padding
    size: PointSize | None = None  # default: the style's label size
    font: FontRole = "regular"
    align: Align = "left"
    leading: Leading | None = None


class TextElement(Placement):
    """A static text of the blank form (heading, instruction, note)."""

    text: str


class ShapeElement(_LayoutModel):
    """A static drawing of the blank form: a frame, a check box, a dotted leader."""

    kind: Literal["rect", "checkbox", "circle", "dots", "line"]
    x: Mm
    y: Mm
    w: Mm = 0.0  # rect/checkbox width; dots/line length
    h: Mm = 0.0  # rect/checkbox height
    r: Mm = 0.0  # circle radius (x, y is the centre)
    dashed: bool = False
    width_pt: LineWidthPt | None = None


class FieldElement(_LayoutModel):
    """Where one piece of data is printed. Relative to its box (or the page)."""

    source: FieldSource
    x: Mm | None = None  # all four omitted: the box's area below its label
    y: Mm | None = None
    w: PositiveMm | None = None
    h: PositiveMm | None = None
    align: Align = "left"
    size: PointSize | None = None
    min_size: PointSize | None = None
    max_lines: int | None = Field(default=None, ge=1, le=LIMITS["max_lines"])
    font: FontRole = "data"
    # between the entries of a list (box 10's invoices): "rule", a thin line in a line of its
    # own, so that an entry that wraps is not read as two
    separator: Literal["none", "rule"] = "none"


class Box(_LayoutModel):
    """A numbered box of the form."""

    rect: tuple[Mm, Mm, PositiveMm, PositiveMm]  # x, y, w, h in mm from the page's top-left
    label: str = ""
    number_label: str | None = None  # default "<n>."; "" for no number
    label_font: FontRole = "regular"
    label_size: PointSize | None = None
    frame: bool = True
    texts: list[TextElement] = Field(default_factory=list, max_length=LIMITS["texts"])
    shapes: list[ShapeElement] = Field(default_factory=list, max_length=LIMITS["shapes"])
    fields: list[FieldElement] = Field(default_factory=list, max_length=LIMITS["fields"])

    @property
    def x(self) -> float:
        return self.rect[0]

    @property
    def y(self) -> float:
        return self.rect[1]

    @property
    def w(self) -> float:
        return self.rect[2]

    @property
    def h(self) -> float:
        return self.rect[3]


class GoodsColumn(_LayoutModel):
    """One column of the goods list; ``x`` is relative to its box's left edge."""

    source: GoodsSource
    box: str
    x: Mm
    w: PositiveMm
    align: Align = "left"


class Goods(_LayoutModel):
    """Box 8 (with 9 and 10 beside it): the goods list and how it is closed."""

    box: str = "8"
    top: Mm  # first line's top, from the top of the goods box (below the labels)
    size: PointSize = 8.5
    min_size: PointSize = 6.5
    leading: Leading = 1.2
    columns: list[GoodsColumn] = Field(max_length=LIMITS["columns"])
    text_parts: list[ItemPart] = Field(default_factory=lambda: list(DEFAULT_TEXT_PARTS), max_length=12)
    part_formats: dict[str, str] = Field(default_factory=dict, max_length=12)  # e.g. hs_code = "HS {}"
    separator: str = "; "
    item_number_format: str = "{n}"
    end_mark: Literal["line", "stars", "backslashes"] = "line"
    strike: Literal["diagonal", "z", "none"] = "diagonal"
    max_items: int | None = Field(default=None, ge=1, le=LIMITS["max_items"])
    line_width_pt: LineWidthPt = 0.6

    @field_validator("part_formats")
    @classmethod
    def _formats_have_slot(cls, value: dict[str, str]) -> dict[str, str]:
        for key, fmt in value.items():
            if "{}" not in fmt:
                raise ValueError(f"part_formats.{key} must contain '{{}}' where the value goes")
            plain_slots(f"part_formats.{key}", fmt, "")
        return value

    @field_validator("item_number_format")
    @classmethod
    def _number_slot(cls, value: str) -> str:
        plain_slots("item_number_format", value, "n")
        return value


class QrPlacement(_LayoutModel):
    """Where a final certificate's verification QR code goes (mm, page top-left).

    A place of its own: never in box 11 (what customs write and stamp) nor in
    box 12 (the exporter's declaration); the layout is refused otherwise.
    """

    x: Mm
    y: Mm
    size: PositiveMm = 24.0
    # the link printed with it, to be typed where the code cannot be scanned (page top-left, mm)
    link: FieldElement

    @field_validator("link")
    @classmethod
    def _prints_the_link(cls, value: FieldElement) -> FieldElement:
        if value.source != "verification.link":
            raise ValueError("qr.link is where the verification link is printed: source 'verification.link'")
        return value


class Face(_LayoutModel):
    """One printed side of a sheet: boxes, static texts, data fields, goods list."""

    title: str = ""
    title_at: Placement | None = None
    footnotes: list[str] = Field(default_factory=list, max_length=LIMITS["footnotes"])
    footnotes_at: Placement | None = None
    guilloche: bool = False
    boxes: dict[str, Box] = Field(default_factory=dict, max_length=LIMITS["boxes"])
    texts: list[TextElement] = Field(default_factory=list, max_length=LIMITS["texts"])
    shapes: list[ShapeElement] = Field(default_factory=list, max_length=LIMITS["shapes"])
    fields: list[FieldElement] = Field(default_factory=list, max_length=LIMITS["fields"])
    goods: Goods | None = None
    qr: QrPlacement | None = None


class Sheet(_LayoutModel):
    """A sheet of the set: its front face and, optionally, its reverse."""

    number: int = Field(ge=1, le=LIMITS["sheets"])
    name: str
    front: str
    reverse: str | None = None


class Fonts(_LayoutModel):
    """Font file stems for each role: ``NAME.ttf`` beside a user's or plug-in's layout file, else
    in eur1pdf's ``fonts/`` (a font with the scripts the certificates need, e.g. Georgian)."""

    regular: FontStem = "LiberationSans-Regular"
    bold: FontStem = "LiberationSans-Bold"
    italic: FontStem = "LiberationSans-Italic"
    data: FontStem = "LiberationSans-Regular"


class Style(_LayoutModel):
    label_size: PointSize = 6.5
    label_leading: Leading = 1.15
    data_size: PointSize = 9.5
    data_min_size: PointSize = 6.5
    leading: Leading = 1.2
    padding_mm: Mm = 1.5
    frame_width_pt: LineWidthPt = 0.75
    label_gap_mm: Mm = 0.8  # between a label's last line and the data below it


class Guilloche(_LayoutModel):
    """The procedural security background of the certificate (sheet 1 front)."""

    color: Colour = (0.62, 0.82, 0.62)
    line_width_pt: float = Field(default=0.3, gt=0, le=2)
    bands: int = Field(default=36, ge=1, le=400)
    amplitude_mm: PositiveMm = 3.2
    wavelength_mm: PositiveMm = 21.0
    margin_mm: Mm = 8.0


class DraftMarks(_LayoutModel):
    """The marks of a draft: the diagonal watermark and the line in the top margin."""

    text: str = "DRAFT"
    color: Colour = (0.80, 0.10, 0.10)
    opacity: float = Field(default=0.18, gt=0, le=1)
    size: MarkSize = 72.0 * 2.2
    angle: float = Field(default=55.0, ge=-90, le=90)
    margin_text: str = "PROVISIONAL — NOT VALID FOR CUSTOMS PURPOSES"
    margin_size: PointSize = 8.0
    margin_y_mm: Mm = 8.6  # baseline, from the top of the page; the line stays >= 6 mm inside the edges


class FinalMarks(_LayoutModel):
    """The watermark of a final certificate that names the sheet.

    Light enough to read the data through it, dark enough to show on paper: at
    24 % of this blue the word prints about 16 % grey (a 300 dpi greyscale
    render: about 213 of 255 where the paper is 255); the former 14 % of a
    light blue came out near white (242) and vanished on many printers.
    """

    sheets: dict[str, str] = Field(
        default_factory=lambda: {"1": "ORIGINAL", "2": "COPY"}, max_length=LIMITS["sheets"]
    )
    color: Colour = (0.22, 0.32, 0.58)
    opacity: float = Field(default=0.24, gt=0, le=1)
    size: MarkSize = 72.0 * 1.5
    angle: float = Field(default=55.0, ge=-90, le=90)


class Marks(_LayoutModel):
    draft: DraftMarks = Field(default_factory=DraftMarks)
    final: FinalMarks = Field(default_factory=FinalMarks)


class _Derived:
    """Holds a layout's prepared data outside the model's equality, copies and pickles.

    The prepared data is derived from the fields: two layouts with equal fields
    stay equal whatever each has prepared, and a pickled layout (sent to a
    worker process) carries none of it (no fonts, no drawn pages): the
    receiver prepares its own.
    """

    __slots__ = ("prepared",)

    def __init__(self, prepared: PreparedLayout | None = None) -> None:
        self.prepared = prepared

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Derived)

    def __hash__(self) -> int:
        return 0

    def __reduce__(self) -> tuple[type[_Derived], tuple[()]]:
        return (_Derived, ())

    def __deepcopy__(self, memo: dict[int, Any]) -> _Derived:
        return _Derived()


class Layout(_LayoutModel):
    """A complete form: its faces and the sheets of the set."""

    schema_version: Literal[1] = 1
    name: str
    title: str
    page_size_mm: tuple[PositiveMm, PositiveMm]
    blank: str | None = Field(default=None, pattern=r"^[^/\\]+\.pdf$")  # a file name: see blank_file()
    fonts: Fonts = Field(default_factory=Fonts)
    style: Style = Field(default_factory=Style)
    guilloche: Guilloche = Field(default_factory=Guilloche)
    marks: Marks = Field(default_factory=Marks)
    faces: dict[str, Face] = Field(max_length=LIMITS["faces"])
    sheets: list[Sheet] = Field(min_length=1, max_length=LIMITS["sheets"])

    _source_dir: Path | None = PrivateAttr(default=None)
    _derived: _Derived = PrivateAttr(default_factory=_Derived)

    @property
    def prepared(self) -> PreparedLayout:
        """Everything derived from this layout alone (:mod:`eur1pdf.layouts.prepared`).

        Made when the layout is parsed; a layout made otherwise (a copy with
        changes, one unpickled in a worker) is prepared at first use: prepared
        data that belongs to another object (a copy carries its original's) is
        never used.
        """
        prepared = self._derived.prepared
        if prepared is not None and prepared.layout is self:
            return prepared
        from eur1pdf.layouts.prepared import prepare  # prepared.py builds on this module

        return prepare(self)

    def keep_prepared(self, prepared: PreparedLayout) -> None:
        """Called by :func:`eur1pdf.layouts.prepared.prepare` only (a new holder: a copy shares its
        original's until it is prepared itself)."""
        self._derived = _Derived(prepared)

    def set_source_dir(self, folder: Path) -> None:
        """Where a user's or plug-in's layout file lives: its blank PDF and its own fonts are beside it."""
        self._source_dir = folder

    @property
    def source_dir(self) -> Path | None:
        """The folder of a user's or plug-in's layout file (None: a built-in layout)."""
        return self._source_dir

    def blank_file(self, blank_forms: Path) -> Path:
        """The drawn blank PDF: beside a user's/plug-in's layout file, else in blank_forms/."""
        name = self.blank or f"{self.name}.pdf"
        return (self._source_dir or blank_forms) / name

    def with_end_mark(self, end_mark: str) -> Layout:
        """This layout with box 8 closed another way (``--end-mark``): line, stars, backslashes."""
        faces = {
            name: face.model_copy(update={"goods": face.goods.model_copy(update={"end_mark": end_mark})})
            if face.goods is not None
            else face
            for name, face in self.faces.items()
        }
        return self.model_copy(update={"faces": faces})

    @property
    def width_mm(self) -> float:
        return self.page_size_mm[0]

    @property
    def height_mm(self) -> float:
        return self.page_size_mm[1]

    def pages(self, sheets: list[int] | None = None) -> list[tuple[Sheet, str, Face]]:
        """The faces in print order: (sheet, face name, face), fronts then reverses."""
        out = []
        for sheet in self.sheets:
            if sheets is not None and sheet.number not in sheets:
                continue
            out.append((sheet, sheet.front, self.faces[sheet.front]))
            if sheet.reverse:
                out.append((sheet, sheet.reverse, self.faces[sheet.reverse]))
        return out

    @property
    def certificate_face(self) -> Face:
        """The front of sheet 1: the certificate itself."""
        return self.faces[self.sheets[0].front]
