"""A layout's geometry checked when it is loaded: what would misprint is refused with the box and why.

The schema says each number is a number; these checks say the numbers make a
form: boxes on the page and apart, labels and fields inside their boxes, texts
clear of the boxes, a goods list the placement can fill. Each function looks
at one concern and returns its problems, in the order they are reported.
"""

from __future__ import annotations

from eur1pdf.errors import LayoutError
from eur1pdf.layouts.geometry import Rect, box_rect, field_rect, label_block, text_rect
from eur1pdf.layouts.schema import Face, FieldElement, Layout, Placement, QrPlacement, ShapeElement

# What customs write and stamp (11) and what the exporter signs (12): the verification QR
# code and its link never go there (they covered the Stamp label and the stamp circle).
QR_FREE_BOXES = ("11", "12")


def check_geometry(layout: Layout, source: str) -> None:
    """Refuse what would misprint: boxes off the page or on top of each other, etc."""
    problems = _sheet_problems(layout) + _certificate_problems(layout) + _page_wide_problems(layout)
    for face_name, face in layout.faces.items():
        where = f"faces.{face_name}"
        rects = {n: box_rect(b) for n, b in face.boxes.items()}
        problems += _box_placement_problems(layout, where, rects)
        problems += _label_and_field_problems(layout, where, face, rects)
        problems += _off_page_problems(layout, where, face, rects)
        problems += _text_over_box_problems(layout, where, face, rects)
        problems += _face_field_problems(layout, where, face)
        problems += _goods_problems(layout, where, face, rects)
        problems += _qr_problems(layout, where, face, rects)
    if problems:
        raise LayoutError("\n".join(f"{source}: {p}" for p in problems))


def _page(layout: Layout) -> Rect:
    return Rect(0.0, 0.0, layout.width_mm, layout.height_mm)


def _sheet_problems(layout: Layout) -> list[str]:
    """Every face a sheet names exists."""
    return [
        f"sheet {sheet.number} names unknown face {face_name!r}"
        for sheet in layout.sheets
        for face_name in filter(None, (sheet.front, sheet.reverse))
        if face_name not in layout.faces
    ]


def _certificate_problems(layout: Layout) -> list[str]:
    """The certificate (sheet 1 front) has a goods list in one of its boxes."""
    first = layout.sheets[0].front
    if first not in layout.faces:
        return []
    cert = layout.faces[first]
    if cert.goods is None or cert.goods.box not in cert.boxes:
        return [f"faces.{first}: the certificate has no box 8 goods list ([faces.{first}.goods] and its box)"]
    return []


def _box_placement_problems(layout: Layout, where: str, rects: dict[str, Rect]) -> list[str]:
    """Boxes lie on the page and do not overlap."""
    page = _page(layout)
    problems = [
        f"{where}: box {number} {rect.x:g},{rect.y:g} {rect.w:g}x{rect.h:g} mm lies outside "
        f"the {layout.width_mm:g}x{layout.height_mm:g} mm page"
        for number, rect in rects.items()
        if not page.contains(rect)
    ]
    numbers = list(rects)
    for i, a in enumerate(numbers):
        for b in numbers[i + 1 :]:
            if rects[a].overlaps(rects[b]):
                problems.append(f"{where}: box {a} overlaps box {b}")
    return problems


def _label_and_field_problems(layout: Layout, where: str, face: Face, rects: dict[str, Rect]) -> list[str]:
    """Each box's label fits it, and its fields lie inside it, below the label."""
    problems: list[str] = []
    for number, box in face.boxes.items():
        label_bottom = label_block(layout, number, box).bottom_mm
        if label_bottom > rects[number].bottom:
            problems.append(f"{where}: box {number}: its label does not fit the box")
        for field in box.fields:
            try:
                rect = field_rect(layout, field, number, box)
            except ValueError as exc:
                problems.append(f"{where}: box {number}: field {field.source}: {exc}")
                continue
            if not rects[number].contains(rect):
                problems.append(f"{where}: box {number}: field {field.source} lies outside the box")
            elif rect.y < label_bottom - 1e-6:
                problems.append(f"{where}: box {number}: field {field.source} covers the label")
    return problems


def _page_wide_problems(layout: Layout) -> list[str]:
    """The guilloche's margins leave it a band to fill, the draft's margin line is on the page."""
    problems = []
    if 2 * layout.guilloche.margin_mm >= min(layout.width_mm, layout.height_mm):
        problems.append(
            f"guilloche.margin_mm ({layout.guilloche.margin_mm:g} mm) leaves nothing of the "
            f"{layout.width_mm:g}x{layout.height_mm:g} mm page to fill"
        )
    if layout.marks.draft.margin_y_mm >= layout.height_mm:
        problems.append(f"marks.draft.margin_y_mm ({layout.marks.draft.margin_y_mm:g} mm) is off the page")
    return problems


def _shape_rect(shape: ShapeElement, origin: Rect) -> Rect:
    """What a shape covers (mm, page top-left); a line's and the dots' width is not counted."""
    x, y = origin.x + shape.x, origin.y + shape.y
    if shape.kind == "circle":
        return Rect(x - shape.r, y - shape.r, 2 * shape.r, 2 * shape.r)
    return Rect(x, y, shape.w, shape.h)


def _off_page_problems(layout: Layout, where: str, face: Face, rects: dict[str, Rect]) -> list[str]:
    """The static shapes lie on the page, and the static texts start on it with room to wrap."""
    page = _page(layout)
    placed: list[tuple[str, Rect, list[ShapeElement], list[tuple[str, Placement]]]] = [
        (f"box {n}: ", rects[n], box.shapes, [(e.text, e) for e in box.texts])
        for n, box in face.boxes.items()
    ]
    texts: list[tuple[str, Placement]] = [(e.text, e) for e in face.texts]
    texts += [(face.title, face.title_at)] if face.title and face.title_at else []
    texts += [(face.footnotes[0], face.footnotes_at)] if face.footnotes and face.footnotes_at else []
    placed.append(("", page, face.shapes, texts))
    problems: list[str] = []
    for prefix, origin, shapes, elements in placed:
        problems += [
            f"{where}: {prefix}the {shape.kind} at {shape.x:g},{shape.y:g} mm lies outside the page"
            for shape in shapes
            if not page.contains(_shape_rect(shape, origin))
        ]
        for text, at in elements:
            rect = text_rect(layout, at, origin)
            if rect.w <= 0 or not page.contains(rect):
                problems.append(
                    f"{where}: {prefix}the text {text[:40]!r} does not start on the page with room"
                )
    return problems


def _text_over_box_problems(layout: Layout, where: str, face: Face, rects: dict[str, Rect]) -> list[str]:
    """The face's own texts (title, footnotes, notes) start clear of every box."""
    whole = _page(layout)
    placed: list[tuple[str, Placement]] = [(e.text, e) for e in face.texts]
    placed += [(face.title, face.title_at)] if face.title and face.title_at else []
    placed += [(face.footnotes[0], face.footnotes_at)] if face.footnotes and face.footnotes_at else []
    problems: list[str] = []
    for text, at in placed:
        first_line = text_rect(layout, at, whole)
        size_mm = (at.size or layout.style.label_size) * 25.4 / 72
        first_line = Rect(first_line.x, first_line.y, first_line.w, size_mm)
        for number, rect in rects.items():
            if first_line.overlaps(rect):
                problems.append(f"{where}: the text {text[:40]!r} lies over box {number}")
    return problems


def _face_field_problems(layout: Layout, where: str, face: Face) -> list[str]:
    """Fields outside the boxes give their rectangle, and it lies on the page."""
    page = _page(layout)
    problems: list[str] = []
    for field in face.fields:
        try:
            rect = field_rect(layout, field, None, None)
        except ValueError as exc:
            problems.append(f"{where}: field {field.source}: {exc}")
            continue
        if not page.contains(rect):
            problems.append(f"{where}: field {field.source} lies outside the page")
    return problems


def _goods_problems(layout: Layout, where: str, face: Face, rects: dict[str, Rect]) -> list[str]:
    """The goods list is in a box of the face, its columns fit their boxes and start below the
    labels, and it has the columns placement needs."""
    goods = face.goods
    if goods is None:
        return []
    if goods.box not in face.boxes:
        return [f"{where}: goods.box {goods.box!r} is not a box of this face"]
    problems: list[str] = []
    top = rects[goods.box].y + goods.top
    for col in goods.columns:
        if col.box not in face.boxes:
            problems.append(f"{where}: goods column {col.source} is in unknown box {col.box!r}")
            continue
        if col.x + col.w > rects[col.box].w + 1e-6:
            problems.append(f"{where}: box {col.box}: goods column {col.source} is wider than the box")
        label_bottom = label_block(layout, col.box, face.boxes[col.box]).bottom_mm
        if top < label_bottom - 1e-6:
            problems.append(
                f"{where}: box {col.box}: goods.top ({goods.top:g} mm) starts inside the label, "
                f"which ends {label_bottom - rects[goods.box].y:.1f} mm below the top of box {goods.box}"
            )
    sources = [c.source for c in goods.columns]
    if "item_no" not in sources or not ({"text", "description"} & set(sources)):
        problems.append(f"{where}: goods needs an item_no column and a text or description column")
    elif not any(c.box == goods.box and c.source != "item_no" for c in goods.columns):
        problems.append(
            f"{where}: box {goods.box} (the goods box) needs a column of text besides the item "
            "number: the description belongs there, and lines it leaves empty are ruled off there"
        )
    return problems


def _qr_problems(layout: Layout, where: str, face: Face, rects: dict[str, Rect]) -> list[str]:
    """The QR code and its link lie on the page, outside boxes 11 and 12, and cover no data field."""
    problems = [
        f"{where}: box {number}: field verification.link: the link goes with the QR code (qr.link), "
        "never in a box of its own"
        for number, box in face.boxes.items()
        for field in box.fields
        if field.source == "verification.link"
    ]
    problems += [
        f"{where}: field verification.link: the link goes with the QR code (qr.link)"
        for field in face.fields
        if field.source == "verification.link"
    ]
    if face.qr is None:
        return problems
    try:
        link = field_rect(layout, face.qr.link, None, None)
    except ValueError as exc:
        return [*problems, f"{where}: qr.link: {exc}"]
    for name, rect in (("the QR code", qr_rect(face.qr)), ("the verification link (qr.link)", link)):
        if not _page(layout).contains(rect):
            problems.append(f"{where}: {name} lies outside the page")
        problems += [
            f"{where}: {name} overlaps box {number}: customs write and stamp in box 11, the exporter "
            "signs in box 12; give it a place of its own"
            for number in QR_FREE_BOXES
            if number in rects and rect.overlaps(rects[number])
        ]
    problems += [
        f"{where}: the QR code covers the data field {field.source}"
        for field, rect in _data_fields(layout, face)
        if qr_rect(face.qr).overlaps(rect)
    ]
    return problems


def qr_rect(qr: QrPlacement) -> Rect:
    """The QR code's square with its quiet zone (mm, page top-left)."""
    return Rect(qr.x, qr.y, qr.size, qr.size)


def _data_fields(layout: Layout, face: Face) -> list[tuple[FieldElement, Rect]]:
    """The face's data fields with their rectangles (those that have one)."""
    found: list[tuple[FieldElement, Rect]] = []
    placed = [(f, n, b) for n, b in face.boxes.items() for f in b.fields] + [
        (f, None, None) for f in face.fields
    ]
    for field, number, box in placed:
        try:
            found.append((field, field_rect(layout, field, number, box)))
        except ValueError:
            continue  # reported by the field checks
    return found
