"""pytest plug-in: compare PDFs against golden files by content.

Registered through the ``pytest11`` entry point, so any project that installs
eur1pdf has it::

    def test_certificate(pdf_golden):
        pdf_golden.check(render(cert), "mexico-export")

The golden file is ``<test folder>/golden/<name>.pdf`` (``pdf_golden_dir`` in
the pytest ini options changes the folder). ``pytest --update-golden`` writes
or refreshes golden files instead of comparing. A failure shows the readable
report of :func:`eur1pdf.testing.golden.compare`, and ``--golden-diff-dir DIR``
also writes a PNG of each differing page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("eur1pdf golden PDFs")
    group.addoption(
        "--update-golden", action="store_true", help="write or refresh golden PDFs instead of comparing"
    )
    group.addoption("--golden-diff-dir", metavar="DIR", help="write a PNG of each differing page here")
    parser.addini(
        "pdf_golden_dir", "folder of golden PDFs (relative to the rootdir); default: golden/ beside each test"
    )
    parser.addini("pdf_golden_tolerance", "position tolerance in pt (default 0.5)", default="0.5")


class PdfGolden:
    """Compares PDFs with golden files; see the module docstring."""

    def __init__(self, request: pytest.FixtureRequest):
        config = request.config
        self.update = bool(config.getoption("--update-golden"))
        self.diff_dir = config.getoption("--golden-diff-dir")
        self.tolerance = float(config.getini("pdf_golden_tolerance"))
        configured = config.getini("pdf_golden_dir")
        self.folder = Path(config.rootpath, configured) if configured else request.path.parent / "golden"
        self.nodeid = request.node.nodeid

    def path(self, name: str) -> Path:
        if not _SAFE_NAME.match(name):
            raise ValueError(f"golden name {name!r}: use letters, digits, '.', '_' and '-' only")
        return self.folder / f"{name}.pdf"

    def check(self, pdf: bytes, name: str, tolerance_pt: float | None = None) -> None:
        compare, report, visual_diff = _golden_tools()

        golden = self.path(name)
        if self.update:
            golden.parent.mkdir(parents=True, exist_ok=True)
            tmp = golden.with_suffix(".pdf.tmp")
            tmp.write_bytes(pdf)
            os.replace(tmp, golden)
            return
        if not golden.exists():
            pytest.fail(
                f"no golden file {golden}: create it with\n  pytest --update-golden {self.nodeid!r}",
                pytrace=False,
            )
        diffs = compare(pdf, golden, tolerance_pt=self.tolerance if tolerance_pt is None else tolerance_pt)
        if diffs:
            text = f"{name}: differs from {golden}\n{report(diffs)}"
            if self.diff_dir:
                pages = visual_diff(pdf, golden, Path(self.diff_dir) / name)
                text += "\nvisual diff: " + ", ".join(str(p) for p in pages)
            text += f"\nif the change is intended: pytest --update-golden {self.nodeid!r}"
            pytest.fail(text, pytrace=False)


def _golden_tools() -> tuple[Any, Any, Any]:
    """compare, report and visual_diff: the PDF libraries load only when a test asks (the [golden] extra)."""
    try:
        from eur1pdf.testing import golden
    except ImportError as exc:
        from eur1pdf.errors import missing_extra

        error = missing_extra("the pdf_golden fixture", exc)
        if error is None:
            raise
        pytest.fail(str(error), pytrace=False)
    return golden.compare, golden.report, golden.visual_diff


@pytest.fixture
def pdf_golden(request: pytest.FixtureRequest) -> PdfGolden:
    return PdfGolden(request)
