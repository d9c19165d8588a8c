"""Error types of eur1pdf.

Every error a user can cause is an :class:`Eur1pdfError`. Errors about the
certificate data carry :class:`Problem` entries that name the input field path
(``items[3].hs_code``) and, where there is one, the box of the form, because a
clerk fixing a rejected certificate thinks in boxes, not in JSON paths.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and what is wrong."""

    field: str | None
    box: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.field:
            where.append(self.field)
        if self.box:
            where.append(f"box {self.box}")
        prefix = " / ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class Eur1pdfError(Exception):
    """Base of every error eur1pdf raises on purpose."""


class InputError(Eur1pdfError):
    """The certificate input cannot be read or does not follow the contract."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            text = head + str(self.problems[0])
        else:
            lines = [f"{head}{len(self.problems)} problems in the certificate data:"]
            lines += [f"  - {p}" for p in self.problems]
            text = "\n".join(lines)
        super().__init__(text)


class LayoutError(Eur1pdfError):
    """A layout file is broken: names the file, the box and the problem."""


class UnknownLayoutError(LayoutError):
    """No layout is registered under the name (a certificate's ``form``)."""


class FitError(Eur1pdfError):
    """A value does not fit its box even at the layout's minimum font size."""

    def __init__(self, message: str, box: str | None = None, field: str | None = None):
        super().__init__(message)
        self.box = box
        self.field = field


class GoodsOverflowError(FitError):
    """Box 8 cannot hold all items; says how many fit."""

    def __init__(self, message: str, items_that_fit: int):
        super().__init__(message, box="8", field="items")
        self.items_that_fit = items_that_fit


class MissingGlyphError(Eur1pdfError):
    """A character has no glyph in the font the layout assigns to it."""

    def __init__(self, message: str, field: str | None = None, char: str | None = None):
        super().__init__(message)
        self.field = field
        self.char = char


class OutputError(Eur1pdfError):
    """The output cannot be written where it was asked to go."""
