"""The green guilloche background of the certificate, drawn procedurally.

Official EUR.1 stock carries a printed pattern of crossing wave lines that
shows up erasures and forgeries. We draw a comparable pattern from a few
parameters of the layout, so it is reproducible to the byte and costs no
image.
"""

from __future__ import annotations

import math

from eur1pdf.layouts.geometry import mm_to_pt
from eur1pdf.layouts.schema import Guilloche
from eur1pdf.placement.drawables import Polyline, Repeated

STEP_MM = 1.6  # sampling step along a wave; fine enough to look smooth when printed


def guilloche_lines(spec: Guilloche, width_mm: float, height_mm: float) -> list[Repeated]:
    """A braid of two phase-opposed waves, repeated down the page band after band.

    Every band is the same braid moved down by the band spacing, so the
    pattern is written once and placed ``bands + 1`` times (a few kilobytes
    instead of fifty).
    """
    left, right = spec.margin_mm, width_mm - spec.margin_mm
    top, bottom = spec.margin_mm, height_mm - spec.margin_mm
    spacing = (bottom - top) / spec.bands
    amp = spec.amplitude_mm
    k_main = 2 * math.pi / spec.wavelength_mm
    k_slow = 2 * math.pi / (spec.wavelength_mm * 3.7)
    n_points = int((right - left) / STEP_MM) + 1
    xs = [left + i * (right - left) / (n_points - 1) for i in range(n_points)]
    braid = []
    for family in (0.0, math.pi):
        points = []
        for x in xs:
            y = top + amp * math.sin(k_main * x + family) + 0.35 * amp * math.sin(k_slow * x)
            points.append((round(mm_to_pt(x), 2), round(mm_to_pt(height_mm - y), 2)))
        braid.append(Polyline(tuple(points), spec.line_width_pt, spec.color))
    offsets = tuple((0.0, round(-mm_to_pt(band * spacing), 3)) for band in range(spec.bands + 1))
    return [Repeated(tuple(braid), offsets)]
