"""Internal (the PDF writer): drawables -> PDF content stream operators, and the resources they use.

A page's items (:mod:`eur1pdf.placement.drawables`) become one content stream, with the
graphics state tracked so a colour, line width, dash or font is set only
when it changes. Text is written as glyph IDs for the document's shared
Type0 fonts (:mod:`eur1pdf.pdf.fonts`), so the same bytes draw the text
whichever subset the document embeds. The writer notes what it used (fonts
and their characters, images, opacities) for the resource dictionary and the
font subsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from eur1pdf.pdf.fonts import encode
from eur1pdf.pdf.syntax import dictionary, name, num, nums, ref, stream
from eur1pdf.placement.drawables import (
    Circle,
    Colour,
    Drawable,
    Group,
    Line,
    Picture,
    Polyline,
    RectShape,
    Repeated,
    TextRun,
)
from eur1pdf.placement.text import FontMetrics

KAPPA = 0.5522847498  # control-point distance of a quarter circle drawn as one Bézier curve


def font_resource(font: FontMetrics) -> bytes:
    """The resource name of a font: its file stem, the same in every layer and document."""
    return name(font.name)


def opacity_resource(opacity: float) -> bytes:
    return b"/GS" + num(round(opacity * 1000))


def _colour_operator(colour: Colour, stroke: bool) -> bytes:
    """Pure black as DeviceGray (``0 g``): a CMYK device prints it with K alone, where RGB black
    becomes four-colour black (blurred edges on small text, more ink); other colours stay RGB."""
    if all(component == 0 for component in colour):
        return b"0 G" if stroke else b"0 g"
    return nums(colour) + (b" RG" if stroke else b" rg")


@lru_cache(maxsize=8192)
def _show_text(run: TextRun) -> bytes:
    """Position and glyphs of one run; a batch shows the same runs (exporter, countries …) again and again."""
    return b"1 0 0 1 " + num(run.x) + b" " + num(run.y) + b" Tm " + encode(run.font, run.text) + b" Tj"


class ContentWriter:
    """Operators appended in drawing order; state changes written only when needed."""

    def __init__(self) -> None:
        self.ops: list[bytes] = []
        self._texts: dict[FontMetrics, list[str]] = {}  # font -> the texts drawn with it
        self.images: list[Picture] = []
        self.forms: list[tuple[bytes, tuple[float, float, float, float]]] = []  # content, bounding box
        self.opacities: set[float] = set()
        self._reset()

    def _reset(self) -> None:
        self._fill: Colour | None = None
        self._stroke: Colour | None = None
        self._width: float | None = None
        self._dash: tuple[float, ...] | bool | None = False  # False: unknown, None: solid
        self._in_text = False
        self._font: tuple[FontMetrics, float] | None = None

    @property
    def fonts(self) -> dict[FontMetrics, set[int]]:
        """Each font used and the code points drawn with it (for the subsets)."""
        return {font: set(map(ord, set("".join(texts)))) for font, texts in self._texts.items()}

    def content(self) -> bytes:
        self._end_text()
        return b"\n".join(self.ops) + b"\n"

    def resources(
        self,
        font_refs: Mapping[FontMetrics, int],
        image_refs: Iterable[int] = (),
        form_refs: Iterable[int] = (),
        more_xobjects: Mapping[str, bytes] | None = None,
        properties: bytes | None = None,
    ) -> bytes:
        """The resource dictionary for what was drawn, given the objects of fonts, images and forms;
        a page adds the forms it shows beside (blank face, marks) and its marked-content properties."""
        fonts = {font.name: ref(font_refs[font]) for font in sorted(self._texts, key=lambda f: f.name)}
        states = {
            opacity_resource(o)[1:].decode(): b"<< /ca " + num(o) + b" /CA " + num(o) + b" >>"
            for o in sorted(self.opacities)
        }
        images = {f"Im{n}": ref(number) for n, number in enumerate(image_refs)}
        images.update({f"Fm{n}": ref(number) for n, number in enumerate(form_refs)})
        xobjects = {**(more_xobjects or {}), **images}
        return dictionary(
            {
                "Font": dictionary(fonts) if fonts else None,
                "ExtGState": dictionary(states) if states else None,
                "XObject": dictionary(xobjects) if xobjects else None,
                "Properties": properties,
            }
        )

    # -- state ---------------------------------------------------------
    def _end_text(self) -> None:
        if self._in_text:
            self.ops.append(b"ET")
            self._in_text = False

    def _fill_colour(self, colour: Colour) -> None:
        if colour != self._fill:
            self.ops.append(_colour_operator(colour, stroke=False))
            self._fill = colour

    def _stroke_state(self, colour: Colour, width: float, dash: tuple[float, ...] | None) -> None:
        self._end_text()
        if colour != self._stroke:
            self.ops.append(_colour_operator(colour, stroke=True))
            self._stroke = colour
        if width != self._width:
            self.ops.append(num(width) + b" w")
            self._width = width
        if dash != self._dash:
            self.ops.append((b"[" + nums(dash) + b"] 0 d") if dash else b"[] 0 d")
            self._dash = dash

    # -- drawing ---------------------------------------------------------
    def text(self, run: TextRun) -> None:
        if run.color != self._fill:
            self._fill_colour(run.color)
        if not self._in_text:
            self.ops.append(b"BT")
            self._in_text = True
        font = run.font
        if self._font != (font, run.size):
            self.ops.append(font_resource(font) + b" " + num(run.size) + b" Tf")
            self._font = (font, run.size)
        texts = self._texts.get(font)
        if texts is None:
            texts = self._texts[font] = []
        texts.append(run.text)
        self.ops.append(_show_text(run))

    def line(self, item: Line) -> None:
        self._stroke_state(item.color, item.width, item.dash)
        self.ops.append(nums((item.x0, item.y0)) + b" m " + nums((item.x1, item.y1)) + b" l S")

    def rect(self, item: RectShape) -> None:
        self._stroke_state(item.color, item.width, item.dash)
        self.ops.append(nums((item.x, item.y, item.w, item.h)) + b" re S")

    def circle(self, item: Circle) -> None:
        self._stroke_state(item.color, item.width, item.dash)
        cx, cy, r = item.cx, item.cy, item.r
        k = r * KAPPA
        self.ops += [
            nums((cx + r, cy)) + b" m",
            nums((cx + r, cy + k, cx + k, cy + r, cx, cy + r)) + b" c",
            nums((cx - k, cy + r, cx - r, cy + k, cx - r, cy)) + b" c",
            nums((cx - r, cy - k, cx - k, cy - r, cx, cy - r)) + b" c",
            nums((cx + k, cy - r, cx + r, cy - k, cx + r, cy)) + b" c",
            b"S",
        ]

    def polyline(self, item: Polyline) -> None:
        self._stroke_state(item.color, item.width, None)
        (x0, y0), *rest = item.points
        self.ops.append(nums((x0, y0)) + b" m " + b" ".join(nums(p) + b" l" for p in rest) + b" S")

    def picture(self, item: Picture) -> None:
        self._end_text()
        self.images.append(item)
        matrix = nums((item.w, 0, 0, item.h, item.x, item.y))
        self.ops.append(b"q " + matrix + b" cm /Im%d Do Q" % (len(self.images) - 1))

    def repeated(self, item: Repeated) -> None:
        self._end_text()
        inner = ContentWriter()
        for path in item.paths:
            inner.polyline(path)
        xs = [x for path in item.paths for x, _ in path.points]
        ys = [y for path in item.paths for _, y in path.points]
        pad = max(path.width for path in item.paths)
        self.forms.append((inner.content(), (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)))
        form = b"/Fm%d Do" % (len(self.forms) - 1)
        self.ops += [b"q 1 0 0 1 " + nums(offset) + b" cm " + form + b" Q" for offset in item.offsets]

    def group(self, item: Group) -> None:
        self._end_text()
        self.ops.append(b"q")
        if item.opacity < 1:
            self.opacities.add(item.opacity)
            self.ops.append(opacity_resource(item.opacity) + b" gs")
        self.ops.append(nums(item.matrix) + b" cm")
        saved = (self._fill, self._stroke, self._width, self._dash, self._font)
        self.draw(item.items)
        self._end_text()
        self.ops.append(b"Q")
        self._fill, self._stroke, self._width, self._dash, self._font = saved

    def draw(self, items: Iterable[Drawable]) -> ContentWriter:
        for item in items:
            if isinstance(item, TextRun):
                self.text(item)
            elif isinstance(item, Line):
                self.line(item)
            elif isinstance(item, RectShape):
                self.rect(item)
            elif isinstance(item, Circle):
                self.circle(item)
            elif isinstance(item, Polyline):
                self.polyline(item)
            elif isinstance(item, Picture):
                self.picture(item)
            elif isinstance(item, Group):
                self.group(item)
            elif isinstance(item, Repeated):
                self.repeated(item)
            else:  # pragma: no cover - the Drawable union is closed
                raise TypeError(f"cannot draw {item!r}")
        return self


def image_object(picture: Picture) -> bytes:
    """An image XObject's body: 8-bit grey pixels, Flate-compressed."""
    return stream(
        {
            "Type": b"/XObject",
            "Subtype": b"/Image",
            "Width": b"%d" % picture.columns,
            "Height": b"%d" % picture.rows,
            "ColorSpace": b"/DeviceGray",
            "BitsPerComponent": b"8",
            "Interpolate": b"false",
        },
        picture.pixels,
    )
