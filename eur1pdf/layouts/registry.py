"""The registry of layouts: reading layout files, merging bases, plug-ins, finding a layout by name.

Built-in layouts are the ``*.toml`` files beside this module; other packages
add theirs through the ``eur1pdf.layouts`` entry-point group; a user's file is
loaded by path. Every layout is checked when it is loaded (schema, then
geometry: :mod:`eur1pdf.layouts.validation`) and prepared once
(:mod:`eur1pdf.layouts.prepared`).
"""

from __future__ import annotations

import copy
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from eur1pdf.errors import (
    Eur1pdfError,
    LayoutError,
    Location,
    UnknownLayoutError,
    did_you_mean,
    validation_lines,
)
from eur1pdf.layouts.cached import cached_builtin
from eur1pdf.layouts.geometry import box_rect, font_for
from eur1pdf.layouts.limits import LIMITS
from eur1pdf.layouts.prepared import prepare
from eur1pdf.layouts.schema import Layout
from eur1pdf.layouts.validation import check_geometry
from eur1pdf.small_files import FileRefused, NotToml, read_small_toml

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

BUILTIN_DIR = Path(__file__).resolve().parent


def builtin_names() -> list[str]:
    """The built-in layouts' names: their TOML files' stems (a scan of the folder; ``Path.glob``
    compiled a pattern in every process before its first certificate)."""
    with os.scandir(BUILTIN_DIR) as entries:
        return sorted(e.name.removesuffix(".toml") for e in entries if e.name.endswith(".toml"))


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _resolve_faces(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """Expand ``extends`` / ``omit_boxes`` / ``omit_qr``: a face can be another face with changes.

    The copy of a certificate and the application share the certificate's
    boxes; writing them once keeps the three faces of a set identical where
    they must be.
    """
    faces = raw.get("faces")
    if not isinstance(faces, dict):
        return raw
    if len(faces) > LIMITS["faces"]:  # before extends is followed face to face
        raise LayoutError(f"{source}: faces: {len(faces)} faces; the limit is {LIMITS['faces']}")
    resolved: dict[str, Any] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> dict[str, Any]:
        if name in resolved:
            return resolved[name]
        if name in chain[:-1]:
            raise LayoutError(f"{source}: faces.{name}: 'extends' loops through {' -> '.join(chain)}")
        face = faces.get(name)
        if not isinstance(face, dict):
            raise LayoutError(f"{source}: faces.{chain[-1]} extends unknown face {name!r}")
        face = dict(face)
        parent = face.pop("extends", None)
        omit = face.pop("omit_boxes", [])
        omit_qr = face.pop("omit_qr", False)  # e.g. the application: no verification QR code
        additions = {key: face.pop(f"add_{key}", []) for key in ("texts", "shapes", "fields")}
        _check_face_words(source, name, parent, omit, omit_qr, additions)
        if parent is not None:
            face = _deep_merge(resolve(parent, (*chain, parent)), face)
        for key, extra in additions.items():
            if extra:
                if not isinstance(face.get(key, []), list):
                    raise LayoutError(f"{source}: faces.{name}.{key}: must be a list to add_{key} to")
                face[key] = [*face.get(key, []), *extra]
        boxes = face.get("boxes")
        for number in omit:
            if isinstance(boxes, dict):
                boxes.pop(str(number), None)
        if omit_qr is True:
            face.pop("qr", None)
        resolved[name] = face
        return face

    for name in faces:
        resolve(name, (name,))
    return {**raw, "faces": resolved}


def _check_face_words(
    source: str, name: str, parent: Any, omit: Any, omit_qr: Any, additions: dict[str, Any]
) -> None:
    """The words of a face made from another have their types (the schema never sees them)."""
    where = f"{source}: faces.{name}"
    if parent is not None and not isinstance(parent, str):
        raise LayoutError(f"{where}.extends: must be the name of a face, got {parent!r}")
    if not isinstance(omit, list) or not all(isinstance(n, str | int) for n in omit):
        raise LayoutError(f"{where}.omit_boxes: must be a list of box numbers, got {omit!r}")
    if not isinstance(omit_qr, bool):
        raise LayoutError(f"{where}.omit_qr: must be true or false, got {omit_qr!r}")
    for key, extra in additions.items():
        if not isinstance(extra, list):
            raise LayoutError(f"{where}.add_{key}: must be a list, got {type(extra).__name__}")


def _box_of(loc: Location) -> str | None:
    """The box an error sits in (``faces.NAME.boxes.N…``), for the message."""
    if len(loc) >= 4 and loc[0] == "faces" and loc[2] == "boxes":
        return str(loc[3])
    return None


def parse_layout(raw: dict[str, Any], source: str, folder: Path | None = None) -> Layout:
    """A validated, prepared layout; ``folder``: where a user's or plug-in's file lives (its blank
    and its own fonts are looked for there, before the geometry is checked with them)."""
    raw = _resolve_faces(raw, source)
    try:
        layout = Layout.model_validate(raw)
    except ValidationError as exc:
        raise LayoutError("\n".join(validation_lines(exc, source, box_of=_box_of))) from None
    if folder is not None:
        layout.set_source_dir(folder)
        for role in ("regular", "bold", "italic", "data"):  # its own fonts, checked before they measure
            try:
                font_for(layout, role)
            except Eur1pdfError as exc:
                raise LayoutError(f"{source}: fonts.{role}: {exc}") from None
    check_geometry(layout, source)
    prepare(layout)
    return layout


BASE_DEPTH = 8  # bases of bases: the built-ins use one


def _read_toml(path: Path, source: str) -> dict[str, Any]:
    """A layout file's TOML: a regular file within the size limit (``source`` names it)."""
    try:
        return read_small_toml(path, "layout")
    except NotToml as exc:
        raise LayoutError(f"{source}: not a valid TOML layout: {exc.detail}") from None
    except FileRefused as exc:
        reason = "layout file not found" if str(exc) == "file not found" else str(exc)
        raise LayoutError(f"{source}: {reason}") from None


def read_raw(path: Path, chain: tuple[str, ...] = (), source: str | None = None) -> dict[str, Any]:
    """A layout file's TOML, with its ``base`` layout merged under it.

    ``base = "eur1"`` (a built-in) or ``base = "other.toml"`` (a path from the file's folder)
    lets a form that differs from another in a few places say only those: EUR-MED is the
    EUR.1 with another header and box 7. A base is a regular file like the layout itself, at
    most ``BASE_DEPTH`` deep, and never one of the files that lead to it.
    """
    raw = _read_toml(path, source or str(path))
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str) or not base or "\x00" in base:
        raise LayoutError(f"{path}: base: must be a layout name or a file name, got {base!r}")
    if len(chain) >= BASE_DEPTH:
        raise LayoutError(f"{path}: base {base!r}: more than {BASE_DEPTH} layouts deep")
    base_path = BUILTIN_DIR / f"{base}.toml" if base in builtin_names() else path.parent / base
    if str(base_path.resolve()) in (*chain, str(path.resolve())):
        raise LayoutError(f"{path}: base {base!r} loops back to itself")
    parent = read_raw(base_path, (*chain, str(path.resolve())), f"{path}: base {base!r}: {base_path}")
    return _deep_merge(parent, raw)


def load_layout_file(path: str | Path) -> Layout:
    """A layout from a TOML file; its ``blank`` PDF is looked for beside it."""
    path = Path(path)
    folder = path.resolve().parent
    return parse_layout(read_raw(path), str(path), None if folder == BUILTIN_DIR else folder)


ENTRY_POINT_GROUP = "eur1pdf.layouts"


def _plugin_path(entry: EntryPoint) -> Path:
    """What a plug-in registers: a TOML path, or a callable that returns one."""
    try:
        target = entry.load()
        if callable(target):
            target = target()
    except Exception as exc:  # a broken plug-in must not take the others down with it
        raise LayoutError(f"plug-in layout {entry.name!r} ({entry.value}) cannot be loaded: {exc}") from None
    if not isinstance(target, str | Path):
        raise LayoutError(
            f"plug-in layout {entry.name!r} ({entry.value}) must give the path of its TOML file, "
            f"got {type(target).__name__}"
        )
    return Path(target)


@cache
def plugin_entries() -> dict[str, EntryPoint]:
    """Layouts other packages register through the ``eur1pdf.layouts`` entry-point group."""
    from importlib.metadata import entry_points  # scans the installed packages: asked for plug-ins only

    return {e.name: e for e in entry_points(group=ENTRY_POINT_GROUP) if e.name not in builtin_names()}


def layout_names() -> list[str]:
    """Every layout a certificate's ``form`` may name: built-ins, then plug-ins."""
    return builtin_names() + sorted(plugin_entries())


@cache
def get_layout(name: str) -> Layout:
    """A registered layout by name, loaded and validated once per process.

    Only registered names are looked up: the name comes from the input's
    ``form`` field and must never be taken as a path.
    """
    names = builtin_names()
    if name in names:
        files = [BUILTIN_DIR / f"{n}.toml" for n in names]  # a base is one of them
        return cached_builtin(name, files, lambda: load_layout_file(BUILTIN_DIR / f"{name}.toml"))
    entry = plugin_entries().get(name)
    if entry is None:
        known = layout_names()
        raise UnknownLayoutError(
            f"unknown layout {name!r} (known: {', '.join(known)})" + did_you_mean(name, known)
        )
    layout = load_layout_file(_plugin_path(entry))
    if layout.name != name:
        raise LayoutError(f"plug-in layout {name!r} ({entry.value}) loads a layout named {layout.name!r}")
    return layout


def geometry_json(layout: Layout) -> dict[str, Any]:
    """Sheet 1 front as plain numbers: what `eur1pdf layouts show --json` prints."""
    face = layout.certificate_face
    boxes: dict[str, Any] = {}
    for number, box in sorted(face.boxes.items(), key=lambda kv: _box_sort_key(kv[0])):
        entry: dict[str, Any] = {"x": box.x, "y": box.y, "w": box.w, "h": box.h, "label": box.label}
        boxes[number] = entry
    goods = face.goods
    if goods is not None:
        columns = {}
        for col in goods.columns:
            r = box_rect(face.boxes[col.box])
            columns[col.source] = {
                "box": col.box,
                "x": round(r.x + col.x, 3),
                "y": round(r.y + goods.top, 3),
                "w": col.w,
                "h": round(r.bottom - layout.style.padding_mm - (r.y + goods.top), 3),
            }
        boxes[goods.box]["columns"] = columns
    return {"name": layout.name, "page_size_mm": list(layout.page_size_mm), "boxes": boxes}


def _box_sort_key(number: str) -> tuple[int, str]:
    return (int(number), "") if number.isdigit() else (10**6, number)
