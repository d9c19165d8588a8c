"""``eur1pdf schema``: the input's JSON Schema (draft 2020-12), for validating before sending."""

from __future__ import annotations

import argparse
import json

from eur1pdf.certificate.schema import builtin_schema, installed_schema
from eur1pdf.cli.shared import Subparsers


def add_parser(subparsers: Subparsers) -> None:
    schema = subparsers.add_parser(
        "schema",
        help="the certificate input's JSON Schema (2020-12), with each field's box and limits",
        description="Print the JSON Schema of a certificate (draft 2020-12): each field's box (x-box), "
        "description and limits, the forms and agreement keys as enums. docs/certificate.schema.json "
        "is its output for the built-in forms.",
    )
    schema.add_argument(
        "--builtin",
        action="store_true",
        help="only the built-in forms in the `form` enum (as published), not installed plug-ins",
    )
    schema.add_argument(
        "--declaration",
        action="store_true",
        help="the origin declaration's input schema (eur1pdf declare; docs/declaration.schema.json)",
    )
    schema.set_defaults(func=run)


def schema_text(builtin: bool = False) -> str:
    """The schema as printed: indented JSON, non-ASCII kept, one newline at the end."""
    schema = builtin_schema() if builtin else installed_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def run(args: argparse.Namespace) -> int:
    if args.declaration:
        from eur1pdf.declaration.model import schema_text as declaration_schema_text

        print(declaration_schema_text(), end="")
        return 0
    print(schema_text(args.builtin), end="")
    return 0
