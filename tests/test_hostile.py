"""Whatever arrives, a correct certificate or a clear error (issue 8).

Property-based tests (hypothesis) over the certificate model for every
built-in form: any text in any field, any number of items, any mix of
optional fields. Each case ends in exactly one of:

* a PDF in which every printed character lies inside a box (or a data
  field's own area) of its page, read back from the PDF with pdfplumber;
* an :class:`eur1pdf.Eur1pdfError` that names the field (and box) and says
  what is wrong.

Nothing else may escape. Profiles: ``ci`` (the default, bounded time) and
``long`` for a local soak: ``HYPOTHESIS_PROFILE=long pytest tests/test_hostile.py``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eur1pdf import Eur1pdfError, FillOptions, get_layout, render
from eur1pdf.errors import FitError, InputError, MissingGlyphError
from eur1pdf.layouts.geometry import PT_PER_MM, field_rect
from eur1pdf.rules import RuleViolation

from .conftest import ROOT, open_pdf

pytestmark = pytest.mark.slow


EXAMPLES = {
    "eur1": "eur1-ch-mx.json",
    "eur-med": "eur-med-ch-ma.json",
    "eur1-cn": "eur1-cn-ch-cn.json",
    "eur1-quad": "eur1-quad-ch-in.json",
}

# Characters a back-office user can paste: every kind the issue lists.
SPECIAL = [
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u00ad",  # soft hyphen
    "\u0301",  # combining acute accent
    "e\u0301",  # e + combining accent (NFC: é)
    "\u05d0\u05d1",  # Hebrew
    "\u0627\u0644",  # Arabic
    "😀",
    "👩‍👩‍👧",
    "\x00",
    "\x07",
    "\t",
    "\n",
    "\r\n",
    "\ufeff",
    "\ufffd",
    "中文",
    "Ω≈ç√∫",
    "ß",
    " ",
    "\u00a0",
]

printable = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Nd", "Pd", "Po", "Zs"), max_codepoint=0x17F),
    min_size=1,
    max_size=60,
)
texts = st.one_of(
    printable,  # what most senders type: a certificate should come out
    printable,
    st.text(alphabet=st.characters(categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=40),
    st.lists(st.sampled_from(SPECIAL + list("abc XYZ 123-/.,")), max_size=30).map("".join),
    st.text(max_size=40),  # anything at all, control characters included
    st.sampled_from(["", " ", "   ", "x" * 10_000, "W" * 600, "word " * 400]),
)

TEXT_PATHS = [
    ("serial",),
    ("exporter", "name"),
    ("exporter", "address", 0),
    ("exporter", "country"),
    ("consignee", "name"),
    ("consignee", "address", 1),
    ("trade", "from"),
    ("origin",),
    ("destination",),
    ("transport",),
    ("remarks", 0),
    ("invoices", 0),
    ("declaration", "place"),
    ("declaration", "signatory"),
]
ITEM_FIELDS = ["marks", "packages", "description", "hs_code", "origin_criterion", "gross_mass"]
OPTIONAL = ["serial", "consignee", "transport", "remarks", "invoices", "declaration", "application"]


def _example(form: str) -> dict:
    return json.loads((ROOT / "examples" / EXAMPLES[form]).read_text(encoding="utf-8"))


def _set(data: dict, path: tuple, value: object) -> None:
    *parents, last = path
    node = data
    for key in parents:
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return
        if node is None:
            return
    if isinstance(node, dict) or (isinstance(node, list) and isinstance(last, int) and last < len(node)):
        node[last] = value


@st.composite
def certificates(draw, form: str) -> dict:
    """The form's example with hostile text, item counts and optional fields."""
    data = copy.deepcopy(_example(form))
    for path in draw(st.lists(st.sampled_from(TEXT_PATHS), max_size=4, unique=True)):
        _set(data, path, draw(texts))
    for key in draw(st.lists(st.sampled_from(OPTIONAL), max_size=3, unique=True)):
        data.pop(key, None)
    count = draw(st.one_of(st.sampled_from([0, 1, 3, 20, 40]), st.integers(0, 1000)))
    base = _example(form)["items"]
    items = []
    for n in range(count):
        item = dict(base[n % len(base)])
        if n < 3 and draw(st.integers(0, 3)) == 0:  # now and then, in the first few items
            for name in draw(st.lists(st.sampled_from(ITEM_FIELDS), max_size=2, unique=True)):
                item[name] = draw(st.one_of(texts, st.none()))
        items.append(item)
    data["items"] = items
    return data


def allowed_areas(layout, face) -> list[tuple[float, float, float, float]]:
    """Where data may be printed on a face: its boxes, free-standing fields and the QR code (pt, top-left)."""
    areas = []
    for box in face.boxes.values():
        x, y, w, h = box.rect
        areas.append((x, y, x + w, y + h))
    for field in face.fields:
        r = field_rect(layout, field, None, None)
        areas.append((r.x, r.y, r.x + r.w, r.y + r.h))
    if face.qr is not None:
        q = face.qr
        areas.append((q.x, q.y, q.x + q.size, q.y + q.size))
    return [tuple(v * PT_PER_MM for v in a) for a in areas]


def _inside(char: dict, area: tuple[float, float, float, float], tol: float = 0.6) -> bool:
    x0, top, x1, bottom = area
    horizontally = char["x0"] >= x0 - tol and char["x1"] <= x1 + tol
    return horizontally and char["top"] >= top - tol and char["bottom"] <= bottom + tol


def names_its_field(exc: Eur1pdfError) -> bool:
    """The error says where: a field path (and box) a clerk can find."""
    if isinstance(exc, InputError):
        return all(p.field for p in exc.problems) or "must be an object" in str(exc)
    if isinstance(exc, RuleViolation):
        return all(f.field or f.box for f in exc.findings if f.severity == "error")
    if isinstance(exc, FitError | MissingGlyphError):
        return bool(exc.field)
    return False


def check_outcome(data: dict, options: FillOptions) -> bytes | None:
    """Render; an error must be ours and name its field, a PDF must keep every character in its box."""
    form = data.get("form")
    try:
        pdf = render(data, options)
    except Eur1pdfError as exc:
        assert str(exc).strip(), "an error says what is wrong"
        assert names_its_field(exc), f"{type(exc).__name__} without a field: {exc}"
        return None
    layout = get_layout(form)
    faces = [face for _, _, face in layout.pages(list(options.sheets) if options.sheets else None)]
    with open_pdf(pdf) as doc:
        parts = len(doc.pages) // len(faces)
        assert parts * len(faces) == len(doc.pages)
        for number, page in enumerate(doc.pages):
            face = faces[number % len(faces)]
            areas = allowed_areas(layout, face)
            for char in page.chars:
                if char["text"].isspace():
                    continue
                where = f"({char['x0']:.1f}, {char['top']:.1f})"
                assert any(_inside(char, a) for a in areas), f"page {number + 1}: {char['text']!r} at {where}"
    return pdf


@pytest.mark.parametrize("form", sorted(EXAMPLES))
@given(data=st.data())
def test_any_input_gives_a_certificate_or_a_clear_error(form, data):
    cert = data.draw(certificates(form))
    split = data.draw(st.booleans()) and len(cert["items"]) <= 200  # a split of 1000 items is just slow
    options = FillOptions(overlay_only=True, on_overflow="split" if split else "error")
    check_outcome(cert, options)


@pytest.mark.parametrize("form", sorted(EXAMPLES))
@given(data=st.data())
def test_any_json_value_gives_a_certificate_or_a_clear_error(form, data):
    """Wrong types anywhere: numbers for text, lists for objects, null for required fields."""
    cert = copy.deepcopy(_example(form))
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=6,
    )
    key = data.draw(st.sampled_from(sorted(cert)))
    cert[key] = data.draw(json_values)
    check_outcome(cert, FillOptions(overlay_only=True))


def test_hostile_text_is_refused_with_its_field_and_box(example):
    """Control and bidi characters are refused, not stripped: the message names field and box."""
    for bad in ["\u202e", "\x00", "\u200b", "a\tb"]:
        data = copy.deepcopy(example)
        data["consignee"]["name"] = f"Acme{bad}Corp"
        with pytest.raises(InputError) as caught:
            render(data)
        problem = caught.value.problems[0]
        assert problem.field == "consignee.name" and problem.box == "3", problem


def test_text_is_normalised_before_measuring(example):
    """'e' + combining accent is measured and printed as one 'é'; outer spaces go."""
    data = copy.deepcopy(example)
    data["consignee"]["name"] = "  Cafe\u0301 Ltd  "
    with open_pdf(render(data, FillOptions(overlay_only=True, sheets=(1,)))) as doc:
        text = doc.pages[0].extract_text()
    assert "Café Ltd" in text and "\u0301" not in text


# ----------------------------------------------------------------- regressions found by the suite


def test_unknown_form_is_a_finding_on_the_form_field(example):
    """Found by hypothesis: form "0" escaped as a LayoutError without a field."""
    example["form"] = "0"
    with pytest.raises(RuleViolation) as caught:
        render(example)
    assert caught.value.findings[0].field == "form" and "unknown form '0'" in str(caught.value)


def test_right_to_left_script_is_refused_not_printed_backwards(example):
    """Hebrew has glyphs in the font but would print in the wrong order: refused, naming the field."""
    example["consignee"]["name"] = "\u05d0\u05d1\u05d2 Ltd"
    with pytest.raises(InputError) as caught:
        render(example)
    problem = caught.value.problems[0]
    assert (problem.field, problem.box) == ("consignee.name", "3") and "right-to-left" in problem.message


# ----------------------------------------------------------------- limits


def test_a_10000_character_field_is_refused_at_once(example):
    example["transport"] = "x" * 10_000
    with pytest.raises(InputError) as caught:
        render(example)
    problem = caught.value.problems[0]
    assert (problem.field, problem.box) == ("transport", "6")
    assert "10000 characters long; the limit is 500" in problem.message


def test_too_many_items_and_lines_are_refused(example):
    item = example["items"][0]
    example["items"] = [item] * 1000
    example["exporter"]["address"] = ["line"] * 21
    with pytest.raises(InputError) as caught:
        render(example)
    found = {(p.field, p.box): p.message for p in caught.value.problems}
    assert found[("items", "8")] == "has 1000 entries; the limit is 999"
    assert found[("exporter.address", "1")] == "has 21 entries; the limit is 20"


def test_the_item_limit_itself_is_accepted_and_split(example):
    """999 items is allowed: split over certificates, it renders (the worst case the limits allow)."""
    item = example["items"][0]
    example["items"] = [item] * 999
    pdf = render(example, FillOptions(on_overflow="split", sheets=(1,), overlay_only=True))
    with open_pdf(pdf) as doc:
        assert len(doc.pages) % 2 == 0 and len(doc.pages) >= 2 * 999 // 40


# ----------------------------------------------------------------- broken files, through the CLI


def _cli_fill(tmp_path: Path, source: Path):
    from .conftest import cli

    return cli("fill", str(source), "-o", str(tmp_path / "out.pdf"))


def _no_traceback(result) -> None:
    assert result.returncode in (1, 2), (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and result.stderr.startswith("eur1pdf: error:"), result.stderr


BROKEN_FILES = {
    "truncated.json": (b'{"form": "eur1", "exporter": {"name": "A"', "invalid JSON at line 1, column 42"),
    "garbage.json": (bytes(range(256)) * 4, "not UTF-8 text"),
    "array.json": (b"[1, 2, 3]", "a certificate must be an object, got list"),
    "empty.json": (b"", "invalid JSON at line 1, column 1"),
    "deep.json": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "tabs.yaml": (b"form: eur1\n\tserial: x\n", "invalid YAML at line 2, column 1"),
    "deep.yaml": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "pdf.json": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "not UTF-8 text"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_broken_input_files_are_clear_errors(tmp_path, name):
    data, message = BROKEN_FILES[name]
    source = tmp_path / name
    source.write_bytes(data)
    result = _cli_fill(tmp_path, source)
    _no_traceback(result)
    assert message in result.stderr and name in result.stderr
    assert not (tmp_path / "out.pdf").exists()


YAML_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_yaml_bomb_is_refused_at_its_first_alias(tmp_path):
    """A billion laughs: refused while reading (aliases are not accepted), never expanded."""
    source = tmp_path / "bomb.yaml"
    source.write_text(YAML_BOMB, encoding="utf-8")
    result = _cli_fill(tmp_path, source)
    _no_traceback(result)
    assert "invalid YAML at line 2, column 8: aliases (*name) are not accepted" in result.stderr


def test_a_200_mb_input_is_refused_unread(tmp_path):
    """A sparse 200 MB file: refused by its size, reading at most the limit (no 200 MB in memory)."""
    source = tmp_path / "huge.json"
    with source.open("wb") as fh:
        fh.write(b'{"form": "eur1", "transport": "')
        fh.truncate(200 * 1024 * 1024)
    result = _cli_fill(tmp_path, source)
    _no_traceback(result)
    assert "209,715,200 bytes is more than the 1,000,000 bytes one certificate may take" in result.stderr


def test_batch_streams_a_200_mb_jsonl_and_refuses_only_the_giant_line(tmp_path, example):
    """Good records around a 200 MB line: the good ones are written, the giant line is one failed record."""
    from .conftest import cli

    source = tmp_path / "in.jsonl"
    with source.open("wb") as fh:
        fh.write(json.dumps(example).encode() + b"\n")
        fh.write(b'{"transport": "' + b"x" * (200 * 1024 * 1024) + b'"}\n')
        fh.write(json.dumps(dict(example, serial="B 2")).encode() + b"\n")
        fh.write(b"\xff\xfe not utf-8\n")
    result = cli("batch", str(source), "-o", str(tmp_path / "out"), "--sheets", "1", "--jobs", "1")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    entries = [json.loads(line) for line in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert [(e["source"], e["status"]) for e in entries] == [
        ("in.jsonl:1", "ok"),
        ("in.jsonl:2", "failed"),
        ("in.jsonl:3", "ok"),
        ("in.jsonl:4", "failed"),
    ]
    assert "209,715,217 bytes is more than the 1,000,000 bytes" in entries[1]["error"]
    assert "not UTF-8 text" in entries[3]["error"]


def test_layout_with_wrong_types_is_a_clear_error(tmp_path, example):
    from .test_layouts import EUR1_TOML

    layout = tmp_path / "mine.toml"
    layout.write_text(EUR1_TOML.replace("rect = [10.0, 44.0, 95.0, 40.0]", 'rect = "ten"'), encoding="utf-8")
    cert = tmp_path / "cert.json"
    cert.write_text(json.dumps(example), encoding="utf-8")
    from .conftest import cli

    result = cli("fill", str(cert), "-o", str(tmp_path / "out.pdf"), "--layout", str(layout))
    _no_traceback(result)
    assert str(layout) in result.stderr and "box 3" in result.stderr


# ----------------------------------------------------------------- nothing lost


def test_a_failure_mid_write_leaves_the_old_file(tmp_path, example, monkeypatch):
    """The rename never happens: the earlier certificate stays whole, no temporary file is left."""
    from eur1pdf import files as output_module
    from eur1pdf import fill_file

    source = tmp_path / "cert.json"
    source.write_text(json.dumps(example), encoding="utf-8")
    target = tmp_path / "out.pdf"
    fill_file(source, target)
    before = target.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output_module.os, "replace", disk_full)
    example["serial"] = "B 999.999"
    source.write_text(json.dumps(example), encoding="utf-8")
    with pytest.raises(OSError, match="No space left"):
        fill_file(source, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cert.json", "out.pdf"]


def test_a_missing_or_unwritable_output_folder_is_refused_before_any_work(tmp_path, example):
    from .conftest import cli

    cert = tmp_path / "cert.json"
    cert.write_text(json.dumps(example), encoding="utf-8")
    result = cli("fill", str(cert), "-o", str(tmp_path / "nowhere" / "out.pdf"))
    _no_traceback(result)
    assert "does not exist" in result.stderr
    result = cli("fill", str(cert), "-o", "/proc/eur1pdf-test.pdf")  # not writable, even for root
    _no_traceback(result)
    assert "not writable" in result.stderr


def test_an_internal_error_is_one_line_and_the_traceback_needs_debug(
    tmp_path, monkeypatch, capsys, internal_error_allowed
):
    """Even a bug of ours: the command line says so in one line; --debug shows the traceback."""
    from eur1pdf import cli as cli_module
    from eur1pdf.cli import fill as fill_command

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(fill_command, "fill_file", broken)
    source = ROOT / "examples" / "eur1-ch-mx.json"
    code = cli_module.main(["fill", str(source), "-o", str(tmp_path / "o.pdf")])
    err = capsys.readouterr().err
    assert code == 2 and "internal error (ZeroDivisionError: division by zero)" in err
    assert "Traceback" not in err
    with pytest.raises(ZeroDivisionError):
        cli_module.main(["--debug", "fill", str(source), "-o", str(tmp_path / "o.pdf")])


def test_a_lone_surrogate_is_refused_with_its_field(example):
    """Found by review: "\\ud800" passed the checks and crashed the digest (a 500 in the service)."""
    example["serial"] = "A\ud800"
    with pytest.raises(InputError) as caught:
        render(example)
    problem = caught.value.problems[0]
    assert problem.field == "serial" and "not a printable character (category Cs)" in problem.message


def test_a_users_blank_keeps_every_digit_of_its_numbers(tmp_path, example):
    """Found by review: reals of a user's blank were cut to 3 decimals (a 0.0004 matrix became 0)."""
    import pikepdf

    from eur1pdf.layouts.geometry import PT_PER_MM

    blank = pikepdf.new()
    page = blank.add_blank_page(page_size=(210 * PT_PER_MM, 297 * PT_PER_MM))
    blank.add_blank_page(page_size=(210 * PT_PER_MM, 297 * PT_PER_MM))  # sheet 1 has two faces
    inner = blank.make_stream(b"0 0 10000 10000 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form)
    inner.BBox = [0, 0, 10000, 10000]
    inner.Matrix = pikepdf.Array(
        [pikepdf.Object.parse(b"0.0004"), 0, 0, pikepdf.Object.parse(b"0.0004"), 10, 10]
    )
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Tiny=inner))
    page.Contents = blank.make_stream(b"/Tiny Do")
    path = tmp_path / "blank.pdf"
    blank.save(path)
    pdf = render(example, FillOptions(sheets=(1,)), blank=path)
    with pikepdf.open(__import__("io").BytesIO(pdf)) as doc:
        tiny = doc.pages[0].Resources.XObject.Bg.Resources.XObject.Tiny
        assert [float(v) for v in tiny.Matrix] == [0.0004, 0, 0, 0.0004, 10, 10]


def test_an_end_mark_does_not_defeat_the_caches(example):
    """Found by review: each render with an end mark built a new layout, so nothing was reused."""
    from eur1pdf import get_layout

    options = FillOptions(end_mark="stars", sheets=(1,))
    render(example, options)
    from eur1pdf.pdf.document import SharedTemplates

    variant = get_layout(example["form"]).prepared.variant("stars")
    templates = variant.prepared.derived(SharedTemplates, SharedTemplates)
    made = dict(templates)
    assert made  # the shared objects of the variant's blank and marks are kept with it
    for serial in ("B 1", "B 2", "B 3"):
        render(dict(example, serial=serial), options)
    assert templates == made  # the same objects: nothing was made again


def test_rendering_on_threads_with_tiny_caches(example, monkeypatch):
    """Found by review: the caches' get and move_to_end raced between threads (render_many may
    run on a thread pool)."""
    from concurrent.futures import ThreadPoolExecutor

    from eur1pdf.pdf import document as compose

    monkeypatch.setattr(compose, "TEMPLATE_CACHE_SIZE", 1)
    kinds = [FillOptions(sheets=(1,)), FillOptions(draft=True, sheets=(1,)), FillOptions(overlay_only=True)]
    certs = [dict(example, serial=f"T {n}") for n in range(24)]
    expected = [render(c, kinds[n % 3]) for n, c in enumerate(certs)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(render, c, kinds[n % 3]) for n, c in enumerate(certs)]
        assert [f.result() for f in futures] == expected


def test_jsonl_limit_counts_the_record_not_its_line_end(tmp_path, example, monkeypatch):
    """Found by review: the line end and a byte-order mark counted towards the record limit."""
    from eur1pdf.bulk import batch
    from eur1pdf.certificate import model

    record = json.dumps(example, separators=(",", ":")).encode()
    monkeypatch.setitem(model.LIMITS, "input_bytes", len(record))
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + record + b"\r\n" + record[:-1] + b" }\r\n")
    entries = list(batch._jsonl_records(source))
    assert [e.text.problem for e in entries] == [
        None,
        f"{len(record) + 1:,} bytes is more than the {len(record):,} bytes one certificate may take",
    ]
