"""Where eur1pdf's data folders are, installed or in a source checkout.

The wheel ships ``blank_forms/`` and ``fonts/`` inside the package (as
``eur1pdf/_data/…``); in a source checkout or an editable install they are the
top-level folders beside the package. Looking in both keeps one code path.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """The folder ``name`` (``fonts`` or ``blank_forms``) wherever it is installed."""
    for candidate in (PACKAGE_DIR / "_data" / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"eur1pdf data folder {name!r} not found (broken installation?)")


def fonts_dir() -> Path:
    return data_dir("fonts")


def blank_forms_dir() -> Path:
    return data_dir("blank_forms")


def examples_dir() -> Path:
    """The bundled example certificates (the server warms its workers with one)."""
    return data_dir("examples")
