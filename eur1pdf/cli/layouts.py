"""``eur1pdf layouts``: the forms eur1pdf fills (built in and plug-ins), or one's geometry."""

from __future__ import annotations

import argparse
import json

from eur1pdf.cli.shared import Subparsers
from eur1pdf.errors import Eur1pdfError
from eur1pdf.layouts import builtin_names, geometry_json, get_layout, plugin_entries


def add_parser(subparsers: Subparsers) -> None:
    layouts = subparsers.add_parser("layouts", help="list layouts, or show one's geometry")
    layouts.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    layouts.add_argument("name", nargs="?")
    layouts.add_argument("--json", action="store_true", help="geometry as JSON (mm, origin top-left)")
    layouts.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "show":
        return _show(args)
    for name in builtin_names():
        print(f"{name:<12} {get_layout(name).title}")
    for name, entry in sorted(plugin_entries().items()):
        try:
            title = get_layout(name).title
        except Eur1pdfError as exc:  # list a broken plug-in with its problem, keep going
            title = f"(broken: {str(exc).splitlines()[0]})"
        print(f"{name:<12} {title}  [plug-in {entry.value}]")
    return 0


def _show(args: argparse.Namespace) -> int:
    """A layout's geometry: a table of its boxes and columns in mm, or the JSON (``--json``)."""
    if not args.name:
        raise Eur1pdfError("layouts show: name a layout, e.g. `eur1pdf layouts show eur1`")
    layout = get_layout(args.name)
    geometry = geometry_json(layout)
    if args.json:
        print(json.dumps(geometry, indent=2, ensure_ascii=False))
        return 0
    w, h = geometry["page_size_mm"]
    print(
        f"{layout.name}: {layout.title}, {w:g} x {h:g} mm, sheets "
        + ", ".join(f"{s.number} {s.name}" for s in layout.sheets)
    )
    print(f"{'box':>4}  {'x':>6} {'y':>6} {'w':>6} {'h':>6}  label")
    for number, box in geometry["boxes"].items():
        rect = f"{box['x']:6.1f} {box['y']:6.1f} {box['w']:6.1f} {box['h']:6.1f}"
        print(f"{number:>4}  {rect}  {box['label']}")
        for source, col in box.get("columns", {}).items():
            print(
                f"{'':>4}  {col['x']:6.1f} {col['y']:6.1f} {col['w']:6.1f} {col['h']:6.1f}    "
                f"column {source} (box {col['box']})"
            )
    return 0
