"""The PDF syntax writer (eur1pdf.pdf.syntax): each value read back by pikepdf, the file checked by qpdf."""

from __future__ import annotations

import io
import re
import zlib
from typing import Any, NamedTuple

import pikepdf
import pytest

from eur1pdf.pdf.syntax import (
    FAST,
    HEADER,
    SMALL,
    Body,
    array,
    dictionary,
    document,
    name,
    num,
    nums,
    rect,
    ref,
    stream,
    text_string,
)
from tests.pdf_checks import assert_valid_pdf, one_page_document


def parsed(serialised: bytes) -> Any:  # a pikepdf object, whose attributes are the PDF's keys
    """What a PDF reader makes of one serialised value."""
    return pikepdf.Object.parse(serialised)


# -- numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, b"0"),
        (12, b"12"),
        (12.0, b"12"),
        (-3.0, b"-3"),
        (1.5, b"1.5"),
        (0.1, b"0.1"),
        (2.25, b"2.25"),
        (841.8898, b"841.89"),
        (-0.5, b"-0.5"),
        (1 / 3, b"0.333"),
        (2 / 3, b"0.667"),
        (0.0004, b"0"),
        (-0.0004, b"0"),
        (1e-7, b"0"),
        (1e15, b"1000000000000000"),
    ],
)
def test_number_has_at_most_three_decimals_no_trailing_zeros_no_exponent(
    value: float, expected: bytes
) -> None:
    assert num(value) == expected


@pytest.mark.parametrize("value", [0.001, 0.5, 72.0, 595.2756, -841.8898, 123456.789, 1e-9, 3e12])
def test_number_reads_back_as_the_value_rounded_to_three_decimals(value: float) -> None:
    written = num(value)
    assert b"e" not in written.lower()
    assert float(parsed(written)) == pytest.approx(round(value, 3), abs=1e-9)


def test_numbers_are_separated_by_single_spaces() -> None:
    assert nums([1, 2.5, -0.25]) == b"1 2.5 -0.25"
    assert [float(v) for v in parsed(b"[" + nums([1, 2.5, -0.25]) + b"]")] == [1, 2.5, -0.25]


# -- strings -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "EUR.1 No A 123456",
        "a (bracketed) word",
        "unbalanced ( bracket",
        "closing ) only",
        "back\\slash",
        "\\(",
        "Zürich",
        "Αθήνα",
        "Москва",
        "北京",
        "line\nbreak",
        "tab\there",
        "emoji 😀 outside the BMP",
    ],
)
def test_text_string_reads_back_as_the_same_text(text: str) -> None:
    assert str(parsed(text_string(text))) == text


def test_printable_ascii_is_a_literal_string_with_escapes() -> None:
    assert text_string("a(b)c\\d") == b"(a\\(b\\)c\\\\d)"


def test_other_text_is_utf16_with_a_byte_order_mark() -> None:
    assert text_string("é") == b"<FEFF00E9>"
    assert text_string("a\nb") == b"<FEFF0061000A0062>"  # a control character is not left raw


# -- names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Type", b"/Type"),
        ("LiberationSans-Regular", b"/LiberationSans-Regular"),
        ("A B", b"/A#20B"),
        ("50%", b"/50#25"),
        ("a#b", b"/a#23b"),
        ("x/y", b"/x#2Fy"),
        ("(p)", b"/#28p#29"),
        ("application/json", b"/application#2Fjson"),
    ],
)
def test_name_escapes_delimiters_and_spaces(text: str, expected: bytes) -> None:
    assert name(text) == expected


@pytest.mark.parametrize("text", ["Type", "A B", "a#b/c", "[x]<y>{z}", "Grüße", "ABCDEF+LiberationSans"])
def test_name_reads_back_as_the_same_name(text: str) -> None:
    value = parsed(name(text))
    assert isinstance(value, pikepdf.Name)
    assert bytes(str(value), "utf-8") == b"/" + text.encode("utf-8")


# -- dictionaries and arrays ---------------------------------------------------


def test_dictionary_keeps_its_entries_in_order_and_leaves_none_out() -> None:
    written = dictionary({"Type": b"/Page", "Missing": None, "Count": b"3", "Kids": array([ref(4), ref(7)])})
    assert written == b"<< /Type /Page /Count 3 /Kids [4 0 R 7 0 R] >>"
    value = parsed(written.replace(b" 0 R", b""))  # references alone cannot be parsed outside a file
    assert set(value.keys()) == {"/Type", "/Count", "/Kids"}
    assert value.Count == 3
    assert list(value.Kids) == [4, 7]
    assert value.Type == pikepdf.Name.Page


def test_dictionaries_and_arrays_nest() -> None:
    inner = dictionary({"ca": num(0.25), "Name": text_string("Watermark (1)")})
    written = dictionary({"Outer": inner, "List": array([b"1", inner, array([])])})
    value = parsed(written)
    assert float(value.Outer.ca) == 0.25
    assert str(value.List[1].Name) == "Watermark (1)"
    assert len(value.List[2]) == 0


def test_empty_dictionary_and_array_are_valid() -> None:
    assert len(parsed(dictionary({})).keys()) == 0
    assert len(parsed(array([]))) == 0


def test_rect_is_an_array_of_numbers() -> None:
    assert rect((0, 0, 595.2756, 841.8898)) == b"[0 0 595.276 841.89]"


# -- streams -------------------------------------------------------------------


class ReadStream(NamedTuple):
    data: bytes  # decoded
    raw: bytes  # as stored
    type_name: str  # the /Type entry


def number_after(pattern: bytes, data: bytes) -> bytes:
    """The first group of ``pattern`` in ``data`` (the test fails if it is not there)."""
    match = re.search(pattern, data)
    assert match is not None, pattern
    return match.group(1)


def stream_in_document(body: bytes) -> ReadStream:
    """The stream ``body`` as object 1 of a document, read back."""
    objects = Body(1)
    number = objects.add(body)
    pages = objects.add(dictionary({"Type": b"/Pages", "Kids": b"[]", "Count": b"0"}))
    root = objects.add(dictionary({"Type": b"/Catalog", "Pages": ref(pages)}))
    with pikepdf.open(io.BytesIO(document(objects, root, None))) as pdf:
        read = pdf.get_object(number, 0)
        return ReadStream(read.read_bytes(), read.read_raw_bytes(), str(read.stream_dict.get("/Type")))


def test_uncompressed_stream_has_its_exact_length_and_no_filter() -> None:
    data = b"0 0 m 10 10 l S\n" * 20
    body = stream({"Type": b"/XObject"}, data, compress=False)
    assert b"/Filter" not in body
    assert number_after(rb"/Length (\d+)", body) == b"%d" % len(data)
    assert body.endswith(b"\nstream\n" + data + b"\nendstream")
    read = stream_in_document(body)
    assert read.data == data
    assert read.type_name == "/XObject"


def test_compressed_stream_is_flate_encoded_and_decodes_to_the_data() -> None:
    data = b"BT /F1 12 Tf 1 0 0 1 72 720 Tm <0024> Tj ET\n" * 50
    body = stream({}, data)
    assert b"/Filter /FlateDecode" in body
    encoded = body.split(b"\nstream\n", 1)[1].removesuffix(b"\nendstream")
    assert number_after(rb"/Length (\d+)", body) == b"%d" % len(encoded)
    assert len(encoded) < len(data)
    assert zlib.decompress(encoded) == data
    read = stream_in_document(body)
    assert read.data == data
    assert read.raw == encoded


def test_tiny_stream_is_left_uncompressed() -> None:
    data = b"q /Data Do Q\n"
    body = stream({}, data)
    assert b"/Filter" not in body
    assert stream_in_document(body).data == data


def test_compression_level_is_the_callers() -> None:
    data = bytes(range(256)) * 8 + b"abc" * 500
    fast, small = stream({}, data, level=FAST), stream({}, data, level=SMALL)
    assert stream_in_document(fast).data == data
    assert stream_in_document(small).data == data
    assert len(small) <= len(fast)


def test_binary_stream_data_survives() -> None:
    data = bytes(range(256)) + b"endstream" + b"\r\n\x00"
    assert stream_in_document(stream({}, data, compress=False)).data == data


# -- bodies and the file around them -----------------------------------------


def test_body_numbers_objects_consecutively_from_first() -> None:
    body = Body(5)
    assert [body.add(b"null"), body.add(b"true"), body.add(b"1")] == [5, 6, 7]
    assert body.next_number == 8
    joined = b"".join(body.chunks)
    for number, offset in zip(range(5, 8), body.offsets, strict=True):
        assert joined[offset:].startswith(b"%d 0 obj\n" % number)
    assert body.size == len(joined)


def test_body_extend_keeps_offsets_and_refuses_a_gap() -> None:
    first, second = Body(1), Body(3)
    first.add(b"(one)")
    first.add(b"(two)")
    second.add(b"(three)")
    frozen = second.frozen()
    first.extend(frozen)
    joined = b"".join(first.chunks)
    assert [joined[o:].split(b"\n", 2)[:2] for o in first.offsets] == [
        [b"1 0 obj", b"(one)"],
        [b"2 0 obj", b"(two)"],
        [b"3 0 obj", b"(three)"],
    ]
    with pytest.raises(ValueError, match="expected 4"):
        first.extend(Body(9))


def test_frozen_body_is_the_same_bytes_in_one_chunk() -> None:
    body = Body(1)
    for n in range(4):
        body.add(b"%d" % n)
    frozen = body.frozen()
    assert len(frozen.chunks) == 1
    assert frozen.chunks[0] == b"".join(body.chunks)
    assert (frozen.offsets, frozen.size, frozen.first) == (body.offsets, body.size, body.first)


def test_document_must_start_at_object_one() -> None:
    body = Body(2)
    body.add(b"null")
    with pytest.raises(ValueError):
        document(body, 2, None)


@pytest.fixture(scope="module")
def small_pdf() -> bytes:
    return one_page_document(b"0.5 w 0 0 m 200 100 l S\n" * 10)


def test_file_starts_with_the_header_and_a_binary_comment(small_pdf: bytes) -> None:
    assert small_pdf.startswith(HEADER)
    assert small_pdf.startswith(b"%PDF-1.7\n%")
    assert all(byte >= 128 for byte in small_pdf[10:14])  # marks the file as binary for transfer tools


def _xref_table(data: bytes) -> tuple[int, int, list[bytes]]:
    start = int(number_after(rb"startxref\n(\d+)\n%%EOF\n$", data))
    match = re.compile(rb"xref\n0 (\d+)\n").match(data, start)
    assert match is not None, "startxref does not point at the xref keyword"
    count = int(match.group(1))
    entries = data[match.end() : match.end() + 20 * count]
    return start, count, [entries[i : i + 20] for i in range(0, len(entries), 20)]


def test_startxref_points_at_the_xref_table(small_pdf: bytes) -> None:
    start, _, _ = _xref_table(small_pdf)
    assert small_pdf[start : start + 5] == b"xref\n"
    assert small_pdf.endswith(b"%%EOF\n")


def test_every_xref_offset_points_exactly_at_its_object(small_pdf: bytes) -> None:
    _, count, entries = _xref_table(small_pdf)
    assert entries[0] == b"0000000000 65535 f \n"
    assert count == len(re.findall(rb"(?m)^\d+ 0 obj$", small_pdf)) + 1
    for number, entry in enumerate(entries[1:], start=1):
        assert len(entry) == 20 and entry.endswith(b" 00000 n \n")
        offset = int(entry[:10])
        assert small_pdf[offset:].startswith(b"%d 0 obj\n" % number), f"object {number}"


def test_trailer_names_size_root_info_and_a_content_id(small_pdf: bytes) -> None:
    trailer = small_pdf[small_pdf.rindex(b"trailer\n") + 8 : small_pdf.rindex(b"\nstartxref")]
    value = parsed(trailer.replace(b" 0 R", b""))  # references alone cannot be parsed outside a file
    _, count, _ = _xref_table(small_pdf)
    assert int(value.Size) == count
    assert int(value.Root) == count - 1 and int(value.Info) == count - 2
    first, second = (bytes(part) for part in value.ID)
    assert first == second and len(first) == 16


def test_same_objects_same_bytes_other_objects_other_id() -> None:
    one = one_page_document(b"0 0 m 1 1 l S")
    assert one_page_document(b"0 0 m 1 1 l S") == one
    other = one_page_document(b"0 0 m 2 2 l S")
    pattern = rb"/ID \[<([0-9A-F]+)>"
    assert number_after(pattern, one) != number_after(pattern, other)


def test_document_without_info_leaves_it_out() -> None:
    data = one_page_document(b"0 0 m 1 1 l S", info=False)
    assert b"/Info" not in data
    assert len(assert_valid_pdf(data).docinfo.keys()) == 0


@pytest.mark.parametrize("compress", [True, False])
def test_document_is_valid_for_qpdf_and_pikepdf(compress: bool) -> None:
    content = b"0.2 0.4 0.6 RG 1.5 w " + b"10 10 m 190 90 l S " * 20
    pdf = assert_valid_pdf(one_page_document(content, compress=compress))
    assert len(pdf.pages) == 1
    assert [float(v) for v in pdf.pages[0].MediaBox] == [0, 0, 200, 100]
    assert pdf.pages[0].Contents.read_bytes() == content
    assert str(pdf.docinfo.Producer) == "tests"
    operators = [str(i.operator) for i in pikepdf.parse_content_stream(pdf.pages[0])]
    assert operators[:2] == ["RG", "w"] and operators.count("S") == 20


def test_damaged_offsets_are_caught_by_the_check(small_pdf: bytes) -> None:
    """The validity check itself can fail: one byte more before an object shifts every offset after it."""
    damaged = small_pdf.replace(b"2 0 obj\n", b" 2 0 obj\n", 1)
    with pytest.raises(AssertionError):
        assert_valid_pdf(damaged)
