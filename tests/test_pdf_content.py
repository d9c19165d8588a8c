"""The content-stream writer (eur1pdf.pdf.content): the operators it writes, run through a small interpreter.

The interpreter below follows the PDF graphics state (q/Q, BT/ET, Tf, colours,
line width and dash) over the operators pikepdf parses from the stream, and
fails on anything a viewer would reject or draw differently: text outside a
text object, text without a font, unbalanced q/Q or BT/ET, path operators
inside a text object. What it records is compared with the drawables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from eur1pdf.pdf.content import ContentWriter, image_object
from eur1pdf.pdf.syntax import Body, array, dictionary, document, ref, stream
from eur1pdf.placement.drawables import (
    Circle,
    Drawable,
    Group,
    Line,
    Picture,
    Polyline,
    RectShape,
    Repeated,
    TextRun,
)
from eur1pdf.placement.text import FontMetrics, load_font
from tests.pdf_checks import assert_valid_pdf

RED = (1.0, 0.0, 0.0)
GREY = (0.5, 0.5, 0.5)
BLUE = (0.0, 0.0, 0.8)
BLACK = (0.0, 0.0, 0.0)
PATH_OPERATORS = {"m", "l", "c", "re", "S", "f", "B", "n", "h"}


@pytest.fixture(scope="module")
def regular() -> FontMetrics:
    return load_font("LiberationSans-Regular")


@pytest.fixture(scope="module")
def bold() -> FontMetrics:
    return load_font("LiberationSans-Bold")


@dataclass
class State:
    fill: tuple[float, ...] | None = None
    stroke: tuple[float, ...] | None = None
    width: float = 1.0
    dash: tuple[float, ...] = ()
    font: str | None = None
    size: float | None = None


@dataclass
class Drawn:
    """What a content stream draws, as a viewer would see it."""

    texts: list[tuple[str, float, tuple[float, ...] | None, float, float, bytes]] = field(
        default_factory=list
    )
    strokes: list[tuple[tuple[float, ...] | None, float, tuple[float, ...], tuple[str, ...]]] = field(
        default_factory=list
    )
    used: dict[str, set[str]] = field(
        default_factory=lambda: {"Font": set(), "ExtGState": set(), "XObject": set()}
    )


def _numbers(operands) -> tuple[float, ...]:
    return tuple(float(v) for v in operands)


def operations(content: bytes) -> list[tuple[str, list]]:
    """The operators of ``content`` with their operands, as pikepdf parses them."""
    pdf = pikepdf.Pdf.new()
    parsed = pikepdf.parse_content_stream(pikepdf.Stream(pdf, content))
    return [(str(instruction.operator), list(instruction.operands)) for instruction in parsed]


def interpret(content: bytes) -> Drawn:
    """Run ``content`` through a minimal graphics-state machine; AssertionError on invalid nesting."""
    drawn, stack, state = Drawn(), [], State()
    in_text, path = False, []
    for op, operands in operations(content):
        if op == "q":
            assert not in_text, "q inside a text object"
            stack.append(State(**vars(state)))
        elif op == "Q":
            assert stack, "Q without q"
            assert not in_text, "Q inside a text object"
            state = stack.pop()
        elif op == "BT":
            assert not in_text, "BT inside a text object"
            in_text = True
        elif op == "ET":
            assert in_text, "ET without BT"
            in_text = False
        elif op == "Tf":
            state.font, state.size = str(operands[0])[1:], float(operands[1])
            drawn.used["Font"].add(state.font)
        elif op == "Tm":
            matrix = _numbers(operands)
        elif op == "Tj":
            assert in_text, "text shown outside BT/ET"
            assert state.font is not None and state.size is not None, "text shown before a font is set"
            drawn.texts.append((state.font, state.size, state.fill, matrix[4], matrix[5], bytes(operands[0])))
        elif op == "rg":
            state.fill = _numbers(operands)
        elif op == "RG":
            state.stroke = _numbers(operands)
        elif op == "g":  # DeviceGray: pure black is written as K only (0 g)
            state.fill = _numbers(operands) * 3
        elif op == "G":
            state.stroke = _numbers(operands) * 3
        elif op == "w":
            state.width = float(operands[0])
        elif op == "d":
            state.dash = _numbers(operands[0])
        elif op == "gs":
            drawn.used["ExtGState"].add(str(operands[0])[1:])
        elif op == "Do":
            drawn.used["XObject"].add(str(operands[0])[1:])
        elif op in PATH_OPERATORS:
            assert not in_text, f"path operator {op} inside a text object"
            path.append(op)
            if op == "S":
                drawn.strokes.append((state.stroke, state.width, state.dash, tuple(path)))
                path = []
    assert not in_text, "text object left open"
    assert not stack, f"{len(stack)} q without Q"
    return drawn


def glyph_ids(font: FontMetrics, text: str) -> bytes:
    """The glyph IDs of ``text`` as two bytes each, read from the font file itself."""
    tt = TTFont(str(font.path), lazy=True)
    cmap = tt.getBestCmap()
    ids = b"".join(tt.getGlyphID(cmap[ord(c)]).to_bytes(2, "big") for c in text)
    tt.close()
    return ids


def resource_names(resources: bytes) -> dict[str, set[str]]:
    """The names each category of a resource dictionary lists (references stripped to parse it alone)."""
    value = pikepdf.Object.parse(resources.replace(b" 0 R", b""))
    return {
        kind: {str(k)[1:] for k in value[f"/{kind}"]} if f"/{kind}" in value else set()
        for kind in ("Font", "ExtGState", "XObject")
    }


def test_each_run_is_drawn_with_its_font_size_colour_position_and_glyphs(regular, bold) -> None:
    runs = [
        TextRun("EUR.1", 10, 800, bold, 12),
        TextRun("Exporter AG", 10.25, 780.5, regular, 9),
        TextRun("Bahnhofstrasse 1", 10.25, 770.123, regular, 9),
        TextRun("Zürich – Ωmega", 10.25, 760, regular, 8.5, color=BLUE),
        TextRun("No A 123456", 400, 800, bold, 12, color=RED),
    ]
    items: list[Drawable] = [runs[0], runs[1], Line(0, 775, 595, 775), runs[2], runs[3]]
    items += [Group((1, 0, 0, 1, 0, 0), (TextRun("DRAFT", 0, 0, bold, 40, color=GREY),), 0.25), runs[4]]
    drawn = interpret(ContentWriter().draw(items).content())
    expected = [(r.font.name, r.size, r.color, r.x, r.y, glyph_ids(r.font, r.text)) for r in runs]
    expected.insert(4, ("LiberationSans-Bold", 40, GREY, 0, 0, glyph_ids(bold, "DRAFT")))
    assert [(f, s, c, round(x, 3), round(y, 3), g) for f, s, c, x, y, g in drawn.texts] == [
        (f, s, c, round(x, 3), round(y, 3), g) for f, s, c, x, y, g in expected
    ]


def test_text_state_survives_a_group_and_a_line(regular) -> None:
    """After Q the writer must not assume the group's colour or font: the outer ones are back."""
    inner = TextRun("inner", 0, 0, regular, 30, color=RED)
    items: list[Drawable] = [
        TextRun("before", 10, 10, regular, 9, color=BLUE),
        Group((0.7, 0.7, -0.7, 0.7, 100, 100), (inner, Line(0, 0, 5, 5, color=RED, width=3)), 0.5),
        TextRun("after", 10, 20, regular, 9, color=BLUE),
        Line(1, 1, 2, 2, color=BLUE, width=3),
    ]
    drawn = interpret(ContentWriter().draw(items).content())
    assert [(t[0], t[1], t[2]) for t in drawn.texts] == [
        ("LiberationSans-Regular", 9, BLUE),
        ("LiberationSans-Regular", 30, RED),
        ("LiberationSans-Regular", 9, BLUE),
    ]
    assert [(s[0], s[1]) for s in drawn.strokes] == [(RED, 3), (BLUE, 3)]


def test_font_and_size_are_set_once_per_change(regular, bold) -> None:
    runs = [
        TextRun(t, 0, n, f, s)
        for n, (t, f, s) in enumerate(
            [("a", regular, 9), ("b", regular, 9), ("c", regular, 8), ("d", bold, 8), ("e", bold, 8)]
        )
    ]
    content = ContentWriter().draw(runs).content()
    assert content.count(b" Tf") == 3
    assert content.count(b"BT") == content.count(b"ET") == 1  # consecutive runs share one text object


@pytest.mark.parametrize(
    ("item", "expected_path"),
    [
        (Line(10, 20, 30, 40, width=0.8, color=RED, dash=(2, 1)), ("m", "l", "S")),
        (RectShape(10, 20, 100, 50, width=1.2, color=BLUE), ("re", "S")),
        (Circle(50, 50, 10, width=0.5, color=GREY), ("m", "c", "c", "c", "c", "S")),
        (Polyline(((0, 0), (1, 2), (3, 1), (4, 4)), 0.3, RED), ("m", "l", "l", "l", "S")),
    ],
)
def test_shapes_are_stroked_with_their_colour_width_and_dash(item, expected_path) -> None:
    drawn = interpret(ContentWriter().draw([item]).content())
    dash = getattr(item, "dash", None) or ()
    assert drawn.strokes == [(item.color, pytest.approx(item.width), tuple(map(float, dash)), expected_path)]


def test_line_after_dashed_line_is_solid_again() -> None:
    items = [Line(0, 0, 1, 1, dash=(3, 2)), Line(0, 1, 1, 2)]
    drawn = interpret(ContentWriter().draw(items).content())
    assert [s[2] for s in drawn.strokes] == [(3.0, 2.0), ()]


def test_line_coordinates_are_written_as_given() -> None:
    content = ContentWriter().draw([Line(10.5, 20.25, 300.125, 40)]).content()
    path = [(op, _numbers(args)) for op, args in operations(content) if op in ("m", "l")]
    assert path == [("m", (10.5, 20.25)), ("l", (300.125, 40.0))]


def test_circle_passes_through_its_four_extreme_points() -> None:
    content = ContentWriter().draw([Circle(100, 200, 10)]).content()
    numbers = [_numbers(args) for op, args in operations(content) if op in ("m", "c")]
    ends = [values[-2:] for values in numbers]
    assert ends == [(110, 200), (100, 210), (90, 200), (100, 190), (110, 200)]


def _picture() -> Picture:
    pixels = bytes([0, 255] * 8 + [255, 0] * 8) * 8
    return Picture(20, 30, 40, 40, pixels, 16, 16)


def _repeated() -> Repeated:
    band = Polyline(((0, 0), (10, 5), (20, 0)), 0.4, GREY)
    return Repeated((band,), ((0, 0), (0, 10), (0, 20)))


SCENES: dict[str, Callable[[FontMetrics, FontMetrics], list[Drawable]]] = {
    "nothing": lambda r, b: [],
    "text": lambda r, b: [TextRun("a", 0, 0, r, 9), TextRun("b", 0, 9, b, 9)],
    "lines only": lambda r, b: [Line(0, 0, 1, 1), RectShape(0, 0, 5, 5)],
    "opaque group": lambda r, b: [Group((1, 0, 0, 1, 0, 0), (TextRun("x", 0, 0, b, 9),))],
    "two opacities": lambda r, b: [
        Group((1, 0, 0, 1, 0, 0), (TextRun("x", 0, 0, b, 9),), 0.3),
        Group((1, 0, 0, 1, 0, 0), (TextRun("y", 0, 0, b, 9),), 0.6),
        Group((1, 0, 0, 1, 5, 0), (TextRun("z", 0, 0, b, 9),), 0.3),
    ],
    "picture": lambda r, b: [TextRun("QR", 0, 0, r, 7), _picture()],
    "repeated": lambda r, b: [_repeated(), Line(0, 0, 1, 1)],
}


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_resources_list_exactly_what_the_stream_uses(scene: str, regular, bold) -> None:
    writer = ContentWriter().draw(SCENES[scene](regular, bold))
    drawn = interpret(writer.content())
    font_refs = {regular: 1, bold: 6}
    image_refs = range(20, 20 + len(writer.images))
    form_refs = range(30, 30 + len(writer.forms))
    assert resource_names(writer.resources(font_refs, image_refs, form_refs)) == drawn.used


def test_opacity_state_sets_fill_and_stroke_alpha(bold) -> None:
    writer = ContentWriter().draw([Group((1, 0, 0, 1, 0, 0), (TextRun("x", 0, 0, bold, 9),), 0.25)])
    states = pikepdf.Object.parse(writer.resources({bold: 1}).replace(b" 0 R", b"")).ExtGState
    (state,) = states.values()
    assert (float(state.ca), float(state.CA)) == (0.25, 0.25)


def test_fonts_report_the_characters_drawn_with_each(regular, bold) -> None:
    writer = ContentWriter().draw(
        [TextRun("abc", 0, 0, regular, 9), TextRun("cé", 0, 0, regular, 9), TextRun("Z", 0, 0, bold, 9)]
    )
    assert writer.fonts == {regular: set(map(ord, "abcé")), bold: {ord("Z")}}


def test_repeated_paths_become_one_form_placed_at_each_offset() -> None:
    writer = ContentWriter().draw([_repeated()])
    assert len(writer.forms) == 1
    inner, (x0, y0, x1, y1) = writer.forms[0]
    assert [s[3] for s in interpret(inner).strokes] == [("m", "l", "l", "S")]
    assert (x0, y0, x1, y1) == pytest.approx((-0.4, -0.4, 20.4, 5.4))  # the paths and half a pen or more
    placements = [_numbers(args)[-2:] for op, args in operations(writer.content()) if op == "cm"]
    assert placements == [(0, 0), (0, 10), (0, 20)]


def test_image_object_reads_back_as_the_same_grey_pixels() -> None:
    picture = _picture()
    writer = ContentWriter().draw([picture])
    body = Body(1)
    image = body.add(image_object(picture))
    content = body.add(stream({}, writer.content()))
    pages = body.next_number
    body.add(dictionary({"Type": b"/Pages", "Kids": array([ref(pages + 1)]), "Count": b"1"}))
    resources = writer.resources({}, [image])
    body.add(
        dictionary(
            {
                "Type": b"/Page",
                "Parent": ref(pages),
                "MediaBox": b"[0 0 100 100]",
                "Resources": resources,
                "Contents": ref(content),
            }
        )
    )
    root = body.add(dictionary({"Type": b"/Catalog", "Pages": ref(pages)}))
    pdf = assert_valid_pdf(document(body, root, None))
    ((name, raw),) = pdf.pages[0].Resources.XObject.items()
    assert isinstance(raw, pikepdf.Stream)
    decoded = pikepdf.PdfImage(raw)
    assert (decoded.width, decoded.height, decoded.bits_per_component) == (16, 16, 8)
    assert str(decoded.colorspace) == "/DeviceGray"
    assert decoded.read_bytes() == picture.pixels
    placed = [_numbers(args) for op, args in operations(pdf.pages[0].Contents.read_bytes()) if op == "cm"]
    assert placed == [(40, 0, 0, 40, 20, 30)]
    assert name == "/Im0"


def test_content_closes_an_open_text_object(regular) -> None:
    writer = ContentWriter().draw([TextRun("last", 0, 0, regular, 9)])
    content = writer.content()
    assert content.rstrip().endswith(b"ET")
    interpret(content)


def test_interpreter_rejects_text_without_a_font() -> None:
    """The checks above rely on the interpreter failing on a broken stream."""
    with pytest.raises(AssertionError, match="before a font"):
        interpret(b"BT 1 0 0 1 0 0 Tm <0001> Tj ET")
    with pytest.raises(AssertionError, match="q without Q"):
        interpret(b"q 0 0 m 1 1 l S")
    with pytest.raises(AssertionError, match="inside a text object"):
        interpret(b"BT 0 0 m 1 1 l S ET")
