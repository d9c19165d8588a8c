"""What JSON and YAML may hold in a certificate file, before the model looks at it.

The parsers accept more than a certificate needs, and some of it fails inside them or in the
model's messages rather than as a clear error: a 5000-digit number (Python converts at most
4300 digits to an int and back), a YAML date that is no date (2026-02-30), a list as a mapping
key (``? [a, b]: c``), a set (no order, so no deterministic output), bytes (``!!binary``),
aliases (the "billion laughs"). Here each either becomes a value the model refuses with its
field, or a syntax error with its line and column. The YAML side is in
:mod:`eur1pdf.certificate.yaml_input` (PyYAML is imported for YAML input only).
"""

from __future__ import annotations

from typing import Any

#: Digits a number may have before it is kept only as its length: no certificate field is a
#: number, so any number is refused by the model; this keeps it cheap and printable.
NUMBER_DIGITS = 100


class LongNumber:
    """A number of more than :data:`NUMBER_DIGITS` characters, never converted; the model refuses
    it as it refuses any number where text belongs, naming the field."""

    __slots__ = ("length",)

    def __init__(self, length: int) -> None:
        self.length = length

    def __repr__(self) -> str:
        return f"a number of {self.length:,} characters"


def json_int(text: str) -> int | LongNumber:
    """``json.loads``' parse_int: a long number is not converted (it would fail or take long)."""
    return int(text) if len(text) <= NUMBER_DIGITS else LongNumber(len(text))


class DuplicateKeyError(ValueError):
    pass


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON object hook: a key given twice would silently keep only the last value."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(key)
        out[key] = value
    return out
