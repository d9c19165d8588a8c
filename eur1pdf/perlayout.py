"""A cache of things made from a layout alone (marks, the drawn blank form), once per process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eur1pdf.layouts.schema import Goods, Layout

MAX_ENTRIES = 64


class PerLayout:
    """Keyed by the layout's identity (layouts are unhashable) and a key.

    Each entry holds its layout, so the identity cannot be reused by another
    object while the entry lives. A part of a layout (its goods settings) can
    stand in for the layout where that is all a caller has.
    """

    def __init__(self) -> None:
        self._made: dict[tuple[int, Any], tuple[Layout | Goods, Any]] = {}

    def get(self, layout: Layout | Goods, key: Any, make: Callable[[], Any]) -> Any:
        found = self._made.get((id(layout), key))
        if found is None or found[0] is not layout:
            if len(self._made) > MAX_ENTRIES:
                self._made.clear()
            found = (layout, make())
            self._made[(id(layout), key)] = found
        return found[1]
