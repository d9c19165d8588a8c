"""The registry of layouts: reading layout files, merging bases, plug-ins, finding a layout by name.

Built-in layouts are the ``*.toml`` files beside this module; other packages
add theirs through the ``eur1pdf.layouts`` entry-point group; a user's file is
loaded by path. Every layout is checked when it is loaded (schema, then
geometry: :mod:`eur1pdf.layouts.validation`) and prepared once
(:mod:`eur1pdf.layouts.prepared`).
"""

from __future__ import annotations

import copy
import tomllib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from eur1pdf.errors import LayoutError, Location, UnknownLayoutError, did_you_mean, validation_lines
from eur1pdf.layouts.cached import cached_builtin
from eur1pdf.layouts.geometry import box_rect
from eur1pdf.layouts.prepared import prepare
from eur1pdf.layouts.schema import Layout
from eur1pdf.layouts.validation import check_geometry

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

BUILTIN_DIR = Path(__file__).resolve().parent


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


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
        if parent is not None:
            face = _deep_merge(resolve(parent, (*chain, parent)), face)
        for key, extra in additions.items():
            if extra:
                face[key] = [*face.get(key, []), *extra]
        for number in omit:
            face.get("boxes", {}).pop(str(number), None)
        if omit_qr is True:
            face.pop("qr", None)
        resolved[name] = face
        return face

    for name in faces:
        resolve(name, (name,))
    return {**raw, "faces": resolved}


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
    check_geometry(layout, source)
    prepare(layout)
    return layout


def read_raw(path: Path, chain: tuple[str, ...] = ()) -> dict[str, Any]:
    """A layout file's TOML, with its ``base`` layout merged under it.

    ``base = "eur1"`` (a built-in) or ``base = "other.toml"`` (beside the
    file) lets a form that differs from another in a few places say only
    those: EUR-MED is the EUR.1 with another header and box 7.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LayoutError(f"{path}: layout file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LayoutError(f"{path}: not a valid TOML layout: {exc}") from None
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise LayoutError(f"{path}: base must be a layout name or a file name")
    base_path = BUILTIN_DIR / f"{base}.toml" if "/" not in base and not base.endswith(".toml") else None
    if base_path is None or not base_path.is_file():
        base_path = path.parent / base
    if str(base_path.resolve()) in chain:
        raise LayoutError(f"{path}: base {base!r} loops back to itself")
    parent = read_raw(base_path, (*chain, str(path.resolve())))
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
