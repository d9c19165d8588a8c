"""verify of any file up to 10 MB finishes within seconds and a few hundred MB: hostile files.

Each hostile file is checked by the ``eur1pdf verify`` command in a fresh
process whose address space is capped (``RLIMIT_AS``) and with a timeout;
it must end with a verdict or a refusal, never a crash, a hang or an
out-of-memory. The limits are those of :mod:`eur1pdf.finish.limits`.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import time
import zlib
from collections.abc import Callable

import pikepdf
import pytest

from eur1pdf import FillOptions, render
from eur1pdf.finish.limits import MAX_FILE_BYTES
from eur1pdf.finish.verify import NotACertificate, verify

from .conftest import ROOT

pytestmark = pytest.mark.slow

MEMORY_BYTES = 1_000_000_000  # address space, which counts more than the memory used (libraries mapped)
SECONDS = 30
FINAL_EXAMPLE = ROOT / "examples" / "eur1-ch-mx-final.json"


@pytest.fixture(scope="module")
def final_pdf() -> bytes:
    data = json.loads(FINAL_EXAMPLE.read_text(encoding="utf-8"))
    return render(data, FillOptions(final=True, verify_url="https://verify.example.org/{serial}?d={digest}"))


def _edit(pdf_bytes: bytes, change: Callable[[pikepdf.Pdf], None]) -> bytes:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out, compress_streams=False)
        return out.getvalue()


def _deflated(chunk: bytes, times: int) -> bytes:
    """``chunk`` repeated ``times`` times, deflated, without holding the whole in memory."""
    deflater = zlib.compressobj(9)
    parts = [deflater.compress(chunk) for _ in range(times)]
    return b"".join(parts) + deflater.flush()


def huge_media_box(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.MediaBox = pikepdf.Array([0, 0, 14400, 14400])


def attachment_bomb(pdf: pikepdf.Pdf) -> None:
    stream = pdf.attachments["certificate.json"].obj.EF.F
    stream.write(_deflated(b"\0" * 1_000_000, 400), filter=pikepdf.Name.FlateDecode)  # 400 MB inflated
    del stream.Params["/Size"]


def millions_of_operators(pdf: pikepdf.Pdf) -> None:
    operators = pikepdf.Stream(pdf, _deflated(b"0 0 m 1 1 l S\n" * 100_000, 30))  # 9 million operators
    operators.Filter = pikepdf.Name.FlateDecode
    pdf.pages[0].contents_add(operators)


def deep_nesting(pdf: pikepdf.Pdf) -> None:
    deep: object = pikepdf.Array([0])
    for _ in range(400):  # direct arrays, as deep as the PDF parser takes
        deep = pikepdf.Array([deep])
    pdf.pages[0].obj["/Rotate"] = 0
    pdf.Root.OCProperties.D["/Order"] = pikepdf.Array([deep])
    chain = pdf.make_indirect(pikepdf.Array([]))
    for _ in range(20_000):  # indirect arrays, each holding the next
        chain = pdf.make_indirect(pikepdf.Array([chain]))
    pdf.Root.OCProperties.D["/RBGroups"] = chain


HOSTILE = {f.__name__: f for f in (huge_media_box, attachment_bomb, millions_of_operators, deep_nesting)}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def run_verify(path) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "eur1pdf.cli", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=SECONDS,
        preexec_fn=_limited,
    )
    return result, time.monotonic() - start


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_is_refused_or_tampered_within_bounds(final_pdf, tmp_path, name):
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(_edit(final_pdf, HOSTILE[name]))
    assert path.stat().st_size <= MAX_FILE_BYTES
    result, seconds = run_verify(path)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert result.returncode in (1, 2), (result.stdout, result.stderr)
    assert "TAMPERED" in result.stdout or "refused" in result.stderr, (result.stdout, result.stderr)
    assert seconds < SECONDS


def test_a_file_over_10_mb_is_refused_unopened():
    with pytest.raises(NotACertificate, match="more than verify reads"):
        verify(b"%PDF-1.7\n" + b"0" * MAX_FILE_BYTES)
