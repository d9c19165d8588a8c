"""Built-in layouts kept in the user cache, validated: a new process skips the TOML and the checks.

Loading a built-in layout (the TOML, its base, the schema's validation, the
geometry checks with the fonts' metrics) costs a new process more than
placing a certificate, and gives the same layout every time for the same
files. So a built-in layout, once loaded and checked, is kept in
:mod:`eur1pdf.user_cache` (pickled), keyed by eur1pdf's version and the
identity (path, size, time) of every built-in layout file and font file: a
changed file makes it load and check again. A plug-in's or a user's layout
file is always read and checked.

The layout is kept prepared (:mod:`eur1pdf.layouts.prepared`: each face's
field rectangles, whose label blocks are wrapped with the fonts' metrics, the
goods geometry): preparing it again was an eighth of a new process's first
certificate. What is derived from it later (fitted texts, drawn blank,
marks) is not kept with it: the entry holds the prepared figures alone. So
the key also holds the identity of the code that prepares a layout
(:func:`eur1pdf.pdf.kept_templates.code_key`): changed code prepares again.

The pickle is read back by an unpickler that makes nothing but the layout
schema's own classes and the prepared layout's (an allow-list of classes,
no function, no other module): an entry cannot run code, and one that does
not load is ignored and written again.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eur1pdf import user_cache
from eur1pdf.layouts import geometry, prepared, schema
from eur1pdf.layouts.schema import Layout
from eur1pdf.resources import fonts_dir

_KIND = "layout-prepared"
_PREPARED_CLASSES = frozenset(  # exactly what a prepared layout is made of, beside the schema's models
    {
        prepared.PreparedLayout,
        prepared.PreparedFace,
        prepared.PreparedField,
        prepared.PreparedGoods,
        prepared.GoodsGeometry,
        prepared.ColumnGeometry,
        prepared.CellSources,
        prepared.FillerSpan,
        geometry.Rect,
    }
)


class _LayoutUnpickler(pickle.Unpickler):
    """Makes only the layout schema's classes and the prepared layout's (no function, no other module)."""

    def find_class(self, module: str, name: str) -> Any:
        source = {m.__name__: m for m in (schema, prepared, geometry)}.get(module)
        found = getattr(source, name, None) if source is not None else None
        if isinstance(found, type) and (
            found in _PREPARED_CLASSES
            or (source is schema and (issubclass(found, schema._LayoutModel) or found is schema._Derived))
        ):
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a layout class")


def _key(name: str, files: Sequence[Path]) -> tuple[Any, ...]:
    from eur1pdf.pdf.kept_templates import code_key  # the code that prepares (layouts, placement)

    with os.scandir(fonts_dir()) as entries:  # not Path.glob: it compiles a pattern in every process
        fonts = sorted(Path(e.path) for e in entries if e.name.endswith(".ttf"))
    return (name, *(user_cache.file_key(path) for path in [*sorted(files), *fonts]), *code_key())


def cached_builtin(name: str, files: Sequence[Path], load: Callable[[], Layout]) -> Layout:
    """The built-in layout ``name`` from the cache (prepared), else ``load()`` and keep it."""
    key = _key(name, files)
    found = user_cache.load(_KIND, key)
    if isinstance(found, bytes):
        layout = _unpickled(found)
        if layout is not None and layout.name == name:
            return _with_kept_templates(layout, key)
    layout = load()
    user_cache.store(_KIND, key, _pickled(layout))
    return _with_kept_templates(layout, key)


def _pickled(layout: Layout) -> bytes:
    """The layout with its prepared figures, without what later stages derived from it."""
    kept = dataclasses.replace(layout.prepared, _derived={}, _variants={})
    return pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)


def _with_kept_templates(layout: Layout, key: tuple[Any, ...]) -> Layout:
    """The layout whose drawn blank's PDF objects are kept in the user cache too (under the same
    files' identity): a new process's first certificate does not draw the blank again."""
    from eur1pdf.pdf.document import SharedTemplates
    from eur1pdf.pdf.kept_templates import KeptTemplates

    layout.prepared.derived(SharedTemplates, lambda: KeptTemplates(key))
    return layout


def _unpickled(data: bytes) -> Layout | None:
    """The prepared layout an entry holds (kept on the layout), or None when it is not one."""
    try:
        kept = _LayoutUnpickler(io.BytesIO(data)).load()
    except Exception:  # a damaged entry of any kind: load the layout file instead
        return None
    if not isinstance(kept, prepared.PreparedLayout) or not isinstance(kept.layout, Layout):
        return None
    if kept._derived or kept._variants or set(kept.faces) != set(kept.layout.faces):
        return None
    if any(face.face is not kept.layout.faces[name] for name, face in kept.faces.items()):
        return None
    kept.layout.keep_prepared(kept)
    return kept.layout
