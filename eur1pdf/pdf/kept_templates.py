"""Internal: a built-in layout's blank form, drawn and written once, kept in the user cache as PDF objects.

The first certificate a new process fills used to draw the blank form from
the layout (every line, label and guilloche) and serialise it into PDF
objects: most of the first render, and the same objects for every
certificate of that layout. Those objects depend on eur1pdf's own files
alone (the layout files, the fonts, the code that draws and writes), so for a
built-in layout they are kept in :mod:`eur1pdf.user_cache` as plain data
(marshal: bytes, numbers, names) and the next process reads them back instead
of drawing. The key holds the identity (path, size, time) of the built-in
layout files, the fonts and the drawing and writing modules: changing any of
them makes the blank be drawn again. A user's ``--blank``, a user's or
plug-in's layout and a layout with another end mark are never kept.

:class:`KeptTemplates` is the prepared layout's store of templates
(:class:`~eur1pdf.pdf.document.SharedTemplates`) that also looks in, and
writes to, the user cache. An entry is checked before use (types, sizes,
fonts found); one that does not check is ignored and the blank drawn again.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import string
import zlib
from collections.abc import Hashable
from functools import cache
from pathlib import Path
from typing import Any

from eur1pdf.pdf.document import SharedTemplates, Template
from eur1pdf.pdf.syntax import Body
from eur1pdf.placement.text import load_font
from eur1pdf.user_cache import load_cached, store_cached

_KIND = "template"
_PACKAGE = Path(__file__).resolve().parent.parent
_DRAWING_CODE = ("artwork", "pdf", "placement", "layouts")  # what draws and writes a blank's objects
# a file stem in eur1pdf's fonts folder, nothing else (a set, not a pattern compiled in every process)
_FONT_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_.-")


@cache
def code_key() -> tuple[Any, ...]:
    """The identity of the modules that draw and write a blank (a changed module: drawn again) and
    of the zlib that compresses its streams (another zlib may compress to other bytes), as one
    SHA-256: an entry's key holds 64 characters, not every module's path, size and time (each
    entry read hashed those twice, in its name and in its stored key)."""
    found = []
    for folder in _DRAWING_CODE:
        with os.scandir(_PACKAGE / folder) as entries:
            found += [(e.path, e.stat()) for e in entries if e.name.endswith(".py")]
    files = tuple((path, stat.st_size, stat.st_mtime_ns) for path, stat in sorted(found))
    return (hashlib.sha256(marshal.dumps((*files, zlib.ZLIB_RUNTIME_VERSION), 0)).hexdigest(),)


class KeptTemplates(SharedTemplates):
    """Templates of one built-in layout: in memory, and in the user cache under ``layout_key``."""

    def __init__(self, layout_key: tuple[Any, ...]) -> None:
        super().__init__()
        self.layout_key = layout_key
        self.looked_up: set[Hashable] = set()
        self.written: set[Hashable] = set()

    def _entry_key(self, key: Hashable) -> tuple[Any, ...]:
        return (*self.layout_key, *code_key(), repr(key))

    def get(self, key: Hashable, default: Any = None) -> Any:
        found = super().get(key)
        if found is None and _keepable(key) and key not in self.looked_up:
            self.looked_up.add(key)  # looked up once per process; what is made next is written then
            found = _decoded(load_cached(_KIND, self._entry_key(key)))
            if found is not None:
                self.written.add(key)
                super().__setitem__(key, found)
        return default if found is None else found

    def __setitem__(self, key: Hashable, value: Template) -> None:
        if _keepable(key) and key not in self.written:  # once (not at each least-recently-used move)
            self.written.add(key)
            encoded = _encoded(value)
            if encoded is not None:
                store_cached(_KIND, self._entry_key(key), encoded)
        super().__setitem__(key, value)


def _keepable(key: Hashable) -> bool:
    """Only the blank drawn from the layout is kept (a user's ``--blank`` PDF never is): the key
    :func:`eur1pdf.pdf.document.template` files it under starts with the caller's ("drawn", marks)."""
    return isinstance(key, tuple) and bool(key) and isinstance(key[0], tuple) and key[0][:1] == ("drawn",)


def _encoded(template: Template) -> tuple[Any, ...] | None:
    """The template as marshal data; None when a font is not one of eur1pdf's own (not kept)."""
    names = tuple(font.name for font in template.fonts)
    if any(load_font(font.name) is not font for font in template.fonts):
        return None
    body = template.body
    return (
        names,
        {font.name: frozenset(codes) for font, codes in template.codepoints.items()},
        body.first,
        b"".join(body.chunks),
        tuple(body.offsets),
        dict(template.faces),
        dict(template.marks),
        template.ocg,
    )


def _decoded(value: Any) -> Template | None:
    """The template an entry holds, checked; None when it does not check."""
    try:
        names, codepoints, first, data, offsets, faces, marks, ocg = value
        if not (isinstance(data, bytes) and isinstance(first, int) and isinstance(offsets, tuple)):
            return None
        if set(codepoints) - set(names) or any(not isinstance(c, frozenset) for c in codepoints.values()):
            return None
        if any(not isinstance(o, int) for o in offsets) or list(offsets) != sorted(offsets):
            return None
        if (offsets and not 0 <= offsets[-1] < len(data)) or not (ocg is None or isinstance(ocg, int)):
            return None
        if not all(isinstance(k, int) and isinstance(v, int) for m in (faces, marks) for k, v in m.items()):
            return None
        if not all(isinstance(name, str) and name and _FONT_NAME_CHARS.issuperset(name) for name in names):
            return None
        fonts = tuple(load_font(name) for name in names)
    except Exception:  # a damaged entry of any shape, or a font no longer there: draw it again
        return None
    body = Body(first)
    body.chunks, body.offsets, body.size = [data], list(offsets), len(data)
    by_name = {font.name: font for font in fonts}
    return Template(fonts, {by_name[n]: c for n, c in codepoints.items()}, body, faces, marks, ocg)
