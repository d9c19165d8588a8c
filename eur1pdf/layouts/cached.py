"""Built-in layouts kept in the user cache, validated: a new process skips the TOML and the checks.

Loading a built-in layout (the TOML, its base, the schema's validation, the
geometry checks with the fonts' metrics) costs a new process more than
placing a certificate, and gives the same layout every time for the same
files. So a built-in layout, once loaded and checked, is kept in
:mod:`eur1pdf.user_cache` (pickled), keyed by eur1pdf's version and the
identity (path, size, time) of every built-in layout file and font file: a
changed file makes it load and check again. A plug-in's or a user's layout
file is always read and checked.

The pickle is read back by an unpickler that makes nothing but the layout
schema's own classes: an entry cannot run code, and one that does not load
is ignored and written again. Only the layout's fields are kept; what is
derived from them (:mod:`eur1pdf.layouts.prepared`) is made again on load.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eur1pdf import user_cache
from eur1pdf.layouts import schema
from eur1pdf.layouts.prepared import prepare
from eur1pdf.layouts.schema import Layout
from eur1pdf.resources import fonts_dir

_KIND = "layout"


class _LayoutUnpickler(pickle.Unpickler):
    """Makes only the layout schema's classes (no function, no other module)."""

    def find_class(self, module: str, name: str) -> Any:
        found = getattr(schema, name, None) if module == schema.__name__ else None
        if isinstance(found, type) and (issubclass(found, schema._LayoutModel) or found is schema._Derived):
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a layout class")


def _key(name: str, files: Sequence[Path]) -> tuple[Any, ...]:
    fonts = sorted(fonts_dir().glob("*.ttf"))
    return (name, *(user_cache.file_key(path) for path in [*sorted(files), *fonts]))


def cached_builtin(name: str, files: Sequence[Path], load: Callable[[], Layout]) -> Layout:
    """The built-in layout ``name`` from the cache (prepared), else ``load()`` and keep it."""
    key = _key(name, files)
    found = user_cache.load(_KIND, key)
    if isinstance(found, bytes):
        layout = _unpickled(found)
        if layout is not None and layout.name == name:
            prepare(layout)
            return _with_kept_templates(layout, key)
    layout = load()
    user_cache.store(_KIND, key, pickle.dumps(layout, protocol=pickle.HIGHEST_PROTOCOL))
    return _with_kept_templates(layout, key)


def _with_kept_templates(layout: Layout, key: tuple[Any, ...]) -> Layout:
    """The layout whose drawn blank's PDF objects are kept in the user cache too (under the same
    files' identity): a new process's first certificate does not draw the blank again."""
    from eur1pdf.pdf.document import SharedTemplates
    from eur1pdf.pdf.kept_templates import KeptTemplates

    layout.prepared.derived(SharedTemplates, lambda: KeptTemplates(key))
    return layout


def _unpickled(data: bytes) -> Layout | None:
    try:
        layout = _LayoutUnpickler(io.BytesIO(data)).load()
    except Exception:  # a damaged entry of any kind: load the layout file instead
        return None
    return layout if isinstance(layout, Layout) else None
