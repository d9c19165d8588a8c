"""``-`` as a file name: the certificate read from standard input, the PDF written to standard output.

The usual Unix convention, so eur1pdf sits in a pipe (``erp-export | eur1pdf fill - -o - | lp``).
Standard input is JSON when its first character is ``{``, YAML otherwise; it is
bounded by the same size limit as a file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from eur1pdf.certificate.model import (
    LIMITS,
    Certificate,
    certificate_from_data,
    load_certificate,
    parse_text,
    too_large,
)
from eur1pdf.errors import FitError, InputError, MissingGlyphError, Problem
from eur1pdf.files import check_output_dir, write_atomic

if TYPE_CHECKING:
    from eur1pdf.layouts.schema import Layout
    from eur1pdf.options import FillOptions
    from eur1pdf.rules import Finding

STDIO = "-"
STDIN_NAME = "<stdin>"


def read_certificate(name: str) -> Certificate:
    """The certificate in file ``name``, or on standard input for ``-``."""
    if name != STDIO:
        return load_certificate(name)
    data = sys.stdin.buffer.read(LIMITS["input_bytes"] + 1)
    if len(data) > LIMITS["input_bytes"]:
        raise InputError([Problem(None, None, too_large(len(data)))], STDIN_NAME)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(None, None, f"not UTF-8 text ({exc.reason})")], STDIN_NAME) from None
    fmt = "json" if text.lstrip().startswith("{") else "yaml"
    return certificate_from_data(parse_text(text, STDIN_NAME, fmt), STDIN_NAME)


def input_name(name: str) -> str:
    """How messages name the input: the file, or ``<stdin>``."""
    return STDIN_NAME if name == STDIO else name


def write_pdf_to_stdout(pdf: bytes) -> None:
    """The PDF on standard output, whole (nothing else is printed there)."""
    sys.stdout.flush()
    sys.stdout.buffer.write(pdf)
    sys.stdout.buffer.flush()


def is_stdio(name: str | Path) -> bool:
    return str(name) == STDIO


def fill_stdio(
    args: argparse.Namespace,
    options: FillOptions,
    layout: Layout | None,
    report: Callable[[list[Finding]], None],
) -> int:
    """``eur1pdf fill`` with ``-`` as its input or output: what :func:`eur1pdf.api.fill_file` does, piped."""
    from eur1pdf.api import render

    output = None if is_stdio(args.output) else Path(args.output)
    if output is not None:
        check_output_dir(output)
    cert = read_certificate(args.input)
    try:
        pdf = render(cert, options, layout, args.blank, report)
    except (FitError, MissingGlyphError) as exc:
        exc.args = (f"{input_name(args.input)}: {exc.args[0]}",)  # as fill_file names the file
        raise
    if output is None:
        write_pdf_to_stdout(pdf)
        print("wrote the PDF to standard output", file=sys.stderr)
    else:
        print(f"wrote {write_atomic(output, pdf)}")
    return 0
