"""Helpers for the PDF writer's unit tests: build a minimal document, prove a file is valid PDF.

The writer (:mod:`eur1pdf.pdf`) formats every byte itself, so its tests read the
result back with independent readers: pikepdf (qpdf's library) always, and
the ``qpdf`` command where it is installed (Debian's package ``qpdf``).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pikepdf

from eur1pdf.pdf.syntax import Body, array, dictionary, document, ref, stream

PAGE_SIZE = (0, 0, 200, 100)


def one_page_document(
    content: bytes, resources: bytes = b"<< >>", compress: bool = True, info: bool = True
) -> bytes:
    """A one-page document drawing ``content``: catalog, pages, page, content stream, info (optional)."""
    body = Body(1)
    contents = body.add(stream({}, content, compress=compress))
    pages = body.next_number
    page = pages + 1
    body.add(dictionary({"Type": b"/Pages", "Kids": array([ref(page)]), "Count": b"1"}))
    body.add(
        dictionary(
            {
                "Type": b"/Page",
                "Parent": ref(pages),
                "MediaBox": array(b"%d" % v for v in PAGE_SIZE),
                "Resources": resources,
                "Contents": ref(contents),
            }
        )
    )
    info_number = body.add(dictionary({"Producer": b"(tests)"})) if info else None
    root = body.add(dictionary({"Type": b"/Catalog", "Pages": ref(pages)}))
    return document(body, root, info_number)


def qpdf_problems(data: bytes) -> list[str]:
    """What ``qpdf --check`` reports besides success ([] for a clean file); None of it if qpdf is absent."""
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        return []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "checked.pdf"
        path.write_bytes(data)
        done = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True)
    if done.returncode == 0 and "No syntax or stream encoding errors" in done.stdout:
        return []
    return [f"qpdf --check exit {done.returncode}", done.stdout, done.stderr]


def assert_valid_pdf(data: bytes) -> pikepdf.Pdf:
    """Fail unless qpdf (command, where installed) and pikepdf find the file free of problems.

    pikepdf repairs a damaged cross-reference table silently while opening,
    and reports that as a warning; any warning fails here.
    """
    assert qpdf_problems(data) == []
    pdf = pikepdf.open(io.BytesIO(data))
    assert pdf.check_pdf_syntax() == []
    assert pdf.get_warnings() == []
    return pdf
