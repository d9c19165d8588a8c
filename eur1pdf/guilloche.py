"""The green guilloche background of the certificate, drawn procedurally.

Official EUR.1 stock carries a printed pattern of crossing wave lines that
shows up erasures and forgeries. We draw a comparable pattern from a few
parameters of the layout, so it is reproducible to the byte and costs no
image.
"""

from __future__ import annotations

import math

from .drawing import Polyline
from .layouts.geometry import mm_to_pt
from .layouts.schema import Guilloche

STEP_MM = 1.6  # sampling step along a wave; fine enough to look smooth when printed


def guilloche_lines(spec: Guilloche, width_mm: float, height_mm: float) -> list[Polyline]:
    """Two families of phase-shifted waves per band, which cross to form the braid."""
    left, right = spec.margin_mm, width_mm - spec.margin_mm
    top, bottom = spec.margin_mm, height_mm - spec.margin_mm
    spacing = (bottom - top) / spec.bands
    amp = spec.amplitude_mm
    k_main = 2 * math.pi / spec.wavelength_mm
    k_slow = 2 * math.pi / (spec.wavelength_mm * 3.7)
    n_points = int((right - left) / STEP_MM) + 1
    xs = [left + i * (right - left) / (n_points - 1) for i in range(n_points)]
    lines = []
    for band in range(spec.bands + 1):
        centre = top + band * spacing
        drift = band * 0.45
        for family in (0.0, math.pi):
            points = []
            for x in xs:
                y = (
                    centre
                    + amp * math.sin(k_main * x + drift + family)
                    + 0.35 * amp * math.sin(k_slow * x - drift)
                )
                y = min(max(y, top - amp), bottom + amp)
                points.append((round(mm_to_pt(x), 2), round(mm_to_pt(height_mm - y), 2)))
            lines.append(Polyline(tuple(points), spec.line_width_pt, spec.color))
    return lines
