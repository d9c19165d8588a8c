"""The ``eur1pdf`` command line: a thin shell over the library functions.

Errors the user can fix are printed as one clear message (exit 1); usage
errors and files that cannot be read exit 2; a missing extra (a slim install)
is named with the pip command that installs it (exit 1). A traceback is shown only with ``--debug``.

Each command is a module here with ``add_parser(subparsers)`` and ``run(args)``;
the options ``fill``, ``preview`` and ``batch`` share are in :mod:`.fill_options`.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

# pydantic looks for plug-ins (every installed distribution's entry points) when it builds the first
# model: about 30 M instructions of each new `eur1pdf fill`, and eur1pdf uses none. Set before the
# commands' models are built; PYDANTIC_DISABLE_PLUGINS= (empty) in the environment loads them again.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from eur1pdf import __version__
from eur1pdf.cli.shared import UsageError
from eur1pdf.errors import Eur1pdfError, InputFileError, internal_error, missing_extra
from eur1pdf.options import OptionsError

__all__ = ["UsageError", "build_parser", "main"]

COMMANDS = (  # each command is the module eur1pdf.cli.NAME; help order
    "preview",
    "serve",
    "registry",
    "db",
    "fill",
    "declare",
    "batch",
    "validate",
    "verify",
    "golden",
    "codes",
    "schema",
    "agreements",
    "layouts",
    "blank",
    "calibrate",
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``only``, that command's alone.

    A command's module imports what it runs (``fill``: the whole renderer,
    ``serve``: FastAPI …), so a process that runs one command imports only
    that one's module: ``eur1pdf fill`` once per certificate starts sooner.
    The usage line still names every command.
    """
    parser = argparse.ArgumentParser(
        prog="eur1pdf", description="Proof-of-origin certificates (EUR.1 and family) as PDF."
    )
    parser.add_argument("-V", "--version", action="version", version=f"eur1pdf {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    every = "{" + ",".join(COMMANDS) + "}"  # the usage line, whichever commands are added
    subparsers = parser.add_subparsers(dest="command", required=True, metavar=None if only is None else every)
    for command in COMMANDS if only is None else (only,):
        importlib.import_module(f"eur1pdf.cli.{command}").add_parser(subparsers)
    return parser


def _command_word(words: Sequence[str]) -> str | None:
    """The command a command line runs, when it is plainly one (the options before it take no value)."""
    for word in words:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
        if word not in ("--debug",):
            return None  # -h, a misspelt option …: the whole parser answers
    return None


OPTION_FLAGS = {  # FillOptions' fields and the flags that set them
    "sheets": "--sheets",
    "end_mark": "--end-mark",
    "on_overflow": "--on-overflow",
    "draft": "--draft",
    "allow_errors": "--allow-errors",
    "lock_password": "--lock",
    "pdfa": "--pdfa",
    "signing": "--sign",
    "verify_url": "--verify-url",
    "printer": "--printer",
    "print_serial": "--print-serial",
    "print_marks": "--print-marks",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status is the README's: 0 done, 1 the input, 2 usage and files."""
    words = sys.argv[1:] if argv is None else list(argv)
    if words[:1] in (["-V"], ["--version"]):  # answered before the commands (and their imports) load
        print(f"eur1pdf {__version__}")
        return 0
    gc.disable()  # importing the command's modules makes objects that live as long as the process:
    try:  # collecting them while they are made finds nothing to free (a new `eur1pdf fill` starts sooner)
        parser = build_parser(_command_word(words))
    finally:
        gc.freeze()  # and later collections do not walk them again
        gc.enable()
    args = parser.parse_args(words)
    try:
        return args.func(args)
    except ImportError as exc:  # a slim install: the command's extra is not installed
        error = missing_extra(f"eur1pdf {args.command}", exc)
        if error is None:
            raise
        print(f"eur1pdf: error: {error}", file=sys.stderr)
        return 1
    except InputFileError as exc:  # the input file cannot be read: a file problem, like any OSError
        if args.debug:
            traceback.print_exc()
        print(f"eur1pdf: error: {exc}", file=sys.stderr)
        return 2
    except OptionsError as exc:  # the library names its options; the user typed flags
        print(f"eur1pdf: error: {OPTION_FLAGS.get(exc.option, exc.option)}: {exc.message}", file=sys.stderr)
        return 1
    except Eur1pdfError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"eur1pdf: error: {exc}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"eur1pdf: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if args.debug:
            traceback.print_exc()
        name = f"{exc.filename}: " if exc.filename else ""
        print(f"eur1pdf: error: {name}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("eur1pdf: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: say so in one line, the traceback with --debug
        internal_error(exc)  # counted; raised again under the test suite (EUR1PDF_FAIL_ON_INTERNAL)
        if args.debug:
            raise
        print(
            f"eur1pdf: error: internal error ({type(exc).__name__}: {exc}); "
            "please report it with the output of --debug",
            file=sys.stderr,
        )
        return 2
