"""Words that help a clerk fix the input: "did you mean" for an unknown key, whole JSON messages."""

from __future__ import annotations

import json
import typing
from typing import Any

from pydantic import BaseModel

from eur1pdf.errors import Location, did_you_mean


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, through ``X | None`` and ``list[X]``; None for plain values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for inner in typing.get_args(annotation):
        model = model_in(inner)
        if model is not None:
            return model
    return None


def unknown_field_hint(root: type[BaseModel], loc: Location) -> str:
    """``; did you mean 'hs_code'?`` for an unknown key close to a field of its object, else nothing.

    ``loc`` is pydantic's path from ``root`` to the unknown key; the object it
    sits in is found by following the fields' types (lists and optionals too).
    """
    model: type[BaseModel] | None = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(str(part)) or next(
            (f for f in model.model_fields.values() if f.alias == part), None
        )
        model = model_in(field.annotation) if field else None
    if model is None:
        return ""
    known = [f.alias or name for name, f in model.model_fields.items()]
    return did_you_mean(str(loc[-1]), known)


def json_words(exc: json.JSONDecodeError) -> str:
    """The JSON error as a whole sentence: the decoder's messages end in "at" before its position."""
    words = exc.msg.removesuffix(" at")
    if words.startswith("Invalid control character") and exc.pos < len(exc.doc):
        code = f"U+{ord(exc.doc[exc.pos]):04X}"
        return f"{words} {code} inside a string (a line break or tab is written \\n or \\t in JSON)"
    return words
