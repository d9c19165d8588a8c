"""A hostile blank form (``--blank``): a certificate or a refusal naming the blank, within bounds (issue 21).

Each attack is a blank PDF made with pikepdf, given to ``eur1pdf fill`` in a
fresh process whose address space is capped (``RLIMIT_AS``) and with a
timeout: it must end with a PDF or a refusal naming the blank file (and the
page and object where there is one), never a traceback, a hang or an
out-of-memory. The limits are those of ``eur1pdf/pdf/blank_limits.toml``.

Then hypothesis builds blanks from their structure (page boxes, page
trees, inherited resources, nesting, filter chains and their parameters,
forms in forms and loops of forms, chains of indirect objects) and checks
the same property in-process: ``ci`` profile by default,
``HYPOTHESIS_PROFILE=long`` for a local soak.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from itertools import count

import pikepdf
import pytest
from hypothesis import given, settings

from eur1pdf import Eur1pdfError, FillOptions, render

from . import blank_pdfs as b
from .conftest import EXAMPLE

pytestmark = pytest.mark.slow


MEMORY_BYTES = 1_000_000_000  # address space (more than the memory used: the libraries are mapped)
SECONDS = 60
GIGABYTE_OF_OPERATORS = (b"0 0 m 1 1 l S\n" * 75_000, 1000)  # 1.05 GB inflated from about 1 MB


def content_bomb(pdf: pikepdf.Pdf) -> None:
    """The issue's attack: a 1 MB blank whose page content inflates to 1 GB."""
    chunk, times = GIGABYTE_OF_OPERATORS
    pdf.pages[0].Contents = pikepdf.Stream(pdf, b.deflated(chunk, times), Filter=b.Name.FlateDecode)


def image_bomb(pdf: pikepdf.Pdf) -> None:
    b.draw_xobject(pdf, 0, b.image(pdf, 10_000, 10_000, b.deflated(b"\0" * 1_000_000, 200), ["FlateDecode"]))


def many_streams_bomb(pdf: pikepdf.Pdf) -> None:
    """Each stream under the per-stream limit, together over the blank's total."""
    images = {f"/I{n}": b.image(pdf, 10_000, 10_000, b.deflated(b"\0" * 1_000_000, 100), ["FlateDecode"])
              for n in range(6)}  # fmt: skip
    pdf.pages[1].Resources.XObject = pikepdf.Dictionary(images)


def lzw_bomb(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].Contents = pikepdf.Stream(pdf, b.lzw_zeros(10), Filter=b.Name.LZWDecode)  # 74 MB


def run_length_bomb(pdf: pikepdf.Pdf) -> None:
    runs = zlib.compress(bytes([129, 32]) * 1_600_000 + b"\x80")  # 1.6 million runs of 128 spaces
    pdf.pages[0].Contents = pikepdf.Stream(pdf, runs, Filter=[b.Name.FlateDecode, b.Name.RunLengthDecode])


def font_program_bomb(pdf: pikepdf.Pdf) -> None:
    program = pikepdf.Stream(pdf, b.deflated(b"\0" * 1_000_000, 400), Filter=b.Name.FlateDecode)
    descriptor = pikepdf.Dictionary(Type=b.Name.FontDescriptor, FontName=b.Name.Bomb, FontFile2=program)
    pdf.pages[0].Resources.Font.F1.FontDescriptor = descriptor


def deep_resources(pdf: pikepdf.Pdf) -> None:
    """The issue's attack: deeply nested objects in the resources (a RecursionError before)."""
    deep: object = pikepdf.Array([0])
    for _ in range(450):  # direct arrays, as deep as qpdf's parser reads
        deep = pikepdf.Array([deep])
    pdf.pages[0].Resources.Deep = pdf.make_indirect(deep)


def deep_inherited_resources(pdf: pikepdf.Pdf) -> None:
    deep_resources(pdf)
    pdf.Root.Pages.Resources = pdf.pages[0].Resources
    for page in pdf.pages:
        del page.obj["/Resources"]


def forms_in_forms(pdf: pikepdf.Pdf) -> None:
    b.draw_xobject(pdf, 0, b.nested_forms(pdf, 100))


def loop_of_forms(pdf: pikepdf.Pdf) -> None:
    outer = b.nested_forms(pdf, 3)
    outer.Resources.XObject.X.Resources.XObject.X.Resources = pikepdf.Dictionary(
        XObject=pikepdf.Dictionary(X=outer)
    )
    b.draw_xobject(pdf, 0, outer)


def page_tree_loop(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Pages.Kids.append(pdf.Root.Pages)


def many_pages(pdf: pikepdf.Pdf) -> None:
    for _ in range(5000):
        pdf.add_blank_page(page_size=b.A4)


def many_objects(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].Resources.Many = pikepdf.Array(
        [pdf.make_indirect(pikepdf.Array([n])) for n in range(150_000)]
    )


def huge_page(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].MediaBox = pikepdf.Array([0, 0, 14_400, 14_400])


def zero_page(pdf: pikepdf.Pdf) -> None:
    pdf.pages[2].CropBox = pikepdf.Array([100, 100, 100, 500])


def far_away_page(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].MediaBox = pikepdf.Array([10**9, 10**9, 10**9 + 595, 10**9 + 842])


def unknown_filter(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].Contents = pikepdf.Stream(pdf, b"x", Filter=b.Name("/FooDecode"))


def image_codec_on_contents(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].Contents = pikepdf.Stream(pdf, b"x", Filter=b.Name.JBIG2Decode)


def huge_jpeg(pdf: pikepdf.Pdf) -> None:
    b.draw_xobject(pdf, 0, b.image(pdf, 100_000, 100_000, b"\xff\xd8\xff\xd9", ["DCTDecode"]))


def bad_predictor(pdf: pikepdf.Pdf) -> None:
    stream = b.filtered_stream(pdf, b.FACE, ["FlateDecode"])
    stream.DecodeParms = pikepdf.Dictionary(Predictor=99, Columns=10**12)
    pdf.pages[0].Contents = stream


#: attack -> what the refusal says (after "--blank FILE: "), or None: a certificate is made
REFUSED: dict[Callable[[pikepdf.Pdf], None], str | None] = {
    content_bomb: "page 1, object .*: the page's contents: more than 32,000,000 bytes once decoded",
    image_bomb: "page 1, object .*: a stream: more than 128,000,000 bytes once decoded",
    many_streams_bomb: "page 2, object .*: the blank's streams: more than 512,000,000 bytes once decoded",
    lzw_bomb: "page 1, object .*: the page's contents: more than 32,000,000 bytes",
    run_length_bomb: "page 1, object .*: the page's contents: more than 32,000,000 bytes",
    font_program_bomb: "page 1, object .*: a stream: more than 128,000,000 bytes",
    deep_resources: "page 1, object .*: arrays and dictionaries nested more than 32 deep",
    deep_inherited_resources: "page 1, object .*: arrays and dictionaries nested more than 32 deep",
    forms_in_forms: "page 1, object .*: forms drawn in forms more than 16 deep",
    loop_of_forms: "page 1, object .*: a form drawn inside itself",
    page_tree_loop: "not a readable PDF .*[Ll]oop",
    many_pages: "5,005 pages, more than a blank may have \\(100\\)",
    many_objects: "objects, more than a blank may have \\(100,000\\)",
    huge_page: "page 1: the MediaBox \\[0 0 14400 14400\\] is not a page of 72 to 4764 pt a side",
    zero_page: "page 3: the CropBox \\[100 100 100 500\\] is not a page",
    far_away_page: "page 1: the MediaBox .* is not a page",
    unknown_filter: "page 1, object .*: a filter eur1pdf does not read \\(/FooDecode\\)",
    image_codec_on_contents: "page 1, object .*: an image filter on a stream that is not an image",
    huge_jpeg: "page 1, object .*: an image of 100,000 x 100,000 pixels",
    bad_predictor: "page 1, object .*: /DecodeParms /Predictor is not a whole number from 1 to 15",
}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def run_fill(blank_path, out_path) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "eur1pdf.cli",
            "fill",
            str(EXAMPLE),
            "-o",
            str(out_path),
            "--blank",
            str(blank_path),
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS,
        preexec_fn=_limited,
    )
    return result, time.monotonic() - start


@pytest.mark.parametrize("attack", REFUSED, ids=lambda attack: attack.__name__)
def test_hostile_blank_is_refused_naming_it_within_bounds(tmp_path, attack):
    pdf = b.blank()
    attack(pdf)
    path = tmp_path / f"{attack.__name__}.pdf"
    path.write_bytes(b.saved(pdf))
    result, seconds = run_fill(path, tmp_path / "out.pdf")
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stderr.startswith(f"eur1pdf: error: --blank {path}: "), result.stderr
    assert re.search(REFUSED[attack], result.stderr), result.stderr
    assert not (tmp_path / "out.pdf").exists()
    assert seconds < SECONDS


SPECIALIZED = pikepdf.StreamDecodeLevel.specialized  # RunLengthDecode is not "generalized" in qpdf
VALID_CHAINS = [["LZWDecode"], ["ASCII85Decode", "FlateDecode"], ["ASCIIHexDecode"], ["RunLengthDecode"],
                ["ASCII85Decode", "LZWDecode", "RunLengthDecode", "FlateDecode"]]  # fmt: skip


@pytest.mark.parametrize("chain", VALID_CHAINS, ids="+".join)
def test_a_blank_with_any_filter_chain_is_imported_as_it_reads(tmp_path, chain):
    """A correct result: the page's content, whatever its filters, is the face under the data."""
    pdf = b.blank()
    pdf.pages[0].Contents = b.filtered_stream(pdf, b.FACE * 50, chain)
    path = tmp_path / "chained.pdf"
    path.write_bytes(b.saved(pdf))
    with pikepdf.open(path) as again:
        assert again.pages[0].Contents.read_bytes(SPECIALIZED) == b.FACE * 50  # qpdf reads our encoders
    result, seconds = run_fill(path, tmp_path / "out.pdf")
    assert result.returncode == 0, result.stderr
    with pikepdf.open(tmp_path / "out.pdf") as out:
        face = out.pages[0].Resources.XObject.Bg
        assert face.read_bytes() == b.FACE * 50
    assert seconds < SECONDS


def test_a_long_chain_of_indirect_objects_and_inherited_resources_are_imported(tmp_path):
    pdf = b.blank()
    chain = pdf.make_indirect(pikepdf.Array([]))
    for _ in range(20_000):
        chain = pdf.make_indirect(pikepdf.Array([chain]))
    b.draw_xobject(pdf, 0, b.nested_forms(pdf, 16))  # forms in forms to the limit
    pdf.Root.Pages.Resources = pdf.pages[0].Resources
    pdf.Root.Pages.Resources.Chain = chain
    for page in pdf.pages:
        del page.obj["/Resources"]
    path = tmp_path / "long.pdf"
    path.write_bytes(b.saved(pdf))
    result, seconds = run_fill(path, tmp_path / "out.pdf")
    assert result.returncode == 0, result.stderr
    with pikepdf.open(tmp_path / "out.pdf") as out:
        assert "/F1" in out.pages[1].Resources.XObject.Bg.Resources.Font  # the inherited font came along
    assert seconds < SECONDS


EXAMPLE_DATA = json.loads(EXAMPLE.read_text(encoding="utf-8"))
NUMBERS = count()


#: The CI profile's budget for this test (each example renders a certificate in a capped process:
#: about 0.6 s); the long profile keeps its own.
CI_BLANK_EXAMPLES = 12
IN_CI_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci"


@settings(max_examples=CI_BLANK_EXAMPLES) if IN_CI_PROFILE else (lambda f: f)
@given(spec=b.blank_specs())
def test_any_blank_gives_a_certificate_or_an_error_naming_it(tmp_path_factory, spec):
    path = tmp_path_factory.getbasetemp() / f"blank-{next(NUMBERS)}.pdf"  # a new name: no cache hit
    path.write_bytes(b.build(spec))
    start = time.monotonic()
    try:
        made = render(EXAMPLE_DATA, FillOptions(), blank=path)
    except Eur1pdfError as exc:
        assert f"--blank {path}: " in str(exc), exc
    else:
        with pikepdf.open(io.BytesIO(made)) as out:
            assert len(out.pages) == 5
    assert time.monotonic() - start < SECONDS


def test_a_final_on_a_blank_at_the_limits_verifies(tmp_path):
    """Whatever a blank may hold, verify takes the certificate made on it: a chain of 20,000
    indirect objects and forms 16 deep (verify once refused it as nested more than 64 deep)."""
    pdf = b.blank()
    b.draw_xobject(pdf, 0, b.nested_forms(pdf, 16))
    chain = pdf.make_indirect(pikepdf.Array([]))
    for _ in range(20_000):
        chain = pdf.make_indirect(pikepdf.Array([chain]))
    pdf.pages[0].Resources.Chain = chain
    blank_path, certificate = tmp_path / "blank.pdf", tmp_path / "final.pdf"
    blank_path.write_bytes(b.saved(pdf))
    data = json.loads((EXAMPLE.parent / "eur1-ch-mx-final.json").read_text(encoding="utf-8"))
    options = FillOptions(final=True, verify_url="https://verify.example.org/{serial}?d={digest}")
    certificate.write_bytes(render(data, options, blank=blank_path))
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "eur1pdf.cli", "verify", str(certificate), "--blank", str(blank_path)],
        capture_output=True,
        text=True,
        timeout=SECONDS,
        preexec_fn=_limited,
    )
    assert "UNSIGNED" in result.stdout, (result.stdout, result.stderr)
    assert "every object equals" in result.stdout
    assert time.monotonic() - start < SECONDS
