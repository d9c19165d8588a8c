"""Error types of eur1pdf.

Every error a user can cause is an :class:`Eur1pdfError`. Errors about the
certificate data carry :class:`Problem` entries that name the input field path
(``items[3].hs_code``) and, where there is one, the box of the form, because a
clerk fixing a rejected certificate thinks in boxes, not in JSON paths.

Certificates, layouts, printer profiles and settings files are all validated
by pydantic; :func:`validation_problems` and :func:`validation_lines` are the
one place that turns pydantic's errors into such messages. What differs from
one kind of input to another comes in as hooks: the words for an error, the
box a location belongs to, the names written for fields.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

Location = tuple[str | int, ...]
MessageOf = Callable[["ErrorDetails"], str]
BoxOf = Callable[[Location], "str | None"]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``; did you mean 'eur1'?`` when ``word`` is close to one of ``known`` (a typo), else nothing."""
    by_folded = {name.casefold(): name for name in known}  # "efta-mx" is "EFTA-MX" typed in lower case
    close = difflib.get_close_matches(word.casefold(), list(by_folded), n=1)
    return f"; did you mean {by_folded[close[0]]!r}?" if close else ""


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


class InputFileError(InputError):
    """The certificate file cannot be read at all (missing, a folder, no permission): the CLI exits 2."""


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


# --------------------------------------------------------------------------- validation messages


def plain_message(error: ErrorDetails) -> str:
    """pydantic's own words, except that a key the model does not know is an "unknown key"."""
    return "unknown key" if error["type"] == "extra_forbidden" else str(error["msg"])


def no_box(loc: Location) -> str | None:
    """For inputs that are not printed in boxes (printer profiles, settings files)."""
    return None


def location_text(loc: Location, names: Mapping[str, str] | None = None) -> str:
    """``items[3].hs_code``: keys joined by dots, list positions in brackets.

    ``names`` writes a key as the input spells it where the model's name differs
    (the certificate's ``from_`` is ``from``).
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = names.get(part, part) if names else str(part)
            name = name if len(name) <= 60 else f"{name[:60]}…"  # an unknown key of any length
            if not name.isprintable():  # a line break in a key would split the message's line
                name = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in name)
            out += f".{name}" if out else name
    return out


def validation_problems(
    exc: ValidationError,
    *,
    message: MessageOf = plain_message,
    box_of: BoxOf = no_box,
    names: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Each of pydantic's errors as a :class:`Problem`: the field's path, its box, the words."""
    return [
        Problem(
            field=location_text(error["loc"], names) or None, box=box_of(error["loc"]), message=message(error)
        )
        for error in exc.errors(include_url=False)
    ]


def validation_lines(
    exc: ValidationError,
    source: str | None = None,
    *,
    message: MessageOf = plain_message,
    box_of: BoxOf = no_box,
) -> list[str]:
    """One line per error of a file: ``SOURCE: path (box N): message``.

    ``source`` None leaves the file's name out, for a caller that writes it once
    in front of all the lines.
    """
    head = "" if source is None else f"{source}: "
    return [
        f"{head}{problem.field or ''}{f' (box {problem.box})' if problem.box else ''}: {problem.message}"
        for problem in validation_problems(exc, message=message, box_of=box_of)
    ]


# --------------------------------------------------------------------------- errors of ours

#: Set (to anything but empty or 0) to make every top-level catch re-raise what it caught. The
#: test suite sets it (tests/conftest.py), so that an "internal error" reachable from input fails
#: the test that reached it, in this process and in the subprocesses and workers it starts.
FAIL_ON_INTERNAL = "EUR1PDF_FAIL_ON_INTERNAL"

_internal_errors = [0]  # a list: the count is shared by every importer, never rebound


def internal_error(exc: BaseException) -> None:
    """Called by each top-level catch of an exception that is not an :class:`Eur1pdfError` (the
    command line, render_many's per-record isolation, the service's 500 answer) before it answers
    "internal error": counts it and, under ``EUR1PDF_FAIL_ON_INTERNAL``, raises it again.

    Every input must end in a result or a clear error (README, "Reliability"), so an internal
    error is a bug of ours; the count lets the tests see that none was reached.
    """
    _internal_errors[0] += 1
    if os.environ.get(FAIL_ON_INTERNAL, "") not in ("", "0"):
        raise exc


def internal_error_count() -> int:
    """How many internal errors the top-level catches of this process have seen."""
    return _internal_errors[0]


#: The optional parts of eur1pdf: a module a part imports, and the extra that installs it.
EXTRA_OF_MODULE = {
    "fastapi": "serve",
    "starlette": "serve",
    "uvicorn": "serve",
    "sqlalchemy": "serve",
    "alembic": "serve",
    "psycopg": "serve",
    "pyhanko": "sign",
    "pyhanko_certvalidator": "sign",
    "cryptography": "sign",
    "asn1crypto": "sign",
    "pdfplumber": "golden",
    "pdfminer": "golden",
    "distributed": "dask",
    "dask": "dask",
}


class MissingExtraError(Eur1pdfError):
    """A part of eur1pdf was used whose extra is not installed (a slim install is the default)."""

    def __init__(self, feature: str, extra: str, module: str):
        self.feature = feature
        self.extra = extra
        self.module = module
        super().__init__(
            f"{feature} needs the [{extra}] extra ({module} is not installed): pip install 'eur1pdf[{extra}]'"
        )


def missing_extra(feature: str, exc: ImportError) -> MissingExtraError | None:
    """The clear error for ``exc`` when it is a missing extra's module; None for any other import failure."""
    module = (exc.name or "").partition(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    return MissingExtraError(feature, extra, module) if extra else None
