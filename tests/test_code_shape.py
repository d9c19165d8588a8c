"""The package's shape: small modules, short functions (the architecture's promise, kept by a test)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "eur1pdf"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_longer_than_450_lines():
    long = {
        str(p.relative_to(PACKAGE)): n for p in _modules() if (n := len(p.read_text().splitlines())) > 450
    }
    assert long == {}


def test_no_function_is_longer_than_80_lines():
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(PACKAGE)}:{node.name}"] = lines
    assert long == {}


def test_the_pdf_writer_is_internal_and_says_so():
    for path in sorted((PACKAGE / "pdf").glob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert doc.startswith("Internal"), f"{path.name}: its docstring must say it is internal"


def test_the_pdf_writer_imports_no_user_facing_module():
    """The writer takes plain drawables and bytes: it knows nothing of layouts, rules or options."""
    allowed = (
        "eur1pdf.pdf",
        "eur1pdf.placement.drawables",
        "eur1pdf.placement.text",
        "eur1pdf.placement.font_tables",  # the fonts' figures, read once (user cache)
        "eur1pdf.user_cache",  # subset fonts kept between processes
        "eur1pdf.errors",
        "eur1pdf.resources",
    )
    for path in sorted((PACKAGE / "pdf").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("eur1pdf"):
                assert node.module.startswith(allowed), f"{path.name} imports {node.module}"
