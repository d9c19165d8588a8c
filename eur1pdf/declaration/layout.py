"""The declaration as a block of lines: wrapped to a width, measured, ready to draw.

Measured with the same font metrics the stamp embeds (placement/text.py), so
the block that was found to fit a free area is exactly the block drawn there.
"""

from __future__ import annotations

from dataclasses import dataclass

from eur1pdf.declaration.wording import DeclarationText
from eur1pdf.placement.text import FontMetrics, load_font, wrap

MM = 72 / 25.4
SIZES = (9.0, 8.0, 7.0)  # tried in turn until the block fits its area
LEADING = 1.22
PADDING = 2 * MM  # inside the frame
PARAGRAPH_GAP = 0.35  # of the font size, between paragraphs
SIGNATURE_SPACE = 12 * MM  # room to sign by hand
MAX_WIDTH = 170 * MM
MIN_WIDTH = 60 * MM
REGULAR, BOLD = "LiberationSans-Regular", "LiberationSans-Bold"


@dataclass(frozen=True)
class Line:
    text: str
    bold: bool
    y: float  # the baseline, in pt below the block's top


@dataclass(frozen=True)
class Block:
    """The declaration wrapped at ``width`` (pt, frame included): its lines and height."""

    width: float
    height: float
    size: float
    lines: tuple[Line, ...]


def fonts() -> tuple[FontMetrics, FontMetrics]:
    return load_font(REGULAR), load_font(BOLD)


def layout(text: DeclarationText, width: float, size: float) -> Block:
    """Wrap every paragraph at ``width`` minus the padding; lines are placed top down."""
    regular, bold = fonts()
    inner = width - 2 * PADDING
    leading = size * LEADING
    y = PADDING + size * regular.ascent
    lines: list[Line] = []

    def paragraph(words: str, is_bold: bool = False) -> None:
        nonlocal y
        font = bold if is_bold else regular
        for part in wrap(font, words, size, inner) or [""]:
            lines.append(Line(part, is_bold, y))
            y += leading
        y += size * PARAGRAPH_GAP

    for heading in text.heading:
        paragraph(heading, True)
    for body in text.body:
        paragraph(body)
    paragraph(text.place_date)
    if text.handwritten:
        y += SIGNATURE_SPACE - leading
    for signature in text.signature:
        paragraph(signature)
    height = y - leading - size * PARAGRAPH_GAP + size * regular.descent + PADDING
    return Block(width, height, size, tuple(lines))


def fitting_block(text: DeclarationText, width: float, height: float) -> Block | None:
    """The block at the largest size that fits ``width`` x ``height`` (pt), or None."""
    width = min(width, MAX_WIDTH)
    if width < MIN_WIDTH:
        return None
    for size in SIZES:
        block = layout(text, width, size)
        if block.height <= height:
            return block
    return None
