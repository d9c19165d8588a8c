"""Layouts: the forms eur1pdf can fill, loaded, validated and prepared once.

The modules: :mod:`~eur1pdf.layouts.schema` (the validated data),
:mod:`~eur1pdf.layouts.geometry` (label blocks, field rectangles, units),
:mod:`~eur1pdf.layouts.registry` (reading files, bases, plug-ins, lookup by name),
:mod:`~eur1pdf.layouts.validation` (the geometry checks made on load) and
:mod:`~eur1pdf.layouts.prepared` (what is derived from a layout alone, made once).
"""

from __future__ import annotations

from eur1pdf.errors import LayoutError
from eur1pdf.layouts.registry import (
    BUILTIN_DIR,
    ENTRY_POINT_GROUP,
    builtin_names,
    geometry_json,
    get_layout,
    layout_names,
    load_layout_file,
    parse_layout,
    plugin_entries,
    read_raw,
)
from eur1pdf.layouts.schema import Layout
from eur1pdf.layouts.validation import check_geometry

__all__ = [
    "BUILTIN_DIR",
    "ENTRY_POINT_GROUP",
    "Layout",
    "LayoutError",
    "builtin_names",
    "check_geometry",
    "geometry_json",
    "get_layout",
    "layout_names",
    "load_layout_file",
    "parse_layout",
    "plugin_entries",
    "read_raw",
]
