"""Internal: the ``cm`` transformation matrix as PDF bytes.

A printer profile (:mod:`eur1pdf.printer`) works out where one printer puts
the data layer; the writer only needs the six numbers and how to print them.
Kept here so the writer depends on no user-facing module.
"""

from __future__ import annotations

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def format_matrix(matrix: Matrix) -> bytes:
    """``a b c d e f cm`` with fixed precision, so the same profile gives the same bytes."""

    def num(value: float) -> str:
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text

    return (" ".join(num(v) for v in matrix) + " cm").encode("ascii")
